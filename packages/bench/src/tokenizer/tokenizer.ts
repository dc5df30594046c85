/**
 * A trainable tokenizer assembled from registry names: encoder -> quantizer
 * -> decoder as one Module (state-dict keys `encoder.*`, `quantizer.*`,
 * `decoder.*`), plus an optional discriminator kept apart (it has its own
 * optimizer and is not part of the exported tokenizer).
 *
 * Pixel convention inside the model: channels-first [B, 3, T, H, W] in
 * [-1, 1] (taming / MAGVIT). Datasets hand over [B, T, H, W, 3] in [0, 1];
 * `toModel` / `toPixels` convert inside the traced graphs.
 */
import { createDynamic, Module, ShapeError, type Ops, type Shape, type Tensor, type Variable } from '@zoo/core';
import '@zoo/encoders-3d';
import { DECODER_SEED_SALT } from '@zoo/encoders-3d';
import '@zoo/quantizers';
import '@zoo/discriminators';
import type { TrainableQuantizer } from '@zoo/quantizers';
import type { TokenizerSpec } from './spec.js';
import { TokenizerSpecError } from './spec.js';
import { initCodecModule } from './init.js';

/** What the trainer needs from an encoder or decoder (the @zoo/encoders-3d classes satisfy it). */
export interface CodecModule extends Module {
  forward(ops: Ops, x: Tensor): Tensor;
}

/** The quantizer contract, with the VQ kinds' optional host-side hooks (@zoo/quantizers). */
export type QuantizerModule = TrainableQuantizer;

export interface DiscriminatorModule extends Module {
  forward(ops: Ops, video: Tensor): Tensor;
}

/** Dataset batch [B, T, H, W, 3] in [0, 1] -> model input [B, 3, T, H, W] in [-1, 1]. */
export function toModel(ops: Ops, x: Tensor): Tensor {
  if (x.shape.length !== 5 || x.shape[4] !== 3) throw new ShapeError('tokenizer input', '[B, T, H, W, 3]', x.shape);
  return ops.sub(ops.mul(ops.transpose(x, [0, 4, 1, 2, 3]), 2), 1);
}

/** Model output [B, 3, T, H, W] in [-1, 1] -> [B, T, H, W, 3] in [0, 1], clamped. */
export function toPixels(ops: Ops, y: Tensor): Tensor {
  return ops.clip(ops.mul(ops.add(ops.transpose(y, [0, 2, 3, 4, 1]), 1), 0.5), 0, 1);
}

function build<T>(kind: 'encoder' | 'decoder' | 'quantizer' | 'discriminator', name: string, config: unknown): T {
  try {
    return createDynamic(kind, name, config) as T;
  } catch (e) {
    throw new TokenizerSpecError(`cannot build ${kind} '${name}': ${(e as Error).message}`);
  }
}

export class Tokenizer extends Module {
  readonly encoder: CodecModule;
  readonly quantizer: QuantizerModule;
  readonly decoder: CodecModule;
  readonly discriminator: DiscriminatorModule | undefined;

  constructor(readonly spec: TokenizerSpec) {
    super();
    const dec = spec.decoder ?? spec.encoder;
    this.encoder = this.child('encoder', build<CodecModule>('encoder', spec.encoder.name, spec.encoder.config));
    this.quantizer = this.child('quantizer', build<QuantizerModule>('quantizer', spec.quantizer.name, spec.quantizer.config));
    this.decoder = this.child('decoder', build<CodecModule>('decoder', dec.name, dec.config));
    const seed = Number((spec.encoder.config as { seed?: unknown }).seed ?? 0);
    initCodecModule(this.encoder, spec.init, seed);
    initCodecModule(this.decoder, spec.init, seed ^ DECODER_SEED_SALT);
    // Naming the tree now: engines key graph inputs and optimizer slots by Variable.key.
    this.namedVariables();
    this.discriminator = spec.discriminator
      ? build<DiscriminatorModule>('discriminator', spec.discriminator.name, spec.discriminator.config)
      : undefined;
    this.discriminator?.namedVariables('discriminator.');
  }

  /** Model-space reconstruction plus the quantizer's outputs. */
  forward(ops: Ops, x: Tensor): { recon: Tensor; z: Tensor; indices: Tensor; qloss: Tensor; breakdown: Record<string, Tensor> } {
    const z = this.encoder.forward(ops, x);
    const q = this.quantizer.forward(ops, z);
    return { recon: this.decoder.forward(ops, q.quantized), z, indices: q.indices, qloss: q.loss, breakdown: q.breakdown };
  }

  encode(ops: Ops, x: Tensor): Tensor {
    return this.quantizer.forward(ops, this.encoder.forward(ops, x)).indices;
  }

  decode(ops: Ops, indices: Tensor): Tensor {
    return this.decoder.forward(ops, this.quantizer.indicesToCodes(ops, indices));
  }

  /** Trainable generator parameters (encoder, quantizer, decoder). */
  generatorParams(): Variable[] {
    return this.parameters();
  }

  /** The weight of the decoder's last conv (the VQGAN adaptive-weight layer): the last trainable 4-D/5-D decoder weight. */
  lastDecoderLayer(): Variable | undefined {
    const ws = this.decoder.namedVariables('decoder.').filter(([k, v]) => v.trainable && k.endsWith('weight') && v.shape.length >= 4);
    return ws.at(-1)?.[1];
  }

  /** Per-clip token grid and codebook sizes, from a traced or concrete index shape [B, ...grid(, L)]. */
  rateOf(indexShape: Shape): { tokenShape: number[]; codebookSizes: number[] } {
    const r = this.quantizer.rate();
    const grid = indexShape.slice(1);
    return { tokenShape: r.indexAxis ? grid.slice(0, -1) : grid, codebookSizes: r.codebookSizes };
  }
}
