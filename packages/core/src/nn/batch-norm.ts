/**
 * torch.nn.BatchNorm1d/2d/3d with PyTorch's keys (`weight`, `bias`,
 * `running_mean`, `running_var`; the `num_batches_tracked` counter is not
 * kept: loaders drop it) and defaults (eps 1e-5, affine on, running mean 0,
 * running variance 1). In eval mode it normalizes with the running
 * statistics, as every pretrained checkpoint (VideoGPT's VQ-VAE) is run.
 * In training mode it normalizes with the batch's own statistics (biased
 * variance, like torch) but does not update the running ones: models here
 * are trained with GroupNorm, so running-statistic updates are not implemented.
 */
import { ShapeError } from '../tensor.js';
import type { Ops, Tensor } from '../ops.js';
import { filledTensor } from './init.js';
import { Block } from './layer.js';
import type { NormOptions } from './norm.js';
import { normalize } from './norm.js';
import type { Variable } from './variable.js';

export class BatchNorm extends Block {
  readonly weight: Variable | undefined;
  readonly bias: Variable | undefined;
  readonly running_mean: Variable;
  readonly running_var: Variable;
  readonly eps: number;

  constructor(
    readonly numFeatures: number,
    opts: NormOptions = {},
  ) {
    super();
    this.eps = opts.eps ?? 1e-5;
    const affine = opts.affine ?? true;
    this.weight = affine ? this.param('weight', filledTensor([numFeatures], 1)) : undefined;
    this.bias = affine ? this.param('bias', filledTensor([numFeatures], 0)) : undefined;
    this.running_mean = this.buffer('running_mean', filledTensor([numFeatures], 0));
    this.running_var = this.buffer('running_var', filledTensor([numFeatures], 1));
  }

  forward(ops: Ops, x: Tensor): Tensor {
    if (x.shape.length < 2 || x.shape[1] !== this.numFeatures) {
      throw new ShapeError(`BatchNorm(${this.numFeatures})`, `[N, C=${this.numFeatures}, ...]`, x.shape);
    }
    const c = this.numFeatures;
    const s = [1, c, ...x.shape.slice(2).map(() => 1)];
    const axes = [0, ...x.shape.slice(2).map((_, i) => i + 2)];
    let y = this.training
      ? normalize(ops, x, axes, this.eps)
      : ops.mul(
          ops.sub(x, ops.reshape(ops.variable(this.running_mean), s)),
          ops.reshape(ops.rsqrt(ops.add(ops.variable(this.running_var), this.eps)), s),
        );
    if (this.weight && this.bias) y = ops.add(ops.mul(y, ops.reshape(ops.variable(this.weight), s)), ops.reshape(ops.variable(this.bias), s));
    return y;
  }
}
