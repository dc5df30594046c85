/**
 * The token prior's configuration, with the defaults a CPU bench run can
 * afford. Architecture follows VideoGPT's prior (a GPT over the flattened
 * t*h*w token grid, right-shifted with a learned start-of-sequence vector,
 * pre-LN blocks, per-axis position embeddings) scaled down from its
 * 8-layer / 576-wide / 4-head model to 2 layers of width 64.
 */
import { z } from 'zod';
import { describeUnknownKey, unknownKeys } from '@zoo/core';
import { RunOptionsError } from '../util/errors.js';

export const PRIOR_POSITIONS = ['factorized', 'learned'] as const;
export type PriorPosition = (typeof PRIOR_POSITIONS)[number];

export const priorConfigSchema = z.object({
  /** Width of tokens in the transformer. Default 64 (VideoGPT: 576, scaled to a CPU budget). */
  dim: z.number().int().min(1).default(64),
  /** Transformer blocks. Default 2 (VideoGPT: 8). */
  layers: z.number().int().min(1).default(2),
  /** Attention heads; must divide dim. Default 2 (VideoGPT: 4; attention over 1088 tokens dominates the step, and its cost scales with heads). */
  heads: z.number().int().min(1).default(2),
  /** MLP width / dim. Default 4 (VideoGPT, GPT-2). */
  mlpRatio: z.number().positive().default(4),
  /**
   * 'factorized': a table per grid axis (t, h, w, ...), summed (VideoGPT's
   * AddBroadcastPosEmbed factorizes the same way but concatenates per-axis
   * chunks, which needs dim divisible by the axis count); 'learned': one
   * table over all flattened positions. Default 'factorized'.
   */
  position: z.enum(PRIOR_POSITIONS).default('factorized'),
  /** Std of the N(0, std) init of token, position and start embeddings. Default 0.02 (GPT-2, VideoGPT's sos). */
  initStd: z.number().positive().default(0.02),
  /** Adam learning rate, constant. Default 3e-3 (tens of steps on a CPU; VideoGPT trains 3e-4 for 100k+ steps). */
  lr: z.number().positive().default(3e-3),
  /** Sequences (encoded clips) per step. Default 4 (the default run's 1088-token clips make a step ~1 s on 2 cores). */
  batch: z.number().int().min(1).default(4),
  /** Training clips encoded for the prior (the first N of the train set, in its epoch-0 order). Default 64. */
  trainClips: z.number().int().min(1).default(64),
  /** Global gradient-norm clip. Default 1 (VideoGPT / GPT-2 training). */
  clipGradNorm: z.number().positive().default(1),
});
export type PriorConfig = z.output<typeof priorConfigSchema>;
export type PriorConfigInput = z.input<typeof priorConfigSchema>;

/** Parses a prior config; unknown keys and bad values fail naming the key and what is valid. */
export function parsePriorConfig(input: PriorConfigInput = {}): PriorConfig {
  const unknown = unknownKeys(priorConfigSchema, input);
  if (unknown.length) {
    throw new RunOptionsError(`prior config: ${unknown.map(describeUnknownKey).join('; ')}`);
  }
  const r = priorConfigSchema.safeParse(input);
  if (!r.success) throw new RunOptionsError(`prior config: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  if (r.data.dim % r.data.heads) throw new RunOptionsError(`prior config: heads (${r.data.heads}) must divide dim (${r.data.dim})`);
  return r.data;
}
