/**
 * conv2d: the VQGAN ResNet encoder/decoder run per frame. Defaults follow
 * taming-transformers VQGAN f16 (configs/imagenet_vqgan.yaml: ch 128,
 * ch_mult [1,1,2,2,4], num_res_blocks 2, z_channels 256, attention at the
 * lowest resolution, GroupNorm(32, eps 1e-6)).
 */
import { z } from 'zod';
import { kit2d } from '../kits.js';
import { checkCompression, commonFields, divisibleFrames, type FamilySpec } from './spec.js';

export const conv2dConfigSchema = z
  .object({
    ...commonFields,
    ch: commonFields.ch.default(128),
    chMult: commonFields.chMult.default([1, 1, 2, 2, 4]),
    numResBlocks: commonFields.numResBlocks.default(2),
    zChannels: commonFields.zChannels.default(256),
    attention: commonFields.attention.default(true),
  })
  .superRefine(checkCompression);
export type Conv2dConfig = z.output<typeof conv2dConfigSchema>;

export const conv2dFamily = {
  schema: conv2dConfigSchema,
  perFrame: true,
  temporalCompression: () => 1,
  kit: (_cfg, norm) => kit2d(norm),
  frames: divisibleFrames,
  decodes4dLatent: () => true,
  registration: {
    encoder: 'VQGAN ResNet encoder, applied per frame to images and videos',
    decoder: 'VQGAN ResNet decoder, applied per frame',
    reference: 'Esser et al. 2021 (VQGAN), CompVis/taming-transformers',
  },
  benchPreset: 'vqgan-small',
} as const satisfies FamilySpec<typeof conv2dConfigSchema>;
