/**
 * `latent-quantization`: latent quantization (Hsu et al. 2023,
 * "Disentanglement via Latent Quantization", arXiv 2305.18378), as
 * vector-quantize-pytorch v1.31.0 `LatentQuantize`: each latent channel i
 * snaps to the nearest of its own L_i scalar values (initially an even grid
 * in [−0.5, 0.5] containing 0), straight-through; the index combines the
 * per-channel level indices with basis cumprod([1, L_0, ...]) as FSQ.
 * Loss: commitmentWeight·mse(sg x, y) + quantizationWeight·mse(x, sg y) on
 * the input x and the (projected) output y, both 0.1.
 *
 * Differences from the reference, neither visible in its outputs: the
 * values are buffers (state keys `values_per_latent.<i>` as its
 * ParameterList), because the reference's output reaches them only through
 * a detach, so they never get a gradient and an optimizer's weight decay
 * should not move them; and a rank-3 input follows this package's layout
 * rule (channels-last tokens) where the reference always reads [B, D, ...].
 */
import { HostTensor, Module, Rng, type Ops, type Tensor, type Variable } from '@zoo/core';
import { z } from 'zod';
import { flattenIndices, flattenTokens, mse } from './layout.js';
import { Linear } from './linear.js';
import { straightThrough } from './rotation-trick.js';
import { QuantizerConfigError, quantizerRate, type QuantizeOptions, type Quantizer, type QuantizerOutput, type QuantizerRate } from './types.js';

const positiveInt = z.number().int().positive();

export const latentQuantizationSchema = z.object({
  /** Levels per latent channel (required): a list, or one number for all `codebookDim` channels. */
  levels: z.union([z.array(z.number().int().min(2)).min(1), z.number().int().min(2)]),
  /** Input feature size (required). */
  dim: positiveInt,
  /** Channels per codebook when `levels` is one number (required then); default len(levels). */
  codebookDim: positiveInt.optional(),
  /** Independent codebooks per token, sharing the value sets (1). */
  numCodebooks: positiveInt.default(1),
  /** Weight of mse(sg x, y) (0.1, the reference). */
  commitmentLossWeight: z.number().nonnegative().default(0.1),
  /** Weight of mse(x, sg y) (0.1, the reference). */
  quantizationLossWeight: z.number().nonnegative().default(0.1),
  /** Seed of the projections' init (0). */
  seed: z.number().int().default(0),
});

export type LatentQuantizationConfig = z.output<typeof latentQuantizationSchema>;
export type LatentQuantizationConfigInput = z.input<typeof latentQuantizationSchema>;

/** Holds `values_per_latent.<i>` (the reference's ParameterList keys). */
class ValueSets extends Module {
  readonly sets: Variable[];
  constructor(levels: readonly number[]) {
    super();
    this.sets = levels.map((l, i) => {
      // Odd L: linspace(−0.5, 0.5, L); even L: arange(L)/L − 0.5 (zero on the grid, start at −0.5).
      const v = Array.from({ length: l }, (_, k) => (l % 2 === 1 ? -0.5 + k / (l - 1) : k / l - 0.5));
      return this.buffer(String(i), HostTensor.from(v, [l]));
    });
  }
}

export class LatentQuantization extends Module implements Quantizer {
  readonly config: LatentQuantizationConfig;
  readonly levels: readonly number[];
  readonly basis: readonly number[];
  readonly codebookSize: number;
  readonly values_per_latent: ValueSets;
  readonly project_in?: Linear;
  readonly project_out?: Linear;

  constructor(config: LatentQuantizationConfigInput) {
    super();
    const c = (this.config = latentQuantizationSchema.parse(config));
    if (typeof c.levels === 'number' && c.codebookDim === undefined) {
      throw new QuantizerConfigError('latent-quantization', 'levels given as one number needs codebookDim (how many channels share it)');
    }
    this.levels = typeof c.levels === 'number' ? new Array<number>(c.codebookDim!).fill(c.levels) : c.levels;
    const basis: number[] = [];
    let prod = 1;
    for (const l of this.levels) {
      basis.push(prod);
      prod *= l;
    }
    if (prod > 2 ** 24) throw new QuantizerConfigError('latent-quantization', `codebook size Π levels = ${prod} exceeds 2^24 (indices must stay exact)`);
    this.basis = basis;
    this.codebookSize = prod;
    const inner = this.levels.length * c.numCodebooks;
    if (c.dim !== inner) {
      const rng = new Rng(c.seed);
      this.project_in = this.child('project_in', new Linear(c.dim, inner, rng));
      this.project_out = this.child('project_out', new Linear(inner, c.dim, rng));
    }
    this.values_per_latent = this.child('values_per_latent', new ValueSets(this.levels));
    this.namedVariables();
  }

  get dim(): number {
    return this.config.dim;
  }

  private get keepNumCodebooksDim(): boolean {
    return this.config.numCodebooks > 1;
  }

  forward(ops: Ops, z: Tensor, opts: QuantizeOptions = {}): QuantizerOutput {
    const c = this.config;
    const view = flattenTokens(ops, z, 'latent-quantization', opts.layout, c.dim);
    const m = view.tokens.shape[0]!;
    const d = this.levels.length;
    const x = this.project_in ? this.project_in.forward(ops, view.tokens) : view.tokens;
    const rows = ops.reshape(x, [m * c.numCodebooks, d]);
    const q: Tensor[] = [];
    let flat: Tensor | undefined;
    this.levels.forEach((l, i) => {
      const vals = ops.stopGradient(ops.variable(this.values_per_latent.sets[i]!));
      const col = ops.slice(rows, [i], [i + 1], [1]); // [R, 1]
      const idx = ops.cast(ops.argmin(ops.abs(ops.sub(ops.stopGradient(col), ops.reshape(vals, [1, l]))), 1), 'int32'); // [R]
      q.push(ops.reshape(ops.gather(vals, idx, 0), [m * c.numCodebooks, 1]));
      const w = ops.mul(ops.cast(idx, 'float32'), this.basis[i]!);
      flat = flat ? ops.add(flat, w) : w;
    });
    const codes = straightThrough(ops, rows, ops.concat(q, 1));
    let out = ops.reshape(codes, [m, d * c.numCodebooks]);
    if (this.project_out) out = this.project_out.forward(ops, out);
    const idx = ops.cast(flat!, 'int32');
    const indices = this.keepNumCodebooksDim ? ops.reshape(idx, [...view.indexShape, c.numCodebooks]) : ops.reshape(idx, view.indexShape);
    let loss: Tensor = ops.constant(0);
    const breakdown: Record<string, Tensor> = {};
    if (this.training) {
      const commitment = mse(ops, ops.stopGradient(view.tokens), out);
      const quantization = mse(ops, ops.stopGradient(out), view.tokens);
      breakdown['commitment'] = commitment;
      breakdown['quantization'] = quantization;
      loss = ops.add(ops.mul(commitment, c.commitmentLossWeight), ops.mul(quantization, c.quantizationLossWeight));
    }
    return { quantized: view.restore(ops, out), indices, loss, breakdown };
  }

  /** One code of `codebookSize` per codebook; a trailing index axis when numCodebooks > 1. */
  rate(): QuantizerRate {
    return quantizerRate(new Array<number>(this.config.numCodebooks).fill(this.codebookSize), this.keepNumCodebooksDim);
  }

  /** Indices -> per-channel level indices -> the channels' values, projected out. */
  indicesToCodes(ops: Ops, indices: Tensor, opts: QuantizeOptions = {}): Tensor {
    const nc = this.config.numCodebooks;
    const f = flattenIndices(ops, indices, 'latent-quantization.indicesToCodes', this.keepNumCodebooksDim ? 1 : 0, opts.layout);
    const m = f.flat.shape[0]!;
    const idx = ops.reshape(ops.cast(f.flat, 'float32'), [m * nc, 1]);
    const cols = this.levels.map((l, i) => {
      const shifted = ops.floor(ops.div(idx, this.basis[i]!));
      const li = ops.cast(ops.sub(shifted, ops.mul(ops.floor(ops.div(shifted, l)), l)), 'int32'); // shifted mod L
      return ops.reshape(ops.gather(ops.variable(this.values_per_latent.sets[i]!), ops.reshape(li, [m * nc]), 0), [m * nc, 1]);
    });
    let codes = ops.reshape(ops.concat(cols, 1), [m, nc * this.levels.length]);
    if (this.project_out) codes = this.project_out.forward(ops, codes);
    return f.restore(ops, codes);
  }
}
