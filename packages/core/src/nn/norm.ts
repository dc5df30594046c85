/**
 * GroupNorm and LayerNorm with PyTorch's names (`weight`, `bias`), defaults
 * (eps 1e-5, affine on, weight 1, bias 0) and biased variance.
 * VQGAN (taming-transformers `Normalize`) uses GroupNorm(32, C, eps=1e-6).
 */
import { ShapeError } from '../tensor.js';
import type { Ops, Tensor } from '../ops.js';
import { filledTensor } from './init.js';
import { Block } from './layer.js';
import type { Variable } from './variable.js';

export interface NormOptions {
  /** Default 1e-5 (PyTorch). */
  eps?: number;
  /** Learnable per-channel scale and shift. Default true. */
  affine?: boolean;
}

export class NormError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NormError';
  }
}

/** Normalizes x over `axes` with biased variance (mean of squared deviations). */
export function normalize(ops: Ops, x: Tensor, axes: readonly number[], eps: number): Tensor {
  const r = x.shape.length;
  const trailing = axes.length > 0 && axes.every((a, i) => (a < 0 ? a + r : a) === r - axes.length + i);
  if (trailing) {
    // one fused primitive over the flattened trailing axes
    const lead = x.shape.slice(0, r - axes.length);
    const n = x.shape.slice(r - axes.length).reduce((p, d) => p * d, 1);
    return ops.reshape(ops.normalizeLast(ops.reshape(x, [...lead, n]), eps), x.shape);
  }
  const mean = ops.mean(x, axes, true);
  const centered = ops.sub(x, mean);
  const variance = ops.mean(ops.square(centered), axes, true);
  return ops.mul(centered, ops.rsqrt(ops.add(variance, eps)));
}

/**
 * y·weight + bias with per-channel [C] parameters broadcast over channels-first
 * y [N, C, ...] (the affine step of GroupNorm, BatchNorm and the per-frame
 * GroupNorm); y unchanged when there are none (affine off).
 */
export function channelAffine(ops: Ops, y: Tensor, weight: Variable | undefined, bias: Variable | undefined): Tensor {
  if (!weight || !bias) return y;
  const chan = [1, y.shape[1]!, ...y.shape.slice(2).map(() => 1)];
  return ops.add(ops.mul(y, ops.reshape(ops.variable(weight), chan)), ops.reshape(ops.variable(bias), chan));
}

/** torch.nn.GroupNorm: x [N, C, ...] with any number (>= 0) of spatial dims. */
export class GroupNorm extends Block {
  readonly weight: Variable | undefined;
  readonly bias: Variable | undefined;
  readonly eps: number;

  constructor(
    readonly numGroups: number,
    readonly numChannels: number,
    opts: NormOptions = {},
  ) {
    super();
    if (numGroups <= 0 || numChannels % numGroups !== 0) {
      throw new NormError(`GroupNorm: numChannels (${numChannels}) must be divisible by numGroups (${numGroups})`);
    }
    this.eps = opts.eps ?? 1e-5;
    const affine = opts.affine ?? true;
    this.weight = affine ? this.param('weight', filledTensor([numChannels], 1)) : undefined;
    this.bias = affine ? this.param('bias', filledTensor([numChannels], 0)) : undefined;
  }

  forward(ops: Ops, x: Tensor): Tensor {
    if (x.shape.length < 2 || x.shape[1] !== this.numChannels) {
      throw new ShapeError(`GroupNorm(${this.numGroups}, ${this.numChannels})`, `[N, C=${this.numChannels}, ...]`, x.shape);
    }
    const [n, c] = x.shape as [number, number];
    const spatial = x.shape.slice(2);
    const perGroup = (c / this.numGroups) * spatial.reduce((a, b) => a * b, 1);
    const grouped = ops.reshape(x, [n, this.numGroups, perGroup]);
    return channelAffine(ops, ops.reshape(normalize(ops, grouped, [2], this.eps), x.shape), this.weight, this.bias);
  }
}

/** torch.nn.LayerNorm over the trailing `normalizedShape` dims. */
export class LayerNorm extends Block {
  readonly normalizedShape: number[];
  readonly weight: Variable | undefined;
  readonly bias: Variable | undefined;
  readonly eps: number;

  constructor(normalizedShape: number | readonly number[], opts: NormOptions = {}) {
    super();
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    this.eps = opts.eps ?? 1e-5;
    const affine = opts.affine ?? true;
    this.weight = affine ? this.param('weight', filledTensor(this.normalizedShape, 1)) : undefined;
    this.bias = affine ? this.param('bias', filledTensor(this.normalizedShape, 0)) : undefined;
  }

  forward(ops: Ops, x: Tensor): Tensor {
    const k = this.normalizedShape.length;
    const tail = x.shape.slice(x.shape.length - k);
    if (x.shape.length < k || tail.some((d, i) => d !== this.normalizedShape[i])) {
      throw new ShapeError(`LayerNorm([${this.normalizedShape.join(', ')}])`, `[..., ${this.normalizedShape.join(', ')}]`, x.shape);
    }
    const axes = this.normalizedShape.map((_, i) => x.shape.length - k + i);
    let y = normalize(ops, x, axes, this.eps);
    if (this.weight && this.bias) y = ops.add(ops.mul(y, ops.variable(this.weight)), ops.variable(this.bias));
    return y;
  }
}
