/**
 * torch.nn.BatchNorm1d/2d/3d over channels-first input [N, C, ...spatial]
 * (any number of spatial dims, including none), with PyTorch's state-dict keys
 * `weight`, `bias` (only when affine), `running_mean`, `running_var` and
 * `num_batches_tracked`, so checkpoints (taming's PatchGAN, VideoGPT's VQ-VAE)
 * load strictly and a saved state dict loads back into PyTorch.
 *
 * Training mode (`module.train()`, the Module default) normalizes with the
 * batch mean and the BIASED batch variance and schedules, through
 * `ops.assign`, PyTorch's running-statistics update with the UNBIASED variance:
 *   running = (1 − momentum)·running + momentum·batch_stat, num_batches_tracked += 1.
 * The update lands when the engine runs the step (call `engine.sync()` before
 * reading the buffers). Eval mode normalizes with the running statistics.
 *
 * Not implemented: `momentum=None` (cumulative average) and
 * `track_running_stats=False`; no model here uses either.
 */
import { HostTensor, ShapeError } from '../tensor.js';
import type { Ops, Tensor } from '../ops.js';
import { filledTensor } from './init.js';
import { Block } from './layer.js';
import { channelAffine, NormError } from './norm.js';
import type { Variable } from './variable.js';

export interface BatchNormOptions {
  /** Added to the variance before the square root. Default 1e-5 (torch.nn.BatchNormNd). */
  eps?: number;
  /** Weight of the new batch statistic in the running update, in [0, 1]. Default 0.1 (torch.nn.BatchNormNd). */
  momentum?: number;
  /** Learnable per-channel `weight` (init 1) and `bias` (init 0). Default true (torch.nn.BatchNormNd). */
  affine?: boolean;
}

export class BatchNorm extends Block {
  readonly weight: Variable | undefined;
  readonly bias: Variable | undefined;
  readonly running_mean: Variable;
  readonly running_var: Variable;
  /** PyTorch keeps an int64 scalar; Variables are float32, exact up to 2^24 steps. */
  readonly num_batches_tracked: Variable;
  readonly eps: number;
  readonly momentum: number;
  readonly affine: boolean;

  constructor(
    readonly numFeatures: number,
    opts: BatchNormOptions = {},
  ) {
    super();
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum ?? 0.1;
    this.affine = opts.affine ?? true;
    if (!(Number.isInteger(numFeatures) && numFeatures >= 1)) throw new NormError(`BatchNorm: numFeatures must be an integer >= 1, got ${numFeatures}`);
    if (!(this.eps > 0)) throw new NormError(`BatchNorm(${numFeatures}): eps must be > 0, got ${this.eps}`);
    if (!(this.momentum >= 0 && this.momentum <= 1)) throw new NormError(`BatchNorm(${numFeatures}): momentum must be in [0, 1], got ${this.momentum}`);
    this.weight = this.affine ? this.param('weight', filledTensor([numFeatures], 1)) : undefined;
    this.bias = this.affine ? this.param('bias', filledTensor([numFeatures], 0)) : undefined;
    this.running_mean = this.buffer('running_mean', filledTensor([numFeatures], 0));
    this.running_var = this.buffer('running_var', filledTensor([numFeatures], 1));
    this.num_batches_tracked = this.buffer('num_batches_tracked', HostTensor.from([0], []));
  }

  forward(ops: Ops, x: Tensor): Tensor {
    const c = this.numFeatures;
    if (x.shape.length < 2 || x.shape[1] !== c) throw new ShapeError(`BatchNorm(${c})`, `[N, C=${c}, ...]`, x.shape);
    let mean: Tensor;
    let variance: Tensor;
    if (this.training) {
      const axes = [0, ...x.shape.slice(2).map((_, i) => i + 2)];
      const count = x.shape.reduce((a, d, i) => (i === 1 ? a : a * d), 1);
      // PyTorch refuses too: the unbiased variance of one value is undefined.
      if (count < 2) throw new ShapeError(`BatchNorm(${c}) in train mode`, 'more than one value per channel', x.shape);
      mean = ops.mean(x, axes, true);
      variance = ops.mean(ops.square(ops.sub(x, mean)), axes, true);
      this.updateRunningStats(ops, mean, variance, count);
    } else {
      const chan = [1, c, ...x.shape.slice(2).map(() => 1)];
      mean = ops.reshape(ops.variable(this.running_mean), chan);
      variance = ops.reshape(ops.variable(this.running_var), chan);
    }
    return channelAffine(ops, ops.mul(ops.sub(x, mean), ops.rsqrt(ops.add(variance, this.eps))), this.weight, this.bias);
  }

  /** The running update is bookkeeping, not part of the loss: no gradient flows into it. */
  private updateRunningStats(ops: Ops, mean: Tensor, biasedVar: Tensor, count: number): void {
    const c = this.numFeatures;
    const m = this.momentum;
    const batchMean = ops.stopGradient(ops.reshape(mean, [c]));
    const unbiased = ops.stopGradient(ops.mul(ops.reshape(biasedVar, [c]), count / (count - 1)));
    const blend = (v: Variable, stat: Tensor): Tensor => ops.add(ops.mul(ops.variable(v), 1 - m), ops.mul(stat, m));
    ops.assign(this.running_mean, blend(this.running_mean, batchMean));
    ops.assign(this.running_var, blend(this.running_var, unbiased));
    ops.assign(this.num_batches_tracked, ops.add(ops.variable(this.num_batches_tracked), 1));
  }
}
