/**
 * What one encoder family is, in one place: its config schema (defaults
 * included), its conv kit, how it compresses time, which input lengths it
 * takes, and its registry text. The shared ResNet body (backbone.ts) and the
 * VideoEncoder / VideoDecoder classes read only this, so a new family is one
 * file exporting a `FamilySpec` plus its entry in `FAMILIES` (index.ts).
 */
import { z } from 'zod';
import type { ConvKit, NormSettings } from '../kits.js';

const isPow2 = (n: number) => n >= 1 && (n & (n - 1)) === 0;

/** Fields every family's config has (the body's widths, norm and seed). */
export const commonFields = {
  /** Image channels. Default 3 (RGB). */
  channels: z.number().int().positive().default(3),
  /** Base width. */
  ch: z.number().int().positive(),
  /** Width multiplier per resolution level. */
  chMult: z.array(z.number().int().positive()).min(1),
  /** Res blocks per level (the decoder has one more, as in taming). */
  numResBlocks: z.number().int().min(1),
  /** Latent channels (the quantizer's dim). */
  zChannels: z.number().int().positive(),
  /** VQGAN attention at the lowest level and in the mid block. */
  attention: z.boolean(),
  /** GroupNorm groups; lowered to the largest divisor of a layer's channels. Default 32 (taming). */
  normGroups: z.number().int().positive().default(32),
  /** GroupNorm eps. Default 1e-6 (taming Normalize). */
  normEps: z.number().positive().default(1e-6),
  /** Spatial compression (power of 2, at most 2^(levels-1)); default 2^(levels-1). */
  spatialCompression: z.number().int().positive().optional(),
  /** Seed of the parameter init. Default 0. */
  seed: z.number().int().default(0),
};

/** The parsed fields every family shares. */
export interface CommonConfig {
  channels: number;
  ch: number;
  chMult: number[];
  numResBlocks: number;
  zChannels: number;
  attention: boolean;
  normGroups: number;
  normEps: number;
  spatialCompression?: number | undefined;
  seed: number;
}

/** Refinement shared by all schemas: compressions are powers of 2 the levels can reach. */
export function checkCompression(
  cfg: { chMult: number[]; spatialCompression?: number | undefined; temporalCompression?: number },
  ctx: z.RefinementCtx,
): void {
  const maxDown = cfg.chMult.length - 1;
  for (const [field, v] of [['spatialCompression', cfg.spatialCompression], ['temporalCompression', cfg.temporalCompression]] as const) {
    if (v === undefined) continue;
    if (!isPow2(v) || Math.log2(v) > maxDown) {
      ctx.addIssue({
        code: 'custom',
        path: [field],
        message: `must be a power of 2 no larger than 2^(chMult.length-1) = ${2 ** maxDown}`,
      });
    }
  }
}

/** How a family maps input frames to latent frames and back. */
export interface FrameRule {
  /** Latent frames for `frames` input frames, or undefined if the family cannot take that length. */
  latentFrames(tc: number, frames: number): number | undefined;
  /** Output frames the decoder produces for `latent` latent frames. */
  decodedFrames(tc: number, latent: number): number;
  /** The accepted lengths, for error messages (tc > 1). */
  describe(tc: number): string;
}

/** T = tc·k frames → k latents (2-D and inflated 3-D families). */
export const divisibleFrames: FrameRule = {
  latentFrames: (tc, frames) => (frames % tc === 0 ? frames / tc : undefined),
  decodedFrames: (tc, latent) => latent * tc,
  describe: (tc) => `T divisible by ${tc}`,
};

/** T = 1 + tc·k frames → 1 + k latents (causal families: the first frame alone). */
export const causalFrames: FrameRule = {
  latentFrames: (tc, frames) => ((frames - 1) % tc === 0 ? 1 + (frames - 1) / tc : undefined),
  decodedFrames: (tc, latent) => 1 + (latent - 1) * tc,
  describe: (tc) => `T = 1 + ${tc}k`,
};

export interface FamilySpec<S extends z.ZodType<CommonConfig> = z.ZodType<CommonConfig>> {
  /** Parses a (partial) config and fills the family's defaults. */
  readonly schema: S;
  /** True when the body is 2-D and videos run frame by frame (frames folded into the batch). */
  readonly perFrame: boolean;
  /** Frames per latent frame (1 for a per-frame family). */
  temporalCompression(cfg: z.output<S>): number;
  /** The layers that differ between families (see kits.ts). */
  kit(cfg: z.output<S>, norm: NormSettings): ConvKit;
  readonly frames: FrameRule;
  /** Whether a 4-D latent [B, Z, h, w] (an image's) can be decoded at this temporal compression. */
  decodes4dLatent(tc: number): boolean;
  /** `zoo registry list` text. */
  readonly registration: { encoder: string; decoder: string; reference: string };
  /** The CPU-scale preset `benchEncoders` times for this family. */
  readonly benchPreset: string;
}
