/**
 * BatchNorm over channels-first input [N, C, ...spatial] (torch.nn.BatchNorm1d/2d/3d),
 * with PyTorch's state-dict names: weight, bias, running_mean, running_var,
 * num_batches_tracked.
 *
 * Training mode (`module.train()`) normalizes with the batch mean and the
 * BIASED batch variance, and schedules (through `ops.assign`) the running
 * statistics update with the UNBIASED variance, exactly as PyTorch does:
 *   running = (1 − momentum)·running + momentum·batch_stat.
 * Eval mode normalizes with the running statistics.
 * Defaults (PyTorch): eps 1e-5, momentum 0.1, weight 1, bias 0.
 */
import { Block, HostTensor, ShapeError, type Ops, type Tensor, type Variable } from '@zoo/core';

export interface BatchNormOptions {
  /** Default 1e-5 (PyTorch). */
  eps?: number;
  /** Default 0.1 (PyTorch). */
  momentum?: number;
}

const filled = (n: number, v: number): HostTensor<'float32'> => new HostTensor([n], new Float32Array(n).fill(v), 'float32');

export class BatchNorm extends Block {
  readonly weight: Variable;
  readonly bias: Variable;
  readonly runningMean: Variable;
  readonly runningVar: Variable;
  /** Stored as float32 (all Variables are); exact up to 2^24 steps. */
  readonly numBatchesTracked: Variable;
  readonly eps: number;
  readonly momentum: number;

  constructor(
    readonly numFeatures: number,
    opts: BatchNormOptions = {},
  ) {
    super();
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum ?? 0.1;
    this.weight = this.param('weight', filled(numFeatures, 1));
    this.bias = this.param('bias', filled(numFeatures, 0));
    this.runningMean = this.buffer('running_mean', filled(numFeatures, 0));
    this.runningVar = this.buffer('running_var', filled(numFeatures, 1));
    this.numBatchesTracked = this.buffer('num_batches_tracked', HostTensor.from([0], []));
  }

  forward(ops: Ops, x: Tensor): Tensor {
    const c = this.numFeatures;
    if (x.shape.length < 2 || x.shape[1] !== c) throw new ShapeError(`BatchNorm(${c})`, `[N, C=${c}, ...]`, x.shape);
    const chan = [1, c, ...x.shape.slice(2).map(() => 1)];
    const axes = [0, ...x.shape.slice(2).map((_, i) => i + 2)];
    let mean: Tensor;
    let variance: Tensor;
    if (this.training) {
      const count = x.shape.reduce((a, d, i) => (i === 1 ? a : a * d), 1);
      if (count < 2) throw new ShapeError(`BatchNorm(${c}) in train mode`, 'more than one value per channel', x.shape);
      mean = ops.mean(x, axes, true);
      variance = ops.mean(ops.square(ops.sub(x, mean)), axes, true);
      const m = this.momentum;
      const batchMean = ops.stopGradient(ops.reshape(mean, [c]));
      const unbiased = ops.stopGradient(ops.mul(ops.reshape(variance, [c]), count / (count - 1)));
      ops.assign(this.runningMean, ops.add(ops.mul(ops.variable(this.runningMean), 1 - m), ops.mul(batchMean, m)));
      ops.assign(this.runningVar, ops.add(ops.mul(ops.variable(this.runningVar), 1 - m), ops.mul(unbiased, m)));
      ops.assign(this.numBatchesTracked, ops.add(ops.variable(this.numBatchesTracked), 1));
    } else {
      mean = ops.reshape(ops.variable(this.runningMean), chan);
      variance = ops.reshape(ops.variable(this.runningVar), chan);
    }
    const normed = ops.mul(ops.sub(x, mean), ops.rsqrt(ops.add(variance, this.eps)));
    return ops.add(ops.mul(normed, ops.reshape(ops.variable(this.weight), chan)), ops.reshape(ops.variable(this.bias), chan));
  }
}
