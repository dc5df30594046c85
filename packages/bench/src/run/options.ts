/**
 * Options of `zoo tokenizers` (the `pnpm bench tokenizers` job) with their
 * defaults. The defaults are the measured CPU budget: four quantizers on the
 * `vqgan` preset's encoder (f2 at this size), synthetic clips of 8 frames at
 * 16x16, batch 4, 500 steps each, 32 eval clips. Measured on the 2-core dev
 * machine while shared with other jobs: 300 steps x 4 took 6m48s wall, so 500
 * steps stays well under 15 minutes.
 */
import { z } from 'zod';
import { DATASET_NAMES } from './datasets.js';

export const DEFAULT_QUANTIZERS = ['vq', 'cosine-vq', 'lfq', 'fsq'] as const;

export const runOptionsSchema = z.object({
  dataset: z.enum(DATASET_NAMES).default('synthetic'),
  dataDir: z.string().min(1).optional(),
  /** Preset names, or `onnx:encode.onnx,decode.onnx` for an external tokenizer. Default ['vqgan']. */
  tokenizers: z.array(z.string().min(1)).min(1).default(['vqgan']),
  /** JSON tokenizer spec file(s), used instead of presets. */
  config: z.string().min(1).optional(),
  /** Quantizers swapped into every tokenizer; default vq, cosine-vq, lfq, fsq (when no --config and a single preset). */
  quantizers: z.array(z.string().min(1)).optional(),
  codebookSize: z.number().int().min(2).default(256),
  steps: z.number().int().min(1).default(500),
  batch: z.number().int().min(1).default(4),
  frames: z.number().int().min(1).default(8),
  resolution: z.number().int().min(8).default(16),
  lr: z.number().positive().default(1e-3),
  engine: z.enum(['onnx', 'tfjs']).default('onnx'),
  device: z.enum(['cpu', 'cuda']).default('cpu'),
  evalClips: z.number().int().min(1).default(32),
  out: z.string().min(1).default('bench-out'),
  /** `i/n`: this process runs tokenizers i, i+n, i+2n, ... (0-based). */
  shard: z.string().regex(/^\d+\/\d+$/, 'expected i/n, e.g. 0/4').default('0/1'),
  seed: z.number().int().min(0).default(0),
  resume: z.boolean().default(false),
  checkpointEvery: z.number().int().min(0).default(50),
  evalEvery: z.number().int().min(0).default(0),
  /** Adversarial training starts at this step (default: 3/4 of the steps, so short runs learn reconstruction first). */
  discStart: z.number().int().min(0).optional(),
  fvdModel: z.string().min(1).optional(),
  /** Decode cache for video datasets. */
  cacheDir: z.string().min(1).optional(),
});
export type RunOptions = z.output<typeof runOptionsSchema>;
export type RunOptionsInput = z.input<typeof runOptionsSchema>;

export class RunOptionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunOptionsError';
  }
}

export function parseRunOptions(input: RunOptionsInput): RunOptions {
  const r = runOptionsSchema.safeParse(input);
  if (!r.success) {
    throw new RunOptionsError(r.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; '));
  }
  const [i, n] = r.data.shard.split('/').map(Number) as [number, number];
  if (!(n >= 1 && i < n)) throw new RunOptionsError(`--shard ${r.data.shard}: need 0 <= i < n`);
  return r.data;
}

export function shardOf(o: RunOptions): { index: number; count: number } {
  const [index, count] = o.shard.split('/').map(Number) as [number, number];
  return { index, count };
}
