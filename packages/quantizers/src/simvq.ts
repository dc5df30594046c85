/**
 * `simvq`: SimVQ (Zhu et al. 2024, "Addressing Representation Collapse in
 * Vector Quantized Models with One Linear Layer", arXiv 2411.02038). The
 * codebook is a frozen random matrix C (K × d_f, N(0, 1/d_f)) seen through a
 * learned linear map W: codes = C·Wᵀ. Training moves W, so every code moves
 * at once and none goes dead. Numerics and defaults follow
 * lucidrains/vector-quantize-pytorch v1.31.0 `SimVQ`: euclidean nearest code,
 * loss = commitmentWeight · (mse(sg x, q) + inputToQuantizeWeight · mse(x, sg q)),
 * rotation trick (or straight-through) to the input.
 */
import { HostTensor, Linear, Module, Rng, type Ops, type Tensor, type Variable } from '@zoo/core';
import { z } from 'zod';
import { flattenIndices, flattenTokens, mse } from './layout.js';
import { nearestCodes } from './nearest.js';
import { rotationTrick, straightThrough } from './rotation-trick.js';
import { quantizerRate, type QuantizeOptions, type Quantizer, type QuantizerOutput, type QuantizerRate } from './types.js';

const positiveInt = z.number().int().positive();

export const simvqSchema = z.object({
  /** Input feature size (required). */
  dim: positiveInt,
  /** Number of codes K (required). */
  codebookSize: positiveInt,
  /** Width of the frozen random codebook; default dim (the reference's frozen_codebook_dim). */
  frozenCodebookDim: positiveInt.optional(),
  /** Rotation trick (Fifty et al. 2024) instead of straight-through (true, the reference's default). */
  rotationTrick: z.boolean().default(true),
  /** Weight of mse(x, sg q), the input-to-code pull, inside the loss (0.25, the reference: "weighing input to quantize a bit less is crucial"). */
  inputToQuantizeCommitLossWeight: z.number().nonnegative().default(0.25),
  /** Overall weight of the loss (1.0, the reference's commitment_weight). */
  commitmentWeight: z.number().nonnegative().default(1),
  /** Seed of the frozen codebook and of the linear map's init (0). */
  seed: z.number().int().default(0),
});

export type SimVQConfig = z.output<typeof simvqSchema>;
export type SimVQConfigInput = z.input<typeof simvqSchema>;

export class SimVQ extends Module implements Quantizer {
  readonly config: SimVQConfig;
  /** Frozen codebook C, [K, frozenCodebookDim] (a buffer: never trained). */
  readonly frozen_codebook: Variable;
  /** W: frozenCodebookDim -> dim, no bias (torch.nn.Linear init). */
  readonly code_transform: Linear;

  constructor(config: SimVQConfigInput) {
    super();
    const c = (this.config = simvqSchema.parse(config));
    const fd = c.frozenCodebookDim ?? c.dim;
    const rng = new Rng(c.seed);
    const frozen = rng.fillNormal(new Float32Array(c.codebookSize * fd), 0, fd ** -0.5);
    this.frozen_codebook = this.buffer('frozen_codebook', new HostTensor([c.codebookSize, fd], frozen, 'float32'));
    this.code_transform = this.child('code_transform', new Linear(fd, c.dim, { bias: false, rng }));
    this.namedVariables();
  }

  get dim(): number {
    return this.config.dim;
  }

  get codebookSize(): number {
    return this.config.codebookSize;
  }

  /** The implicit codebook C·Wᵀ, [K, dim]; differentiable in W. */
  codebook(ops: Ops): Tensor {
    return this.code_transform.forward(ops, ops.stopGradient(ops.variable(this.frozen_codebook)));
  }

  forward(ops: Ops, z: Tensor, opts: QuantizeOptions = {}): QuantizerOutput {
    const c = this.config;
    const view = flattenTokens(ops, z, 'simvq', opts.layout, c.dim);
    const x = view.tokens;
    const codebook = this.codebook(ops);
    const { indices } = nearestCodes(ops, ops.stopGradient(x), ops.stopGradient(codebook), { cosine: false });
    const q = ops.gather(codebook, indices, 0); // [M, D], attached to W
    let out = q;
    let loss: Tensor = ops.constant(0);
    const breakdown: Record<string, Tensor> = {};
    if (this.training) {
      const codeTerm = mse(ops, ops.stopGradient(x), q);
      const commitTerm = mse(ops, x, ops.stopGradient(q));
      breakdown['codebook'] = codeTerm;
      breakdown['commitment'] = commitTerm;
      loss = ops.mul(ops.add(codeTerm, ops.mul(commitTerm, c.inputToQuantizeCommitLossWeight)), c.commitmentWeight);
      out = c.rotationTrick ? rotationTrick(ops, x, q) : straightThrough(ops, x, q);
    } else {
      out = ops.stopGradient(q);
    }
    return { quantized: view.restore(ops, out), indices: ops.reshape(indices, view.indexShape), loss, breakdown };
  }

  /** One code of `codebookSize` per token. */
  rate(): QuantizerRate {
    return quantizerRate([this.codebookSize], false);
  }

  indicesToCodes(ops: Ops, indices: Tensor, opts: QuantizeOptions = {}): Tensor {
    const f = flattenIndices(ops, indices, 'simvq.indicesToCodes', 0, opts.layout);
    const frozen = ops.gather(ops.variable(this.frozen_codebook), ops.reshape(f.flat, [f.flat.shape[0]!]), 0);
    return f.restore(ops, this.code_transform.forward(ops, frozen));
  }
}
