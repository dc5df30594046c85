/**
 * Named encoder and decoder classes of the built-in families. A family needs
 * none: registration falls back to `VideoEncoder`/`VideoDecoder` of its name.
 * The inflated 3-D pair (MAGVIT-v1-style) adds `inflateFrom2d`, which loads a
 * trained conv2d (VQGAN) state dict.
 */
import type { HostTensor, Shape } from '@zoo/core';
import { VideoDecoder, VideoEncoder } from './autoencoder.js';
import type { EncoderFamily, FamilyInput } from './families/index.js';
import { inflateStateDict, type InflationMode } from './inflate.js';

function targetShapes(m: VideoEncoder | VideoDecoder): Record<string, Shape> {
  return Object.fromEntries(m.namedVariables().map(([k, v]) => [k, v.shape]));
}

export class Inflated3dEncoder extends VideoEncoder<'inflated3d'> {
  constructor(config?: FamilyInput<'inflated3d'>) {
    super('inflated3d', config);
  }
  /** Replaces this model's weights with the inflated 2-D ones (see inflate.ts for the modes). */
  inflateFrom2d(state2d: Record<string, HostTensor>, mode: InflationMode = 'central'): this {
    this.loadStateDict(inflateStateDict(state2d, targetShapes(this), mode));
    return this;
  }
}

export class Inflated3dDecoder extends VideoDecoder<'inflated3d'> {
  constructor(config?: FamilyInput<'inflated3d'>) {
    super('inflated3d', config);
  }
  inflateFrom2d(state2d: Record<string, HostTensor>, mode: InflationMode = 'central'): this {
    this.loadStateDict(inflateStateDict(state2d, targetShapes(this), mode));
    return this;
  }
}

export class Conv2dEncoder extends VideoEncoder<'conv2d'> {
  constructor(config?: FamilyInput<'conv2d'>) {
    super('conv2d', config);
  }
}

export class Conv2dDecoder extends VideoDecoder<'conv2d'> {
  constructor(config?: FamilyInput<'conv2d'>) {
    super('conv2d', config);
  }
}

export class Causal3dEncoder extends VideoEncoder<'causal3d'> {
  constructor(config?: FamilyInput<'causal3d'>) {
    super('causal3d', config);
  }
}

export class Causal3dDecoder extends VideoDecoder<'causal3d'> {
  constructor(config?: FamilyInput<'causal3d'>) {
    super('causal3d', config);
  }
}

/** The classes `create('encoder' | 'decoder', family)` builds; families not listed get the generic ones. */
export const familyClasses = {
  conv2d: { encoder: Conv2dEncoder, decoder: Conv2dDecoder },
  inflated3d: { encoder: Inflated3dEncoder, decoder: Inflated3dDecoder },
  causal3d: { encoder: Causal3dEncoder, decoder: Causal3dDecoder },
} satisfies Partial<{ [F in EncoderFamily]: { encoder: new (c?: FamilyInput<F>) => VideoEncoder<F>; decoder: new (c?: FamilyInput<F>) => VideoDecoder<F> } }>;
