/**
 * `random-projection`: BEST-RQ's random-projection quantizer (Chiu et al.
 * 2022, arXiv 2202.01855) made into a tokenizer bottleneck.
 *
 * Two halves, from two places:
 *
 * - The index assignment follows lucidrains/vector-quantize-pytorch v1.31.0
 *   `RandomProjectionQuantizer` exactly (indices parity-tested on both
 *   engines, one and several codebooks): LayerNorm without affine (eps 1e-5),
 *   frozen random projections dim -> codebookDim, one per codebook (xavier
 *   normal), concatenated; for numCodebooks h > 1 the reference's inner
 *   `VectorQuantize(dim = e·h, heads = h)` keeps its head width at e·h and so
 *   puts a randomly initialised Linear(e·h -> e·h·h) (`vq.project_in`) before
 *   splitting into h heads; each head, l2-normalised, takes the cosine-nearest
 *   of its own K frozen random unit codes (width e·h, or e for one codebook).
 *   Nothing in this half trains: all of it is buffers.
 * - The decode side is ours (upstream returns indices only, as targets for
 *   masked prediction; it has no quantized output): a learned output
 *   embedding E_c [K, dim] per codebook (`output_embed` [h, K, dim]),
 *   q = Σ_c E_c[idx_c], output z + sg(q − z) (straight-through), and VQ-VAE
 *   losses: codebook ‖sg z − q‖² (trains E) + β·‖z − sg q‖² (commitment).
 *   β defaults to 0.25 as our `vq`'s commitmentWeight; E starts
 *   kaiming-uniform per codebook like our learnable `vq` codebook. No
 *   upstream counterpart: tested against float64 formulas, by finite
 *   differences in E, onnx against tfjs, and training runs.
 */
import { defaultInit, HostTensor, LayerNorm, Module, Rng, type Ops, type Tensor, type Variable } from '@zoo/core';
import { z } from 'zod';
import { kaimingUniform } from './codebook.js';
import { normalizeRows } from './host/kmeans.js';
import { flattenIndices, flattenTokens, l2normalize, mse } from './layout.js';
import { nearestCodes } from './nearest.js';
import { straightThrough } from './rotation-trick.js';
import { quantizerRate, type QuantizeOptions, type Quantizer, type QuantizerOutput, type QuantizerRate } from './types.js';

const positiveInt = z.number().int().positive();

export const randomProjectionSchema = z.object({
  /** Input feature size (required). */
  dim: positiveInt,
  /** Number of codes K per codebook (required). */
  codebookSize: positiveInt,
  /** Width e of each random projection (required; the tokenizer registration uses 16, BEST-RQ's code width). */
  codebookDim: positiveInt,
  /** Codebooks h, each its own projection and K codes; indices get a trailing axis of h when h > 1 (1, the reference's). */
  numCodebooks: positiveInt.default(1),
  /** LayerNorm (no affine) before the projection (true, the reference: "normalized to have 0 mean and standard deviation of 1 ... to prevent collapse"). */
  norm: z.boolean().default(true),
  /** β: weight of the commitment term ‖z − sg q‖² (0.25, as our `vq`'s commitmentWeight, VQ-VAE's). */
  commitmentWeight: z.number().nonnegative().default(0.25),
  /** Seed of the frozen projections, codebooks and project_in, and of the output embedding's init (0). */
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

/**
 * The reference's `vq.project_in` (nn.Linear(e·h -> e·h·h), torch's default init) as two buffers: frozen
 * like the rest of the index path (BEST-RQ's targets never train).
 */
class FrozenLinear extends Module {
  readonly weight: Variable;
  readonly bias: Variable;
  constructor(inFeatures: number, outFeatures: number, rng: Rng) {
    super();
    const { weight, bias } = defaultInit(rng, [outFeatures, inFeatures], outFeatures);
    this.weight = this.buffer('weight', weight);
    this.bias = this.buffer('bias', bias);
  }

  forward(ops: Ops, x: Tensor): Tensor {
    return ops.add(ops.matmul(x, ops.variable(this.weight), false, true), ops.variable(this.bias));
  }
}

/** The reference's inner VectorQuantize keys: `_codebook.embed` [h, K, e·h], and `project_in` when h > 1. */
class InnerVQ extends Module {
  readonly _codebook: Holder;
  readonly project_in: FrozenLinear | undefined;
  constructor(embed: HostTensor<'float32'>, projectIn: FrozenLinear | undefined) {
    super();
    this._codebook = this.child('_codebook', new Holder(embed));
    this.project_in = projectIn ? this.child('project_in', projectIn) : undefined;
  }
}

export class RandomProjectionQuantizer extends Module implements Quantizer {
  readonly config: RandomProjectionConfig;
  /** Frozen projections `rand_projs` [h, dim, codebookDim]. */
  readonly rand_projs: Variable;
  readonly vq: InnerVQ;
  /** Learned decode embedding E, [h, K, dim] (ours; no upstream counterpart). */
  readonly output_embed: Variable;
  private readonly layerNorm: LayerNorm | undefined;

  constructor(config: RandomProjectionConfigInput) {
    super();
    const c = (this.config = randomProjectionSchema.parse(config));
    const h = c.numCodebooks;
    const e = c.codebookDim;
    const headDim = e * h;
    const rng = new Rng(c.seed);
    // xavier_normal_ on [h, dim, e]: fan_in = dim·e, fan_out = h·e.
    const std = Math.sqrt(2 / (c.dim * e + h * e));
    this.rand_projs = this.buffer('rand_projs', new HostTensor([h, c.dim, e], rng.fillNormal(new Float32Array(h * c.dim * e), 0, std), 'float32'));
    // Unit codes drawn uniformly on the sphere (normal, then normalised); the reference normalises kaiming-uniform draws.
    // Init only: parity tests load the reference's buffers.
    const codes = normalizeRows(rng.fillNormal(new Float32Array(h * c.codebookSize * headDim)), headDim);
    const projectIn = h > 1 ? new FrozenLinear(headDim, headDim * h, rng) : undefined;
    this.vq = this.child('vq', new InnerVQ(new HostTensor([h, c.codebookSize, headDim], codes, 'float32'), projectIn));
    // E_c like our learnable `vq` codebook (vector-quantize-pytorch's uniform_init: kaiming uniform on [1, K, dim]), per codebook.
    const embed = new Float32Array(h * c.codebookSize * c.dim);
    for (let i = 0; i < h; i++) embed.set(kaimingUniform(c.codebookSize, c.dim, rng), i * c.codebookSize * c.dim);
    this.output_embed = this.param('output_embed', new HostTensor([h, c.codebookSize, c.dim], embed, 'float32'));
    this.layerNorm = c.norm ? new LayerNorm(c.dim, { affine: false, eps: 1e-5 }) : undefined;
    this.namedVariables();
  }

  get dim(): number {
    return this.config.dim;
  }

  get codebookSize(): number {
    return this.config.codebookSize;
  }

  /** int32 [M, h]: the reference's indices for tokens [M, dim] (no gradient flows through them). */
  private assign(ops: Ops, x: Tensor): Tensor {
    const c = this.config;
    const h = c.numCodebooks;
    const headDim = c.codebookDim * h;
    const m = x.shape[0]!;
    const normed = this.layerNorm ? this.layerNorm.forward(ops, x) : x;
    // einsum 'm d, h d e -> m (h e)': the projections side by side as one [dim, h·e] matrix.
    const projs = ops.reshape(ops.transpose(ops.variable(this.rand_projs), [1, 0, 2]), [c.dim, h * c.codebookDim]);
    let y = ops.matmul(normed, projs);
    if (this.vq.project_in) y = this.vq.project_in.forward(ops, y);
    const heads = l2normalize(ops, ops.reshape(y, [m, h, headDim]), 1e-6);
    const codebooks = ops.variable(this.vq._codebook.embed);
    const out: Tensor[] = [];
    for (let i = 0; i < h; i++) {
      const head = ops.reshape(ops.slice(heads, [i], [i + 1], [1]), [m, headDim]);
      const book = ops.reshape(ops.slice(codebooks, [i], [i + 1], [0]), [c.codebookSize, headDim]);
      out.push(ops.reshape(nearestCodes(ops, head, book, { cosine: true }).indices, [m, 1]));
    }
    return h === 1 ? out[0]! : ops.concat(out, 1);
  }

  /** q = Σ_c E_c[idx_c] for int32 indices [M, h]: [M, dim], differentiable in E. */
  private decode(ops: Ops, idx: Tensor): Tensor {
    const c = this.config;
    const embed = ops.variable(this.output_embed);
    let q: Tensor | undefined;
    for (let i = 0; i < c.numCodebooks; i++) {
      const book = ops.reshape(ops.slice(embed, [i], [i + 1], [0]), [c.codebookSize, c.dim]);
      const col = ops.reshape(ops.slice(idx, [i], [i + 1], [1]), [idx.shape[0]!]);
      const part = ops.gather(book, col, 0);
      q = q ? ops.add(q, part) : part;
    }
    return q!;
  }

  forward(ops: Ops, z: Tensor, opts: QuantizeOptions = {}): QuantizerOutput {
    const c = this.config;
    const view = flattenTokens(ops, z, 'random-projection', opts.layout, c.dim);
    const x = view.tokens;
    const idx = this.assign(ops, ops.stopGradient(x));
    const q = this.decode(ops, idx);
    let loss: Tensor = ops.constant(0);
    const breakdown: Record<string, Tensor> = {};
    let out: Tensor;
    if (this.training) {
      const codebookTerm = mse(ops, ops.stopGradient(x), q);
      const commitment = mse(ops, x, ops.stopGradient(q));
      breakdown['codebook'] = codebookTerm;
      breakdown['commitment'] = commitment;
      loss = ops.add(codebookTerm, ops.mul(commitment, c.commitmentWeight));
      out = straightThrough(ops, x, q);
    } else {
      out = ops.stopGradient(q);
    }
    const indexShape = c.numCodebooks > 1 ? [...view.indexShape, c.numCodebooks] : view.indexShape;
    return { quantized: view.restore(ops, out), indices: ops.reshape(idx, indexShape), loss, breakdown };
  }

  /** numCodebooks indices of K codes per token (a trailing index axis when more than one). */
  rate(): QuantizerRate {
    return quantizerRate(Array.from({ length: this.config.numCodebooks }, () => this.codebookSize), this.config.numCodebooks > 1);
  }

  /** Σ_c E_c[idx_c] for indices shaped as `forward` returns them. */
  indicesToCodes(ops: Ops, indices: Tensor, opts: QuantizeOptions = {}): Tensor {
    const h = this.config.numCodebooks;
    const f = flattenIndices(ops, indices, 'random-projection.indicesToCodes', h > 1 ? 1 : 0, opts.layout);
    return f.restore(ops, this.decode(ops, ops.reshape(f.flat, [f.flat.shape[0]!, h])));
  }
}
