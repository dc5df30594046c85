/**
 * CausalConv3d: a Conv3d whose temporal padding is all at the front, so
 * output frame t sees only input frames <= t. Follows magvit2-pytorch's
 * `CausalConv3d` (lucidrains, commit a00519f): time_pad =
 * dilation*(kt-1) + (1-stride), spatial pad = k//2 on both sides, one pad
 * call with `pad_mode` for all dims, then an unpadded `conv` (so the
 * parameter keys are `conv.weight` / `conv.bias`, loadable from it).
 *
 * One deliberate difference: magvit2-pytorch falls back to zero padding when
 * time_pad >= T (e.g. a single-frame image with a 3-tap kernel). We always
 * use the requested mode, so encoding an image equals encoding the first
 * frame of a video that starts with it.
 */
import { ShapeError } from '../tensor.js';
import type { Ops, Tensor } from '../ops.js';
import type { Rng } from '../util/rng.js';
import { checkChannelsFirst } from './checks.js';
import { Conv3d, ConvError, type ConvNd } from './conv.js';
import { ntuple } from './init.js';
import { Block } from './layer.js';

/** Temporal padding: zeros (magvit2-pytorch default) or copies of the first frame. */
export type CausalPadMode = 'constant' | 'replicate';

export interface CausalConv3dOptions {
  /** Temporal stride; spatial stride is 1 (as in magvit2-pytorch). Default 1. */
  stride?: number;
  /** Temporal dilation. Default 1. */
  dilation?: number;
  /** Default 'constant' (magvit2-pytorch's default). */
  padMode?: CausalPadMode;
  /**
   * Spatial border mode; default: the same as `padMode` (magvit2-pytorch
   * pads all dims with one mode). 'constant' with padMode 'replicate' gives
   * the other common convention (replicate first frame, zero H/W borders).
   */
  spatialPadMode?: 'constant' | 'replicate' | 'reflect';
  /** Default true. */
  bias?: boolean;
  rng?: Rng;
}

export class CausalConv3d extends Block {
  readonly conv: Conv3d;
  readonly timePad: number;
  readonly spatialPad: [number, number];
  readonly padMode: CausalPadMode;
  readonly spatialPadMode: 'constant' | 'replicate' | 'reflect';

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: number | readonly number[],
    opts: CausalConv3dOptions = {},
  ) {
    super();
    const [kt, kh, kw] = ntuple(kernelSize, 3, 'CausalConv3d kernelSize') as [number, number, number];
    if (kh % 2 === 0 || kw % 2 === 0) {
      throw new ConvError(`CausalConv3d: spatial kernel sizes must be odd, got [${kt}, ${kh}, ${kw}]`);
    }
    const stride = opts.stride ?? 1;
    const dilation = opts.dilation ?? 1;
    this.timePad = dilation * (kt - 1) + (1 - stride);
    if (this.timePad < 0) {
      throw new ConvError(`CausalConv3d: temporal stride ${stride} exceeds dilated kernel extent ${dilation * (kt - 1) + 1}`);
    }
    this.spatialPad = [Math.floor(kh / 2), Math.floor(kw / 2)];
    this.padMode = opts.padMode ?? 'constant';
    this.spatialPadMode = opts.spatialPadMode ?? this.padMode;
    this.conv = this.child(
      'conv',
      new Conv3d(inChannels, outChannels, [kt, kh, kw], {
        stride: [stride, 1, 1],
        dilation: [dilation, 1, 1],
        bias: opts.bias ?? true,
        rng: opts.rng,
      }),
    );
  }

  forward(ops: Ops, x: Tensor): Tensor {
    const where = `CausalConv3d(${this.inChannels}->${this.outChannels})`;
    checkChannelsFirst(where, x, 3, this.inChannels);
    const [ph, pw] = this.spatialPad;
    if (this.spatialPadMode === 'reflect' && (x.shape[3]! <= ph || x.shape[4]! <= pw)) {
      throw new ShapeError(where, `H > ${ph} and W > ${pw} for reflect padding`, x.shape);
    }
    return causalConvolve(ops, this.conv, x, this.timePad, this.spatialPad, this.padMode, this.spatialPadMode);
  }
}

/**
 * `conv` (a 3-D conv without padding of its own) over x [N, C, T, H, W]
 * causally padded: `timePad` frames in front in `padMode`, `spatialPad` on
 * both sides of H and W in `spatialPadMode`. Zeros in both go into the Conv
 * node's pads: no padded copy of x, and the input gradient comes out unpadded
 * (docs/benchmarks.md, 2026-12-05 08:07 A/B). CausalConv3d and magvit2's
 * strided CausalDownsample share it.
 */
export function causalConvolve(
  ops: Ops,
  conv: ConvNd,
  x: Tensor,
  timePad: number,
  [ph, pw]: readonly [number, number],
  padMode: CausalPadMode,
  spatialPadMode: 'constant' | 'replicate' | 'reflect',
): Tensor {
  if (padMode === 'constant' && spatialPadMode === 'constant') return conv.convolve(ops, x, [[timePad, 0], [ph, ph], [pw, pw]]);
  let y = x;
  if (spatialPadMode === padMode) {
    y = ops.pad(y, [[0, 0], [0, 0], [timePad, 0], [ph, ph], [pw, pw]], padMode);
  } else {
    if (timePad) y = ops.pad(y, [[0, 0], [0, 0], [timePad, 0], [0, 0], [0, 0]], padMode);
    if (ph || pw) y = ops.pad(y, [[0, 0], [0, 0], [0, 0], [ph, ph], [pw, pw]], spatialPadMode);
  }
  return conv.forward(ops, y);
}
