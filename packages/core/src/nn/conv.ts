/**
 * Conv1d / Conv2d / Conv3d with PyTorch's parameter names (`weight`
 * [Cout, Cin/groups, ...k], `bias` [Cout]), arguments and default init.
 */
import type { Ops, PadMode, Tensor } from '../ops.js';
import type { Rng } from '../util/rng.js';
import { checkChannelsFirst } from './checks.js';
import { defaultInit, initRng, ntuple } from './init.js';
import { Block } from './layer.js';
import type { Variable } from './variable.js';

/** PyTorch's `padding_mode` names ('circular' is not supported). */
export type PaddingMode = 'zeros' | 'reflect' | 'replicate';

export interface ConvNdOptions {
  /** Default 1. */
  stride?: number | readonly number[];
  /**
   * Default 0. A number, one per spatial dim (both sides), [before, after]
   * pairs per spatial dim, or 'same' (stride 1 only; extra padding goes
   * after, as in PyTorch).
   */
  padding?: number | readonly number[] | readonly (readonly [number, number])[] | 'same';
  /** Default 1. */
  dilation?: number | readonly number[];
  /** Default 1. */
  groups?: number;
  /** Default true. */
  bias?: boolean;
  /** Default 'zeros' (PyTorch). reflect/replicate pad the input before an unpadded conv. */
  paddingMode?: PaddingMode;
  /** Init generator; default the process-wide one (see `manualSeed`). */
  rng?: Rng;
}

export class ConvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConvError';
  }
}

export function toPadMode(mode: PaddingMode): PadMode {
  return mode === 'zeros' ? 'constant' : mode;
}

/** Shared implementation; use Conv1d / Conv2d / Conv3d. */
export class ConvNd extends Block {
  readonly weight: Variable;
  readonly bias: Variable | undefined;
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly dilation: number[];
  readonly groups: number;
  readonly paddingMode: PaddingMode;
  /** [before, after] per spatial dim. */
  readonly pads: [number, number][];

  constructor(
    readonly spatialDims: 1 | 2 | 3,
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: number | readonly number[],
    opts: ConvNdOptions = {},
  ) {
    super();
    const n = spatialDims;
    const name = `Conv${n}d`;
    this.kernelSize = ntuple(kernelSize, n, `${name} kernelSize`);
    this.stride = ntuple(opts.stride ?? 1, n, `${name} stride`);
    this.dilation = ntuple(opts.dilation ?? 1, n, `${name} dilation`);
    this.groups = opts.groups ?? 1;
    this.paddingMode = opts.paddingMode ?? 'zeros';
    if (inChannels % this.groups || outChannels % this.groups) {
      throw new ConvError(`${name}: in (${inChannels}) and out (${outChannels}) channels must be divisible by groups (${this.groups})`);
    }
    this.pads = resolvePadding(opts.padding ?? 0, this.kernelSize, this.dilation, this.stride, name);
    const rng = initRng(opts.rng);
    const { weight, bias } = defaultInit(rng, [outChannels, inChannels / this.groups, ...this.kernelSize], outChannels);
    this.weight = this.param('weight', weight);
    this.bias = opts.bias === false ? undefined : this.param('bias', bias);
  }

  forward(ops: Ops, x: Tensor): Tensor {
    if (this.paddingMode !== 'zeros' && this.pads.some(([a, b]) => a || b)) {
      this.checkInput(x); // before the pad, whose own error would not name this layer
      return this.convolve(ops, ops.pad(x, [[0, 0], [0, 0], ...this.pads], toPadMode(this.paddingMode)), this.pads.map(() => [0, 0]));
    }
    return this.convolve(ops, x, this.pads);
  }

  /**
   * This layer's convolution with the given zero padding in place of its
   * own. A wrapper that would zero-pad x itself passes its padding here
   * instead: in the Conv node it costs no padded copy of x, and the input
   * gradient comes out unpadded (the causal convs, taming's Downsample,
   * VideoGPT's SamePadConv3d).
   */
  convolve(ops: Ops, x: Tensor, padding: readonly (readonly [number, number])[]): Tensor {
    this.checkInput(x);
    return ops.conv(x, ops.variable(this.weight), this.bias && ops.variable(this.bias), {
      stride: this.stride,
      padding,
      dilation: this.dilation,
      groups: this.groups,
    });
  }

  private checkInput(x: Tensor): void {
    checkChannelsFirst(`Conv${this.spatialDims}d(${this.inChannels}->${this.outChannels})`, x, this.spatialDims, this.inChannels);
  }
}

export function resolvePadding(
  padding: NonNullable<ConvNdOptions['padding']>,
  kernel: readonly number[],
  dilation: readonly number[],
  stride: readonly number[],
  name: string,
): [number, number][] {
  const n = kernel.length;
  if (padding === 'same') {
    if (stride.some((s) => s !== 1)) throw new ConvError(`${name}: padding 'same' needs stride 1, got stride [${stride.join(', ')}]`);
    return kernel.map((k, i) => {
      const total = dilation[i]! * (k - 1);
      return [Math.floor(total / 2), total - Math.floor(total / 2)];
    });
  }
  if (typeof padding === 'number') return Array.from({ length: n }, () => [padding, padding]);
  if (padding.length !== n) throw new ConvError(`${name}: padding needs ${n} entries, got ${padding.length}`);
  return padding.map((p) => (typeof p === 'number' ? [p, p] : [p[0], p[1]]));
}

/** torch.nn.Conv1d: x [N, C, L]. */
export class Conv1d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: number | readonly number[], opts?: ConvNdOptions) {
    super(1, inChannels, outChannels, kernelSize, opts);
  }
}

/** torch.nn.Conv2d: x [N, C, H, W]. */
export class Conv2d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: number | readonly number[], opts?: ConvNdOptions) {
    super(2, inChannels, outChannels, kernelSize, opts);
  }
}

/** torch.nn.Conv3d: x [N, C, T, H, W]. */
export class Conv3d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: number | readonly number[], opts?: ConvNdOptions) {
    super(3, inChannels, outChannels, kernelSize, opts);
  }
}
