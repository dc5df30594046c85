/**
 * `ibq`: index backpropagation quantization (Shi et al. 2024, "Scalable
 * Image Tokenization with Index Backpropagation Quantization", SEED-Voken
 * `IndexPropagationQuantize`). A token's logits against every code are
 * x·Eᵀ; the output is (onehot(argmax) − sg(softmax) + softmax)·E, so its
 * value is the nearest-by-dot-product code while the gradient flows through
 * the softmax into every code at once (no dead codes). Loss, as the
 * reference's "double quantization" loss:
 *   mse(q_st, x) + mse(sg q, x) + β·mse(q, sg x)
 * with q_st the straight-through output and q = E[argmax], plus optionally
 * the MAGVIT-v2 entropy loss of the logits (the released IBQ configs).
 * Numerics follow TencentARC/SEED-Voken b9a17ea src/IBQ/modules/vqvae/quantize.py.
 */
import { HostTensor, Module, Rng, type Ops, type Tensor, type Variable } from '@zoo/core';
import { z } from 'zod';
import { flattenIndices, flattenTokens, mse } from './layout.js';
import { softmaxLastAxis } from './lfq-entropy.js';
import { quantizerRate, type QuantizeOptions, type Quantizer, type QuantizerOutput, type QuantizerRate } from './types.js';

const positiveInt = z.number().int().positive();

export const ibqSchema = z.object({
  /** Input feature size = code width (required; the reference's e_dim). */
  dim: positiveInt,
  /** Number of codes K (required; n_e). */
  codebookSize: positiveInt,
  /** β: weight of mse(q, sg x) (0.25, the reference and its configs). */
  beta: z.number().nonnegative().default(0.25),
  /**
   * Weight of the entropy loss (0.05, the released IBQ configs'
   * entropy_loss_weight with use_entropy_loss: True; 0 turns it off, the
   * class's use_entropy_loss=False default).
   */
  entropyLossWeight: z.number().nonnegative().default(0.05),
  /** Temperature of the entropy softmax (0.01, the reference). */
  entropyTemperature: z.number().positive().default(0.01),
  /** Weight of the per-sample entropy inside the entropy loss (1.0). */
  sampleMinimizationWeight: z.number().nonnegative().default(1),
  /** Weight of the codebook (batch-average) entropy inside the entropy loss (1.0). */
  batchMaximizationWeight: z.number().nonnegative().default(1),
  /** Seed of the codebook init, N(0, 1) as torch.nn.Embedding (0). */
  seed: z.number().int().default(0),
});

export type IBQConfig = z.output<typeof ibqSchema>;
export type IBQConfigInput = z.input<typeof ibqSchema>;

/** The entropy's eps (log(p + 1e-5), and added to the scaled logits before log_softmax, as the reference). */
const ENTROPY_EPS = 1e-5;

/** Codebook held as `embedding.weight` [K, D] (torch.nn.Embedding naming). */
class Embedding extends Module {
  readonly weight: Variable;
  constructor(k: number, d: number, rng: Rng) {
    super();
    this.weight = this.param('weight', new HostTensor([k, d], rng.fillNormal(new Float32Array(k * d)), 'float32'));
  }
}

export class IBQ extends Module implements Quantizer {
  readonly config: IBQConfig;
  readonly embedding: Embedding;

  constructor(config: IBQConfigInput) {
    super();
    const c = (this.config = ibqSchema.parse(config));
    this.embedding = this.child('embedding', new Embedding(c.codebookSize, c.dim, new Rng(c.seed)));
    this.namedVariables();
  }

  get dim(): number {
    return this.config.dim;
  }

  get codebookSize(): number {
    return this.config.codebookSize;
  }

  forward(ops: Ops, z: Tensor, opts: QuantizeOptions = {}): QuantizerOutput {
    const c = this.config;
    const view = flattenTokens(ops, z, 'ibq', opts.layout, c.dim);
    const x = view.tokens;
    const e = ops.variable(this.embedding.weight);
    const logits = ops.matmul(x, e, false, true); // [M, K]
    const soft = softmaxLastAxis(ops, logits);
    const indices = ops.cast(ops.argmax(ops.stopGradient(soft), 1), 'int32');
    const breakdown: Record<string, Tensor> = {};
    if (!this.training) {
      return { quantized: view.restore(ops, ops.gather(ops.stopGradient(e), indices, 0)), indices: ops.reshape(indices, view.indexShape), loss: ops.constant(0), breakdown };
    }
    const hard = ops.oneHot(indices, c.codebookSize);
    const oneHot = ops.add(ops.sub(hard, ops.stopGradient(soft)), soft);
    const qst = ops.matmul(oneHot, e);
    const q = ops.matmul(hard, e);
    const quant = ops.add(ops.add(mse(ops, qst, x), mse(ops, ops.stopGradient(q), x)), ops.mul(mse(ops, q, ops.stopGradient(x)), c.beta));
    breakdown['quantLoss'] = quant;
    let loss = quant;
    if (c.entropyLossWeight > 0) {
      const scaled = ops.div(logits, c.entropyTemperature);
      const probs = softmaxLastAxis(ops, scaled);
      const logProbs = ops.logSoftmax(ops.add(scaled, ENTROPY_EPS), -1);
      const avg = ops.mean(probs, 0);
      const avgEntropy = ops.neg(ops.sum(ops.mul(avg, ops.log(ops.add(avg, ENTROPY_EPS)))));
      const sampleEntropy = ops.mean(ops.neg(ops.sum(ops.mul(probs, logProbs), -1)));
      const entropyLoss = ops.sub(ops.mul(sampleEntropy, c.sampleMinimizationWeight), ops.mul(avgEntropy, c.batchMaximizationWeight));
      breakdown['sampleEntropy'] = sampleEntropy;
      breakdown['avgEntropy'] = avgEntropy;
      breakdown['entropyLoss'] = entropyLoss;
      loss = ops.add(quant, ops.mul(entropyLoss, c.entropyLossWeight));
    }
    return { quantized: view.restore(ops, qst), indices: ops.reshape(indices, view.indexShape), loss, breakdown };
  }

  /** One code of `codebookSize` per token. */
  rate(): QuantizerRate {
    return quantizerRate([this.codebookSize], false);
  }

  indicesToCodes(ops: Ops, indices: Tensor, opts: QuantizeOptions = {}): Tensor {
    const f = flattenIndices(ops, indices, 'ibq.indicesToCodes', 0, opts.layout);
    return f.restore(ops, ops.gather(ops.variable(this.embedding.weight), f.flat, 0));
  }
}
