/**
 * Options of `zoo tokenizers` (the `pnpm bench tokenizers` job) with their
 * defaults. The defaults are the measured CPU budget: four quantizers on the
 * `vqgan` preset's encoder (f2 at this size), synthetic clips of 17 frames
 * (MAGVIT / MAGVIT-v2's clip length) at 16x16, batch 2 (34 frames per step),
 * 1300 steps each at peak lr 2e-3, 32 eval clips: 9 min 55 s on the 2-core
 * dev machine, mean-frame baseline 18.94 dB, vq 22.22, fsq 21.10, cosine-vq
 * 21.03, lfq 19.94 dB (notes of issue #8).
 *
 * Why: with 8-frame clips the baseline was 21.3 dB, and 8 binary codes (lfq
 * at 2^8; fsq with levels [2]*8 gets 19.5) stayed near 20 dB whatever the
 * entropy / commitment weights, lr, betas or width, while a near-continuous
 * bottleneck reached 23.5 dB: the budget bounds them, not the quantizer
 * code. 17 frames is the standard clip length. Learning rate: 5e-3
 * diverged, 4e-4 learns too slowly.
 */
import { z } from 'zod';
import { unknownKeys } from '@zoo/core';
import { SSIM_MIN_SIDE } from '../metrics/ssim.js';
import { DATASET_NAMES } from './datasets.js';
import { resolveShard, type Shard } from './shard.js';
import { RunOptionsError } from '../util/errors.js';
import { parsePriorConfig, priorConfigSchema, type PriorConfig } from '../prior/config.js';

export const DEFAULT_QUANTIZERS = ['vq', 'cosine-vq', 'lfq', 'fsq'] as const;

/**
 * Default prior steps, sized from the step cost (not a timed run): on the
 * default run's 17x8x8 = 1088-token grid, one step of the default prior
 * (batch 4) cost about 1 s on the 2-core dev box while other jobs loaded it
 * (load average ~5), so 60 steps plus encoding the prior's train clips and
 * scoring the eval clips add well under a minute per tokenizer, under 30% of
 * the ~11 min default run for 4 tokenizers. Enough to learn the code
 * frequencies and local structure, not a converged generative model:
 * compare tokenizers at equal prior steps, not against published NLLs.
 */
export const DEFAULT_PRIOR_STEPS = 60;

export const runOptionsSchema = z.object({
  dataset: z.enum(DATASET_NAMES).default('synthetic'),
  dataDir: z.string().min(1).optional(),
  /** UCF-101 official split (1, 2 or 3). Default 1, the one papers report. */
  split: z.union([z.literal(1), z.literal(2), z.literal(3)]).default(1),
  /**
   * Allow scoring on clips the tokenizers trained on when no disjoint split
   * exists (a UCF-101 copy without train-list videos, a folder of one file).
   * Default false: such a run fails with the reason; when allowed, every row
   * is marked "evaluated on training clips".
   */
  allowEvalOnTrain: z.boolean().default(false),
  /** Pad videos shorter than a clip by repeating their last frame (marked in the rows). Default false: skipped and counted. */
  padShort: z.boolean().default(false),
  /** Preset names, `onnx:encode.onnx,decode.onnx` for an external tokenizer, or `pretrained:KIND:PATH` for a published checkpoint. Default ['vqgan']. */
  tokenizers: z.array(z.string().min(1)).min(1).default(['vqgan']),
  /** JSON tokenizer spec file(s), used instead of presets. */
  config: z.string().min(1).optional(),
  /** Quantizers swapped into every tokenizer; default vq, cosine-vq, lfq, fsq (when no --config and a single preset). */
  quantizers: z.array(z.string().min(1)).min(1).optional(),
  /** Codes per codebook; a list sweeps codebook sizes (one entry per size). Default 256. */
  codebookSize: z.union([z.number().int().min(2), z.array(z.number().int().min(2)).min(1)]).default(256),
  steps: z.number().int().min(1).default(1300),
  batch: z.number().int().min(1).default(2),
  frames: z.number().int().min(1).default(17),
  resolution: z.number().int().min(SSIM_MIN_SIDE, `must be at least ${SSIM_MIN_SIDE} (SSIM's 11x11 window)`).default(16),
  lr: z.number().positive().default(2e-3),
  engine: z.enum(['onnx', 'tfjs']).default('onnx'),
  /** Where the engine runs: cpu (default), cuda (onnx: `pnpm install:cuda`; tfjs: tfjs-node-gpu), webgpu (onnx only: Vulkan, see the README). */
  device: z.enum(['cpu', 'cuda', 'webgpu']).default('cpu'),
  evalClips: z.number().int().min(1).default(32),
  out: z.string().min(1).default('bench-out'),
  /**
   * `i/n`: this process runs work units i, i+n, i+2n, ... (0-based) of the
   * sweep; `auto` reads i and n from a Kubernetes Indexed Job or a Slurm job
   * array (see shard.ts). Default '0/1' (everything).
   */
  shard: z.string().regex(/^(\d+\/\d+|auto)$/, 'expected i/n (e.g. 0/4) or auto').default('0/1'),
  /** Shard count for `--shard auto` where the scheduler does not say it (Kubernetes). */
  shardCount: z.number().int().min(1).optional(),
  /**
   * Seed of model init and host-side training randomness; a list sweeps seeds
   * (one entry per seed). The data (clips, their order) always uses the first. Default 0.
   */
  seed: z.union([z.number().int().min(0), z.array(z.number().int().min(0)).min(1)]).default(0),
  resume: z.boolean().default(false),
  checkpointEvery: z.number().int().min(0).default(50),
  evalEvery: z.number().int().min(0).default(0),
  /**
   * Adversarial training starts at this step. Default (presets): 3/4 of the
   * steps for runs of at least GAN_MIN_STEPS steps, otherwise never (see
   * defaultDiscStart); JSON configs keep their own unless this is given.
   */
  discStart: z.number().int().min(0).optional(),
  fvdModel: z.string().min(1).optional(),
  /** Inception-style ONNX network for FID over single frames (unavailable without it). */
  fidModel: z.string().min(1).optional(),
  /** Decode cache for video datasets. */
  cacheDir: z.string().min(1).optional(),
  /**
   * Steps of the token prior trained on each tokenizer's train-clip tokens
   * (prior NLL in bits per token / per video on the eval clips); 0 turns the
   * prior off. Default DEFAULT_PRIOR_STEPS (see there for the budget).
   */
  priorSteps: z.number().int().min(0).default(DEFAULT_PRIOR_STEPS),
  /** The prior's architecture and optimizer (prior/config.ts; every key optional, defaults stated there). */
  prior: priorConfigSchema.partial().optional(),
});
export type RunOptions = z.output<typeof runOptionsSchema>;
export type RunOptionsInput = z.input<typeof runOptionsSchema>;

export { RunOptionsError };

/**
 * Shortest run whose presets switch the GAN on by default. taming's VQGAN
 * starts its discriminator after tens of thousands of steps; in a CPU-budget
 * run the GAN phase only costs reconstruction quality: measured on the
 * default run (vqgan+vq, 1000 steps, GAN from step 750), the L1 loss rose
 * from 0.111 to 0.13-0.19 once the GAN started and the run ended 0.9 dB
 * under the mean-frame baseline.
 */
export const GAN_MIN_STEPS = 4000;

/** Default `discStart` for presets: 3/4 of the steps from GAN_MIN_STEPS steps, else `steps` (no GAN phase). */
export function defaultDiscStart(steps: number): number {
  return steps >= GAN_MIN_STEPS ? Math.floor(steps * 0.75) : steps;
}

/** The command-line flag of an option, as the user types it: evalClips -> --eval-clips. */
export function flagName(option: string): string {
  return `--${option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

export function parseRunOptions(input: RunOptionsInput): RunOptions {
  const unknown = unknownKeys(runOptionsSchema, input);
  if (unknown.length) {
    throw new RunOptionsError(unknown.map((u) => `${flagName(u.key)}: unknown option${u.suggestion ? ` (did you mean ${flagName(u.suggestion)}?)` : ''}`).join('; '));
  }
  const r = runOptionsSchema.safeParse(input);
  if (!r.success) {
    throw new RunOptionsError(r.error.issues.map((i) => `${flagName(String(i.path[0] ?? ''))}${i.path.length > 1 ? `[${i.path.slice(1).join('.')}]` : ''}: ${i.message}`).join('; '));
  }
  priorConfigOf(r.data); // heads must divide dim: fails before any work
  if (r.data.engine === 'tfjs' && r.data.device === 'webgpu') {
    throw new RunOptionsError('--device webgpu runs on --engine onnx only (tfjs\'s WebGPU backend needs a browser)');
  }
  shardOf(r.data); // fails now, before any work, when --shard auto finds no scheduler
  if (r.data.config && !r.data.quantizers && codebookSizesOf(r.data).length > 1) {
    throw new RunOptionsError('--codebook-size: a list of sizes needs --quantizers (a --config spec keeps its own quantizer config)');
  }
  // Only presets get the default: a JSON config's own discStart stands unless --disc-start is given.
  if (r.data.discStart === undefined && !r.data.config) return { ...r.data, discStart: defaultDiscStart(r.data.steps) };
  return r.data;
}

/** This process's shard (`--shard i/n`, or `auto` from the scheduler's environment). */
export function shardOf(o: Pick<RunOptions, 'shard' | 'shardCount'>, env: Readonly<Record<string, string | undefined>> = process.env): Shard {
  return resolveShard(o.shard, env, o.shardCount);
}

const asList = <T>(v: T | readonly T[]): T[] => (Array.isArray(v) ? [...(v as readonly T[])] : [v as T]);

/** The codebook sizes of the sweep (one, unless --codebook-size lists several). */
export function codebookSizesOf(o: Pick<RunOptions, 'codebookSize'>): number[] {
  return asList(o.codebookSize);
}

/** The seeds of the sweep; the first also seeds the data. */
export function seedsOf(o: Pick<RunOptions, 'seed'>): number[] {
  return asList(o.seed);
}

/** The resolved prior config of a run (defaults filled in). */
export function priorConfigOf(o: Pick<RunOptions, 'prior'>): PriorConfig {
  return parsePriorConfig(o.prior ?? {});
}
