/**
 * torch.nn.Embedding: a `weight` table [num, dim]; int32 indices of any shape
 * -> [...indices, dim]. Init N(0, 1), PyTorch's default (VideoGPT's token and
 * position embeddings are nn.Embedding / nn.Parameter tables of this kind).
 * Rows are picked with `ops.gather`, whose gradient is a scatter-add into the
 * table on both engines.
 */
import type { Ops, Tensor } from '../ops.js';
import { HostTensor } from '../tensor.js';
import type { Rng } from '../util/rng.js';
import { initRng } from './init.js';
import { Module } from './module.js';
import type { Variable } from './variable.js';

export interface EmbeddingOptions {
  /** Std of the N(0, std) init. Default 1 (torch.nn.Embedding). */
  initStd?: number;
  rng?: Rng;
}

export class Embedding extends Module {
  readonly weight: Variable;

  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    opts: EmbeddingOptions = {},
  ) {
    super();
    if (!Number.isInteger(numEmbeddings) || numEmbeddings < 1 || !Number.isInteger(embeddingDim) || embeddingDim < 1) {
      throw new RangeError(`Embedding: numEmbeddings (${numEmbeddings}) and embeddingDim (${embeddingDim}) must be positive integers`);
    }
    const data = new Float32Array(numEmbeddings * embeddingDim);
    initRng(opts.rng).fillNormal(data, 0, opts.initStd ?? 1);
    this.weight = this.param('weight', new HostTensor([numEmbeddings, embeddingDim], data, 'float32'));
  }

  /** Rows of the table for int32 `indices` (values in [0, numEmbeddings); out-of-range values are not checked on the device). */
  forward(ops: Ops, indices: Tensor): Tensor {
    if (indices.dtype !== 'int32') {
      throw new TypeError(`Embedding(${this.numEmbeddings}, ${this.embeddingDim}): expected int32 indices, got ${indices.dtype} [${indices.shape.join(', ')}]`);
    }
    return ops.gather(ops.variable(this.weight), indices, 0);
  }
}
