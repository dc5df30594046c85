/**
 * Trainer settings (zod, defaults in the schema) and the learning-rate
 * schedule: linear warmup then cosine decay to `minLrRatio` of the peak
 * (the MAGVIT-v2 / Open-MAGVIT2 recipe; taming's VQGAN uses a constant lr,
 * which is `warmupSteps: 0, minLrRatio: 1`).
 */
import { z } from 'zod';

export const trainConfigSchema = z.strictObject({
  /** Optimizer steps. Default 500 (`zoo tokenizers` passes its own budget, 1000, see run/options.ts). */
  steps: z.number().int().min(1).default(500),
  /** Clips per batch. Default 4. */
  batch: z.number().int().min(1).default(4),
  /** 'adam' (taming VQGAN) or 'adamw'. Default 'adam'. */
  optimizer: z.enum(['adam', 'adamw']).default('adam'),
  /** Peak learning rate. Default 1e-3 (small CPU models at batch 4 tolerate it; taming scales 4.5e-6 by batch). */
  lr: z.number().positive().default(1e-3),
  /** Adam β1, β2. Default 0.5, 0.9 (taming-transformers VQGAN and MAGVIT GAN training). */
  beta1: z.number().min(0).max(1).default(0.5),
  beta2: z.number().min(0).max(1).default(0.9),
  /** Weight decay (decoupled for adamw). Default 0. */
  weightDecay: z.number().min(0).default(0),
  /** Linear warmup steps. Default 5% of the steps (computed when undefined). */
  warmupSteps: z.number().int().min(0).optional(),
  /** Final lr as a fraction of the peak at the end of the cosine. Default 0.1. */
  minLrRatio: z.number().min(0).max(1).default(0.1),
  /** Clip the global gradient norm. Default 1.0 (MAGVIT-v2 / Open-MAGVIT2). */
  clipGradNorm: z.number().positive().optional().default(1),
  /** Evaluate PSNR on a few eval clips every N steps (0 = only at the end). Default 0 (the run evaluates at the end). */
  evalEvery: z.number().int().min(0).default(0),
  /** Write a checkpoint every N steps (0 = never). Default 50. */
  checkpointEvery: z.number().int().min(0).default(50),
  /** Checkpoints kept (older ones deleted). Default 2. */
  keepCheckpoints: z.number().int().min(1).default(2),
  /** VQ dead-code restarts every N steps (0 = off). Default 25. */
  restartEvery: z.number().int().min(0).default(25),
  /** Seed of everything host-side (data order, discriminator frames, restarts). Default 0. */
  seed: z.number().int().min(0).default(0),
});
export type TrainConfig = z.output<typeof trainConfigSchema>;
export type TrainConfigInput = z.input<typeof trainConfigSchema>;

export function warmupOf(c: TrainConfig): number {
  return c.warmupSteps ?? Math.round(c.steps * 0.05);
}

/** Learning rate for 0-based step `step`. */
export function learningRate(c: TrainConfig, step: number): number {
  const warm = warmupOf(c);
  if (step < warm) return (c.lr * (step + 1)) / warm;
  const span = Math.max(1, c.steps - warm);
  const t = Math.min(1, (step - warm) / span);
  const cos = 0.5 * (1 + Math.cos(Math.PI * t));
  return c.lr * (c.minLrRatio + (1 - c.minLrRatio) * cos);
}

/** A seed for (base seed, step, purpose): host randomness that is a pure function of the step, so resume replays it. */
export function stepSeed(seed: number, step: number, purpose: number): number {
  // murmur3-style mixing after each word, so (seed, step, purpose) never alias.
  const mix = (h: number, v: number): number => {
    let x = Math.imul((h ^ v) >>> 0, 0x85ebca6b);
    x ^= x >>> 13;
    x = Math.imul(x, 0xc2b2ae35);
    return (x ^ (x >>> 16)) >>> 0;
  };
  return mix(mix(mix(0x9e3779b9, seed), step), purpose);
}
