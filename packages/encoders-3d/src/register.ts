/**
 * Registry entries: `create('encoder', 'causal3d', {...})` etc. Importing
 * @zoo/encoders-3d registers all six (encoder and decoder of each family).
 */
import { register, registry } from '@zoo/core';
import { causal3dConfigSchema, conv2dConfigSchema, inflated3dConfigSchema } from './config.js';
import type { Causal3dConfig, Conv2dConfig, Inflated3dConfig } from './config.js';
import {
  Causal3dDecoder,
  Causal3dEncoder,
  Conv2dDecoder,
  Conv2dEncoder,
  Inflated3dDecoder,
  Inflated3dEncoder,
} from './models.js';

declare module '@zoo/core' {
  interface ComponentTypes {
    'encoder:conv2d': { config: Conv2dConfig; instance: Conv2dEncoder };
    'decoder:conv2d': { config: Conv2dConfig; instance: Conv2dDecoder };
    'encoder:inflated3d': { config: Inflated3dConfig; instance: Inflated3dEncoder };
    'decoder:inflated3d': { config: Inflated3dConfig; instance: Inflated3dDecoder };
    'encoder:causal3d': { config: Causal3dConfig; instance: Causal3dEncoder };
    'decoder:causal3d': { config: Causal3dConfig; instance: Causal3dDecoder };
  }
}

const conv2dRef = 'Esser et al. 2021 (VQGAN), CompVis/taming-transformers';
const inflatedRef = 'Yu et al. 2023 (MAGVIT), google-research/magvit';
const causalRef = 'Yu et al. 2024 (MAGVIT-v2), lucidrains/magvit2-pytorch';

/** Idempotent: a second import (e.g. two copies of the module in jest) does not throw. */
export function registerEncoders(): void {
  if (registry.has('encoder', 'conv2d')) return;
  register('encoder', 'conv2d', (c) => new Conv2dEncoder(c), {
    schema: conv2dConfigSchema,
    description: 'VQGAN ResNet encoder, applied per frame to images and videos',
    reference: conv2dRef,
  });
  register('decoder', 'conv2d', (c) => new Conv2dDecoder(c), {
    schema: conv2dConfigSchema,
    description: 'VQGAN ResNet decoder, applied per frame',
    reference: conv2dRef,
  });
  register('encoder', 'inflated3d', (c) => new Inflated3dEncoder(c), {
    schema: inflated3dConfigSchema,
    description: '3D ResNet encoder with separate temporal/spatial downsampling, inflatable from conv2d',
    reference: inflatedRef,
  });
  register('decoder', 'inflated3d', (c) => new Inflated3dDecoder(c), {
    schema: inflated3dConfigSchema,
    description: '3D ResNet decoder, inflatable from conv2d',
    reference: inflatedRef,
  });
  register('encoder', 'causal3d', (c) => new Causal3dEncoder(c), {
    schema: causal3dConfigSchema,
    description: 'causal 3D ResNet encoder: 1+4k frames -> 1+k latents, images as 1-frame videos',
    reference: causalRef,
  });
  register('decoder', 'causal3d', (c) => new Causal3dDecoder(c), {
    schema: causal3dConfigSchema,
    description: 'causal 3D ResNet decoder with depth-to-space upsampling',
    reference: causalRef,
  });
}
