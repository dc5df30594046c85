/**
 * Configs of the three families, as zod schemas (defaults live here and are
 * what `create('encoder', name)` fills in). Encoder and decoder of a family
 * take the same config, so a pair built from one config fits together.
 *
 * Defaults:
 * - conv2d: taming-transformers VQGAN f16 (configs/imagenet_vqgan.yaml:
 *   ch 128, ch_mult [1,1,2,2,4], num_res_blocks 2, z_channels 256,
 *   attention at the lowest resolution, GroupNorm(32, eps 1e-6)).
 * - inflated3d: MAGVIT-B 3D-VQ (arXiv 2212.05199; google-research/magvit
 *   configs: filters 64, channel_multipliers [1,2,2,4], num_res_blocks 2,
 *   embedding_dim 256, 4x8x8 compression, no attention).
 * - causal3d: MAGVIT-v2 (arXiv 2310.05737, appendix architecture: filters
 *   128, multipliers [1,2,2,4], 4 res blocks, 4x8x8, LFQ dim 18 = 2^18
 *   codes, no attention);
 *   temporal padding 'constant' like magvit2-pytorch's CausalConv3d default.
 */
import { z } from 'zod';

const isPow2 = (n: number) => n >= 1 && (n & (n - 1)) === 0;

const common = {
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

function checkCompression(
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

export const conv2dConfigSchema = z
  .object({
    ...common,
    ch: common.ch.default(128),
    chMult: common.chMult.default([1, 1, 2, 2, 4]),
    numResBlocks: common.numResBlocks.default(2),
    zChannels: common.zChannels.default(256),
    attention: common.attention.default(true),
  })
  .superRefine(checkCompression);
export type Conv2dConfig = z.output<typeof conv2dConfigSchema>;

export const inflated3dConfigSchema = z
  .object({
    ...common,
    ch: common.ch.default(64),
    chMult: common.chMult.default([1, 2, 2, 4]),
    numResBlocks: common.numResBlocks.default(2),
    zChannels: common.zChannels.default(256),
    attention: common.attention.default(false),
    /** Temporal compression (power of 2), applied at the first levels. Default 4 (MAGVIT 4x8x8). */
    temporalCompression: z.number().int().positive().default(4),
    /** Spatial border of the 3x3x3 convs (time is always zero-padded). Default 'zeros'. */
    spatialPadding: z.enum(['zeros', 'reflect']).default('zeros'),
  })
  .superRefine(checkCompression);
export type Inflated3dConfig = z.output<typeof inflated3dConfigSchema>;

export const causal3dConfigSchema = z
  .object({
    ...common,
    ch: common.ch.default(128),
    chMult: common.chMult.default([1, 2, 2, 4]),
    numResBlocks: common.numResBlocks.default(4),
    zChannels: common.zChannels.default(18),
    attention: common.attention.default(false),
    /** Temporal compression (power of 2): 1+tc*k frames -> 1+k latents. Default 4 (MAGVIT-v2). */
    temporalCompression: z.number().int().positive().default(4),
    /**
     * Front temporal padding: 'constant' = zeros (magvit2-pytorch default),
     * 'replicate' = copies of the first frame.
     */
    padMode: z.enum(['constant', 'replicate']).default('constant'),
    /** Spatial border; default the same as padMode (magvit2-pytorch pads all dims with one mode). */
    spatialPadMode: z.enum(['constant', 'replicate', 'reflect']).optional(),
  })
  .superRefine(checkCompression);
export type Causal3dConfig = z.output<typeof causal3dConfigSchema>;

export type EncoderFamily = 'conv2d' | 'inflated3d' | 'causal3d';

export interface FamilyConfigs {
  conv2d: Conv2dConfig;
  inflated3d: Inflated3dConfig;
  causal3d: Causal3dConfig;
}

export const familySchemas = {
  conv2d: conv2dConfigSchema,
  inflated3d: inflated3dConfigSchema,
  causal3d: causal3dConfigSchema,
} as const;
