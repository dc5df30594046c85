/** Registers the `discriminator` kinds of @zoo/discriminators in core's registry (on import). */
import { registry, type Registry } from '@zoo/core';
import { z } from 'zod';
import { FrameDiscriminator } from './frame-discriminator.js';
import { PatchGAN, type PatchGanNorm } from './patchgan.js';
import { StyleGan3dDiscriminator, type StyleGan3dNorm } from './stylegan3d.js';

export interface PatchGanResolvedConfig {
  inChannels: number;
  ndf: number;
  nLayers: number;
  norm: PatchGanNorm;
  seed: number;
}

export interface StyleGan3dResolvedConfig {
  inChannels: number;
  frames: number;
  height: number;
  width: number;
  filters: number;
  channelMultipliers: number[];
  norm: StyleGan3dNorm;
  seed: number;
}

export interface FramePatchGanResolvedConfig extends PatchGanResolvedConfig {
  framesPerVideo: number;
}

declare module '@zoo/core' {
  interface ComponentTypes {
    'discriminator:patchgan': { config: PatchGanResolvedConfig; instance: PatchGAN };
    'discriminator:stylegan3d': { config: StyleGan3dResolvedConfig; instance: StyleGan3dDiscriminator };
    'discriminator:frame-patchgan': { config: FramePatchGanResolvedConfig; instance: FrameDiscriminator };
  }
}

const pos = () => z.number().int().min(1);
const patchganFields = {
  inChannels: pos().default(3),
  ndf: pos().default(64),
  nLayers: pos().default(3),
  norm: z.enum(['batch', 'group', 'none']).default('batch'),
  seed: z.number().int().default(0),
};

/** Registers the `discriminator` kinds into `target` (default: the process-wide registry). Idempotent per component (`Registry.ensure`). */
export function registerDiscriminators(target: Registry = registry): void {
  target.ensure('discriminator', 'patchgan', (c) => new PatchGAN(c), {
    schema: z.object(patchganFields).strict(),
    description: 'PatchGAN (NLayerDiscriminator): 4x4 convs, LeakyReLU 0.2, batch/group/no norm, per-patch logits',
    reference: 'CompVis/taming-transformers NLayerDiscriminator, weights_init',
  });
  target.ensure('discriminator', 'stylegan3d', (c) => new StyleGan3dDiscriminator(c), {
    schema: z
      .object({
        inChannels: pos().default(3),
        frames: pos().default(16),
        height: pos().default(64),
        width: pos().default(64),
        filters: pos().default(64),
        channelMultipliers: z.array(pos()).min(1).default([2, 4, 4, 4, 4]),
        norm: z.enum(['none', 'group', 'layer']).default('none'),
        seed: z.number().int().default(0),
      })
      .strict(),
    description: "MAGVIT's 3D StyleGAN discriminator: residual blocks with 2x2x2 average-pool downsampling, dense head",
    reference: 'google-research/magvit stylegan_discriminator_3d.py',
  });
  target.ensure('discriminator', 'frame-patchgan', (c) => new FrameDiscriminator(new PatchGAN(c), c.framesPerVideo), {
    schema: z.object({ ...patchganFields, framesPerVideo: pos().default(1) }).strict(),
    description: 'PatchGAN applied to sampled frames of a video (magvit2-pytorch pick_video_frame)',
    reference: 'lucidrains/magvit2-pytorch pick_video_frame',
  });
}
