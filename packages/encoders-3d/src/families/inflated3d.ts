/**
 * inflated3d: MAGVIT-v1's 3-D ResNet (every 3x3 conv a 3x3x3, resampling in
 * T, H, W), loadable from a conv2d state dict (`inflateFrom2d`, models.ts).
 * Defaults follow MAGVIT-B 3D-VQ (arXiv 2212.05199; google-research/magvit
 * configs: filters 64, channel_multipliers [1,2,2,4], num_res_blocks 2,
 * embedding_dim 256, 4x8x8 compression, no attention).
 */
import { z } from 'zod';
import { kitInflated } from '../kits.js';
import { checkCompression, commonFields, divisibleFrames, type FamilySpec } from './spec.js';

export const inflated3dConfigSchema = z
  .object({
    ...commonFields,
    ch: commonFields.ch.default(64),
    chMult: commonFields.chMult.default([1, 2, 2, 4]),
    numResBlocks: commonFields.numResBlocks.default(2),
    zChannels: commonFields.zChannels.default(256),
    attention: commonFields.attention.default(false),
    /** Temporal compression (power of 2), applied at the first levels. Default 4 (MAGVIT 4x8x8). */
    temporalCompression: z.number().int().positive().default(4),
    /** Spatial border of the 3x3x3 convs (time is always zero-padded). Default 'zeros'. */
    spatialPadding: z.enum(['zeros', 'reflect']).default('zeros'),
  })
  .superRefine(checkCompression);
export type Inflated3dConfig = z.output<typeof inflated3dConfigSchema>;

export const inflated3dFamily = {
  schema: inflated3dConfigSchema,
  perFrame: false,
  temporalCompression: (cfg) => cfg.temporalCompression,
  kit: (cfg, norm) => kitInflated(cfg.spatialPadding, norm),
  frames: divisibleFrames,
  // An image's latent has no time axis to upsample.
  decodes4dLatent: (tc) => tc === 1,
  registration: {
    encoder: '3D ResNet encoder with separate temporal/spatial downsampling, inflatable from conv2d',
    decoder: '3D ResNet decoder, inflatable from conv2d',
    reference: 'Yu et al. 2023 (MAGVIT), google-research/magvit',
  },
  benchPreset: 'magvit-small',
} as const satisfies FamilySpec<typeof inflated3dConfigSchema>;
