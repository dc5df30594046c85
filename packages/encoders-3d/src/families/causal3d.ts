/**
 * causal3d: MAGVIT-v2's causal 3-D ResNet (1 + tc·k frames → 1 + k latents,
 * images as 1-frame videos). Defaults follow MAGVIT-v2 (arXiv 2310.05737,
 * appendix architecture: filters 128, multipliers [1,2,2,4], 4 res blocks,
 * 4x8x8, LFQ dim 18 = 2^18 codes, no attention); temporal padding
 * 'constant' like magvit2-pytorch's CausalConv3d default.
 */
import { z } from 'zod';
import { kitCausal } from '../kits.js';
import { causalFrames, checkCompression, commonFields, type FamilySpec } from './spec.js';

export const causal3dConfigSchema = z
  .object({
    ...commonFields,
    ch: commonFields.ch.default(128),
    chMult: commonFields.chMult.default([1, 2, 2, 4]),
    numResBlocks: commonFields.numResBlocks.default(4),
    zChannels: commonFields.zChannels.default(18),
    attention: commonFields.attention.default(false),
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

export const causal3dFamily = {
  schema: causal3dConfigSchema,
  perFrame: false,
  temporalCompression: (cfg) => cfg.temporalCompression,
  kit: (cfg, norm) => kitCausal(cfg.padMode, cfg.spatialPadMode ?? cfg.padMode, norm),
  frames: causalFrames,
  decodes4dLatent: () => true,
  registration: {
    encoder: 'causal 3D ResNet encoder: 1+4k frames -> 1+k latents, images as 1-frame videos',
    decoder: 'causal 3D ResNet decoder with depth-to-space upsampling',
    reference: 'Yu et al. 2024 (MAGVIT-v2), lucidrains/magvit2-pytorch',
  },
  benchPreset: 'magvit2-small',
} as const satisfies FamilySpec<typeof causal3dConfigSchema>;
