/**
 * `RandomProjectionQuantizer`: BEST-RQ's target quantizer (Chiu et al. 2022,
 * arXiv 2202.01855), as vector-quantize-pytorch v1.31.0
 * `RandomProjectionQuantizer` with one codebook: LayerNorm without affine
 * (eps 1e-5), a frozen random projection dim -> codebookDim (xavier normal),
 * then the cosine-nearest of K frozen random unit codes. Nothing trains.
 *
 * It returns indices only (targets for masked prediction): there is no
 * quantized output to decode, so it is not a tokenizer bottleneck, does not
 * implement `Quantizer` and is not registered for `--quantizers`.
 */
import { HostTensor, Module, Rng, type Ops, type Tensor, type Variable } from '@zoo/core';
import { z } from 'zod';
import { flattenTokens, l2normalize } from './layout.js';
import { nearestCodes } from './nearest.js';
import type { QuantizeOptions } from './types.js';

const positiveInt = z.number().int().positive();

export const randomProjectionSchema = z.object({
  /** Input feature size (required). */
  dim: positiveInt,
  /** Number of codes K (required). */
  codebookSize: positiveInt,
  /** Width of the projection and the codes (required). */
  codebookDim: positiveInt,
  /** LayerNorm (no affine) before the projection (true, the reference: "normalized to have 0 mean and standard deviation of 1 ... to prevent collapse"). */
  norm: z.boolean().default(true),
  /** Seed of the frozen projection and codebook (0). */
  seed: z.number().int().default(0),
});

export type RandomProjectionConfig = z.output<typeof randomProjectionSchema>;
export type RandomProjectionConfigInput = z.input<typeof randomProjectionSchema>;

class Holder extends Module {
  readonly embed: Variable;
  constructor(embed: HostTensor<'float32'>) {
    super();
    this.embed = this.buffer('embed', embed);
  }
}

/** Holds `_codebook.embed` [1, K, codebookDim] (the reference's inner VectorQuantize keys). */
class InnerVQ extends Module {
  readonly _codebook: Holder;
  constructor(embed: HostTensor<'float32'>) {
    super();
    this._codebook = this.child('_codebook', new Holder(embed));
  }
}

export class RandomProjectionQuantizer extends Module {
  readonly config: RandomProjectionConfig;
  /** Frozen projection `rand_projs` [1, dim, codebookDim]. */
  readonly rand_projs: Variable;
  readonly vq: InnerVQ;

  constructor(config: RandomProjectionConfigInput) {
    super();
    const c = (this.config = randomProjectionSchema.parse(config));
    const rng = new Rng(c.seed);
    // xavier_normal_ on [1, dim, e]: fan_in = dim·e, fan_out = e.
    const std = Math.sqrt(2 / (c.dim * c.codebookDim + c.codebookDim));
    this.rand_projs = this.buffer('rand_projs', new HostTensor([1, c.dim, c.codebookDim], rng.fillNormal(new Float32Array(c.dim * c.codebookDim), 0, std), 'float32'));
    const codes = rng.fillNormal(new Float32Array(c.codebookSize * c.codebookDim));
    for (let k = 0; k < c.codebookSize; k++) {
      const row = codes.subarray(k * c.codebookDim, (k + 1) * c.codebookDim);
      const n = Math.hypot(...row) || 1;
      for (let i = 0; i < row.length; i++) row[i]! /= n;
    }
    this.vq = this.child('vq', new InnerVQ(new HostTensor([1, c.codebookSize, c.codebookDim], codes, 'float32')));
    this.namedVariables();
  }

  /** int32 indices shaped as the input without its channel axis. */
  forward(ops: Ops, x: Tensor, opts: QuantizeOptions = {}): { indices: Tensor } {
    const c = this.config;
    const view = flattenTokens(ops, x, 'random-projection', opts.layout, c.dim);
    let h = view.tokens;
    if (c.norm) {
      const mu = ops.mean(h, -1, true);
      const centered = ops.sub(h, mu);
      h = ops.div(centered, ops.sqrt(ops.add(ops.mean(ops.square(centered), -1, true), 1e-5)));
    }
    const proj = ops.matmul(h, ops.reshape(ops.variable(this.rand_projs), [c.dim, c.codebookDim]));
    const codebook = l2normalize(ops, ops.reshape(ops.variable(this.vq._codebook.embed), [c.codebookSize, c.codebookDim]), 1e-12);
    const { indices } = nearestCodes(ops, l2normalize(ops, proj, 1e-6), codebook, { cosine: true });
    return { indices: ops.reshape(indices, view.indexShape) };
  }
}
