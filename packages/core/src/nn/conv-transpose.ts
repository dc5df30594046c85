/**
 * ConvTranspose1d/2d/3d with PyTorch's names and layout: `weight`
 * [Cin, Cout/groups, ...k], `bias` [Cout]; default init as torch (whose
 * fan_in for this layout is Cout/groups * prod(k)).
 */
import type { Ops, Tensor } from '../ops.js';
import type { Rng } from '../util/rng.js';
import { checkChannelsFirst } from './checks.js';
import { ConvError } from './conv.js';
import { defaultInit, initRng, ntuple } from './init.js';
import { Block } from './layer.js';
import type { Variable } from './variable.js';

export interface ConvTransposeNdOptions {
  /** Default 1. */
  stride?: number | readonly number[];
  /** Implicit padding removed from both sides of the output. Default 0. */
  padding?: number | readonly number[];
  /** Default 0. */
  outputPadding?: number | readonly number[];
  /** Default 1. */
  dilation?: number | readonly number[];
  /** Default 1. */
  groups?: number;
  /** Default true. */
  bias?: boolean;
  rng?: Rng;
}

export class ConvTransposeNd extends Block {
  readonly weight: Variable;
  readonly bias: Variable | undefined;
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: number[];
  readonly outputPadding: number[];
  readonly dilation: number[];
  readonly groups: number;

  constructor(
    readonly spatialDims: 1 | 2 | 3,
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: number | readonly number[],
    opts: ConvTransposeNdOptions = {},
  ) {
    super();
    const n = spatialDims;
    const name = `ConvTranspose${n}d`;
    this.kernelSize = ntuple(kernelSize, n, `${name} kernelSize`);
    this.stride = ntuple(opts.stride ?? 1, n, `${name} stride`);
    this.padding = ntuple(opts.padding ?? 0, n, `${name} padding`);
    this.outputPadding = ntuple(opts.outputPadding ?? 0, n, `${name} outputPadding`);
    this.dilation = ntuple(opts.dilation ?? 1, n, `${name} dilation`);
    this.groups = opts.groups ?? 1;
    if (inChannels % this.groups || outChannels % this.groups) {
      throw new ConvError(`${name}: in (${inChannels}) and out (${outChannels}) channels must be divisible by groups (${this.groups})`);
    }
    const { weight, bias } = defaultInit(initRng(opts.rng), [inChannels, outChannels / this.groups, ...this.kernelSize], outChannels);
    this.weight = this.param('weight', weight);
    this.bias = opts.bias === false ? undefined : this.param('bias', bias);
  }

  forward(ops: Ops, x: Tensor): Tensor {
    checkChannelsFirst(`ConvTranspose${this.spatialDims}d(${this.inChannels}->${this.outChannels})`, x, this.spatialDims, this.inChannels);
    return ops.convTranspose(x, ops.variable(this.weight), this.bias && ops.variable(this.bias), {
      stride: this.stride,
      padding: this.padding,
      outputPadding: this.outputPadding,
      dilation: this.dilation,
      groups: this.groups,
    });
  }
}

export class ConvTranspose1d extends ConvTransposeNd {
  constructor(inChannels: number, outChannels: number, kernelSize: number | readonly number[], opts?: ConvTransposeNdOptions) {
    super(1, inChannels, outChannels, kernelSize, opts);
  }
}

export class ConvTranspose2d extends ConvTransposeNd {
  constructor(inChannels: number, outChannels: number, kernelSize: number | readonly number[], opts?: ConvTransposeNdOptions) {
    super(2, inChannels, outChannels, kernelSize, opts);
  }
}

export class ConvTranspose3d extends ConvTransposeNd {
  constructor(inChannels: number, outChannels: number, kernelSize: number | readonly number[], opts?: ConvTransposeNdOptions) {
    super(3, inChannels, outChannels, kernelSize, opts);
  }
}
