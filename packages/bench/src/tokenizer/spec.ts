/**
 * A tokenizer as data: registry names plus configs for the encoder,
 * quantizer, decoder and (optionally) discriminator, and the loss recipe.
 * This is what `--config FILE` holds and what presets expand to, and it is
 * stored verbatim in every leaderboard row so a run can be reproduced.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { describeUnknownKey, unknownKeys } from '@zoo/core';
import { INIT_SCHEMES } from './init.js';

const component = z.object({
  /** Registry name, e.g. 'conv2d', 'lfq', 'patchgan'. */
  name: z.string().min(1),
  /** Config given to the registry factory (validated by the component's own schema). */
  config: z.record(z.string(), z.unknown()).default({}),
});
export type ComponentSpec = z.output<typeof component>;

export const lossSpecSchema = z.object({
  /** Pixel loss. Default 'l1' (taming-transformers VQGAN; MAGVIT-v2 also uses L1). */
  reconstruction: z.enum(['l1', 'l2']).default('l1'),
  /** Weight of the pixel loss. Default 1. */
  reconstructionWeight: z.number().nonnegative().default(1),
  /** LPIPS weight (taming perceptual_weight 1.0 for VQGAN; 0 = off). Default 0. */
  perceptualWeight: z.number().nonnegative().default(0),
  /** GAN objective. Default 'hinge' (taming VQGAN, MAGVIT). */
  gan: z.enum(['hinge', 'non-saturating']).default('hinge'),
  /** Generator adversarial weight (taming disc_weight). Default 0.8 (taming imagenet config). */
  discWeight: z.number().nonnegative().default(0.8),
  /**
   * Step at which the adversarial terms switch on (taming disc_start). Default
   * 0; the run CLI caps it so short runs still learn reconstruction first.
   */
  discStart: z.number().int().nonnegative().default(0),
  /** VQGAN adaptive weight (‖∇rec‖/‖∇gan‖ at the decoder's last layer). Default true (taming). */
  adaptiveWeight: z.boolean().default(true),
  /** Steps between adaptive-weight refreshes (host-side valueAndGrad). Default 10. */
  adaptiveEvery: z.number().int().positive().default(10),
  /** LeCam regularization weight (MAGVIT 0.001; 0 = off). Default 0. */
  lecamWeight: z.number().nonnegative().default(0),
  /**
   * γ of the R1 gradient penalty on real clips, added to the D loss as γ/2 · R1
   * (StyleGAN2's r1_gamma convention; exact, by double backprop). Default 0 (off;
   * taming's VQGAN and MAGVIT do not use it).
   */
  r1Weight: z.number().nonnegative().default(0),
  /** Discriminator learning rate relative to the generator's. Default 1. */
  discLrScale: z.number().positive().default(1),
});
export type LossSpec = z.output<typeof lossSpecSchema>;

export const tokenizerSpecSchema = z.object({
  /** Display name in the leaderboard. */
  name: z.string().min(1),
  encoder: component,
  /** Default: the encoder's family with the encoder's config (a matching pair). */
  decoder: component.optional(),
  quantizer: component,
  discriminator: component.optional(),
  /** Encoder/decoder parameter init (see init.ts). Default 'kaiming-zero-residual'; 'torch' keeps PyTorch's default. */
  init: z.enum(INIT_SCHEMES).default('kaiming-zero-residual'),
  losses: lossSpecSchema.default(lossSpecSchema.parse({})),
});
export type TokenizerSpec = z.output<typeof tokenizerSpecSchema>;
export type TokenizerSpecInput = z.input<typeof tokenizerSpecSchema>;

export class TokenizerSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenizerSpecError';
  }
}

/** Validates a spec; the error names each bad field. */
export function parseTokenizerSpec(value: unknown, where = 'tokenizer spec'): TokenizerSpec {
  // A misspelled key would otherwise be dropped and its default trained, with the typo recorded as applied.
  const unknown = unknownKeys(tokenizerSpecSchema, value);
  if (unknown.length) {
    throw new TokenizerSpecError(`${where} is invalid: ${unknown.map((u) => `${[...u.path, u.key].join('.')}: ${describeUnknownKey(u)}`).join('; ')}`);
  }
  const r = tokenizerSpecSchema.safeParse(value);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => `${i.path.join('.') || '(spec)'}: ${i.message}`).join('; ');
  throw new TokenizerSpecError(`${where} is invalid: ${issues}`);
}

/** A `--config FILE`: one spec object or an array of them. */
export function loadTokenizerSpecs(path: string): TokenizerSpec[] {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new TokenizerSpecError(`cannot read tokenizer config ${path}: ${(e as Error).message}`);
  }
  const list = Array.isArray(raw) ? raw : [raw];
  if (list.length === 0) throw new TokenizerSpecError(`tokenizer config ${path} holds an empty list: give one spec object or a non-empty array of them`);
  return list.map((v, i) => parseTokenizerSpec(v, `${path}[${i}]`));
}
