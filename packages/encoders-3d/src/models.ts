/**
 * One encoder and one decoder class per family. The inflated 3-D pair
 * (MAGVIT-v1-style) adds `inflateFrom2d`, which loads a trained conv2d
 * (VQGAN) state dict.
 */
import type { HostTensor, Shape } from '@zoo/core';
import { VideoDecoder, VideoEncoder, type FamilyInput } from './autoencoder.js';
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
