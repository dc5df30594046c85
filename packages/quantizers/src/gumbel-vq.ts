/**
 * `gumbel-vq`: Gumbel-softmax VQ (taming-transformers `GumbelQuantize`,
 * after Jang et al. 2016 and karpathy/deep-vector-quantization). A 1×1
 * projection gives each token logits over the K codes; a Gumbel-softmax
 * sample at temperature τ (hard: straight-through one-hot) mixes the codebook
 * rows; a KL term pulls the code distribution softmax(logits) towards
 * uniform: klWeight · mean_tokens Σ_k q_k·log(q_k·K + 1e-10).
 * Numerics and defaults follow CompVis/taming-transformers 3ba01b2
 * taming/modules/vqvae/quantize.py. One deliberate difference: in eval mode
 * the index is the noise-free argmax of the logits (taming samples noise
 * even in eval), so tokenizing is deterministic.
 */
import { HostTensor, Module, Rng, type Ops, type Tensor, type Variable } from '@zoo/core';
import { z } from 'zod';
import { flattenIndices, flattenTokens } from './layout.js';
import { softmaxLastAxis } from './lfq-entropy.js';
import { quantizerRate, type QuantizeOptions, type Quantizer, type QuantizerOutput, type QuantizerRate } from './types.js';

const positiveInt = z.number().int().positive();

export const gumbelVQSchema = z.object({
  /** Input feature size = code width (required; taming's num_hiddens and embedding_dim, taken equal so the output keeps the input's shape). */
  dim: positiveInt,
  /** Number of codes K (required; n_embed). */
  codebookSize: positiveInt,
  /** Weight of the KL-to-uniform term (5e-4, GumbelQuantize's default; taming's GumbelVQ model passes 1e-8). */
  klWeight: z.number().nonnegative().default(5e-4),
  /** Gumbel-softmax temperature τ (1.0, temp_init); a forward option or a schedule overrides it. */
  temperature: z.number().positive().default(1),
  /** Hard (straight-through one-hot) samples in training (true, the reference's straight_through). */
  straightThrough: z.boolean().default(true),
  /**
   * Temperature annealing, taming's LambdaWarmUpCosineScheduler: linear from
   * `start` to `max` over `warmUpSteps`, then cosine from `max` to `min` until
   * `maxDecaySteps`. Optional (default: constant `temperature`). With one, τ
   * lives in a `temperature` buffer that `beforeStep(step)` sets (the bench
   * trainer calls it every step); `temperatureAt(step)` reads the schedule.
   */
  temperatureSchedule: z
    .object({ warmUpSteps: z.number().int().nonnegative(), start: z.number().positive(), max: z.number().positive(), min: z.number().positive(), maxDecaySteps: positiveInt })
    .optional(),
  /** Seed of the init (projection as torch Conv2d, codebook N(0, 1) as torch Embedding) and of the in-graph Gumbel noise (0). */
  seed: z.number().int().default(0),
});

export type GumbelVQConfig = z.output<typeof gumbelVQSchema>;
export type GumbelVQConfigInput = z.input<typeof gumbelVQSchema>;

export interface GumbelVQForwardOptions extends QuantizeOptions {
  /** τ for this call: a number, or a scalar graph input so one compiled step follows a schedule. */
  temperature?: number | Tensor;
  /** Gumbel noise [tokens, K] to use instead of an in-graph draw (tests against a recorded draw). */
  gumbelNoise?: Tensor;
}

/** A weight [rows, cols(, 1, 1)] and bias holder with torch's names. */
class Params extends Module {
  readonly weight: Variable;
  readonly bias?: Variable;
  constructor(weight: HostTensor<'float32'>, bias?: HostTensor<'float32'>) {
    super();
    this.weight = this.param('weight', weight);
    if (bias) this.bias = this.param('bias', bias);
  }
}

export class GumbelVQ extends Module implements Quantizer {
  readonly config: GumbelVQConfig;
  /** 1×1 conv dim -> K: `proj.weight` [K, dim, 1, 1], `proj.bias` [K]. */
  readonly proj: Params;
  /** Codebook `embed.weight` [K, dim]. */
  readonly embed: Params;
  /** τ as a buffer (state key `temperature`, [1]) when a schedule is configured; `beforeStep` sets it. */
  readonly temperatureVar?: Variable;
  private readonly noiseRng: Rng;

  constructor(config: GumbelVQConfigInput) {
    super();
    const c = (this.config = gumbelVQSchema.parse(config));
    const rng = new Rng(c.seed);
    const k = c.codebookSize;
    const bound = 1 / Math.sqrt(c.dim);
    this.proj = this.child('proj', new Params(
      new HostTensor([k, c.dim, 1, 1], rng.fillUniform(new Float32Array(k * c.dim), -bound, bound), 'float32'),
      new HostTensor([k], rng.fillUniform(new Float32Array(k), -bound, bound), 'float32'),
    ));
    this.embed = this.child('embed', new Params(new HostTensor([k, c.dim], rng.fillNormal(new Float32Array(k * c.dim)), 'float32')));
    this.noiseRng = new Rng(c.seed ^ 0x6b3b);
    if (c.temperatureSchedule) this.temperatureVar = this.buffer('temperature', HostTensor.from([this.temperatureAt(0)], [1]));
    this.namedVariables();
  }

  get dim(): number {
    return this.config.dim;
  }

  get codebookSize(): number {
    return this.config.codebookSize;
  }

  /** τ at a training step under `temperatureSchedule` (the constant `temperature` without one). */
  temperatureAt(step: number): number {
    const s = this.config.temperatureSchedule;
    if (!s) return this.config.temperature;
    if (step < s.warmUpSteps) return ((s.max - s.start) / s.warmUpSteps) * step + s.start;
    const t = Math.min((step - s.warmUpSteps) / (s.maxDecaySteps - s.warmUpSteps), 1);
    return s.min + 0.5 * (s.max - s.min) * (1 + Math.cos(t * Math.PI));
  }

  /** With a schedule: τ for training step `step` into the `temperature` buffer (read by every later forward). */
  beforeStep(step: number): void {
    if (this.temperatureVar) this.temperatureVar.value = HostTensor.from([this.temperatureAt(step)], [1]);
  }

  private logits(ops: Ops, x: Tensor): Tensor {
    const w = ops.reshape(ops.variable(this.proj.weight), [this.codebookSize, this.dim]);
    return ops.add(ops.matmul(x, w, false, true), ops.variable(this.proj.bias!));
  }

  forward(ops: Ops, z: Tensor, opts: GumbelVQForwardOptions = {}): QuantizerOutput {
    const c = this.config;
    const k = c.codebookSize;
    const view = flattenTokens(ops, z, 'gumbel-vq', opts.layout, c.dim);
    const m = view.tokens.shape[0]!;
    const logits = this.logits(ops, view.tokens); // [M, K]
    const e = ops.variable(this.embed.weight);
    if (!this.training) {
      const idx = ops.cast(ops.argmax(logits, 1), 'int32');
      return { quantized: view.restore(ops, ops.gather(ops.stopGradient(e), idx, 0)), indices: ops.reshape(idx, view.indexShape), loss: ops.constant(0), breakdown: {} };
    }
    // −log(Exp(1)) = −log(−log U); U kept off 0 and 1 so the noise stays finite.
    const noise = opts.gumbelNoise ?? ops.neg(ops.log(ops.neg(ops.log(ops.clip(ops.randomUniform([m, k], this.noiseRng.int(2 ** 31)), 1e-20, 1 - 1e-7)))));
    const tau = opts.temperature ?? (this.temperatureVar ? ops.reshape(ops.stopGradient(ops.variable(this.temperatureVar)), []) : c.temperature);
    const y = softmaxLastAxis(ops, ops.div(ops.add(logits, noise), tau));
    const idx = ops.cast(ops.argmax(ops.stopGradient(y), 1), 'int32');
    const sample = c.straightThrough ? ops.add(ops.sub(ops.oneHot(idx, k), ops.stopGradient(y)), y) : y;
    const zq = ops.matmul(sample, e);
    const qy = softmaxLastAxis(ops, logits);
    const kl = ops.mean(ops.sum(ops.mul(qy, ops.log(ops.add(ops.mul(qy, k), 1e-10))), -1));
    return {
      quantized: view.restore(ops, zq),
      indices: ops.reshape(idx, view.indexShape),
      loss: ops.mul(kl, c.klWeight),
      breakdown: { kl },
    };
  }

  /** One code of `codebookSize` per token. */
  rate(): QuantizerRate {
    return quantizerRate([this.codebookSize], false);
  }

  indicesToCodes(ops: Ops, indices: Tensor, opts: QuantizeOptions = {}): Tensor {
    const f = flattenIndices(ops, indices, 'gumbel-vq.indicesToCodes', 0, opts.layout);
    return f.restore(ops, ops.gather(ops.variable(this.embed.weight), f.flat, 0));
  }
}
