/**
 * Causal resampling for the MAGVIT-v2-style family.
 *
 * Down: a 3x3x3 conv with stride (ft, fs, fs) after padding kt-1 = 2 frames
 * at the front only (magvit2-pytorch `TimeDownsample2x` pads (k-1, 0) then
 * strides by 2) and 1 pixel on each spatial side (its `SpatialDownsample2x`).
 * Output frame j reads input frames 2j-2..2j, so 1+2k frames become 1+k.
 *
 * Up: depth-to-space (MAGVIT-v2 replaces transposed convs with it): a causal
 * 3x3x3 conv to C*ft*fs*fs channels, rearrange into time and space, then
 * drop the first ft-1 frames so 1+k frames become 1+ft*k (the first latent
 * frame decodes to exactly one frame, like an image). The conv weight is
 * initialized with each group of ft*fs*fs output channels sharing one
 * kernel (as magvit2-pytorch's `init_conv_`), so at init the block is a
 * nearest-neighbour upsample followed by a conv.
 */
import {
  CausalConv3d,
  causalConvolve,
  Conv3d,
  HostTensor,
  ShapeError,
  checkChannelsFirst,
  depthToSpace3d,
  type CausalPadMode,
  type Ops,
  type Rng,
  type Tensor,
  Block,
} from '@zoo/core';

export interface CausalSamplingOptions {
  /** Temporal factor, 1 or 2. */
  timeFactor: 1 | 2;
  /** Spatial factor, 1 or 2. */
  spaceFactor: 1 | 2;
  padMode: CausalPadMode;
  spatialPadMode: 'constant' | 'replicate' | 'reflect';
  rng?: Rng;
}

export class CausalDownsample extends Block {
  readonly conv: Conv3d;

  constructor(
    readonly channels: number,
    readonly opts: CausalSamplingOptions,
  ) {
    super();
    const s = opts.spaceFactor;
    this.conv = this.child('conv', new Conv3d(channels, channels, 3, { stride: [opts.timeFactor, s, s], rng: opts.rng }));
  }

  forward(ops: Ops, x: Tensor): Tensor {
    const where = `CausalDownsample(${this.channels}, t${this.opts.timeFactor}, s${this.opts.spaceFactor})`;
    checkChannelsFirst(where, x, 3, this.channels);
    const s = this.opts.spaceFactor;
    if (s === 2 && (x.shape[3]! % 2 || x.shape[4]! % 2)) throw new ShapeError(where, '[N, C, T, H, W] with even H and W', x.shape);
    if (this.opts.timeFactor === 2 && x.shape[2]! % 2 !== 1) throw new ShapeError(where, '[N, C, T = 1 + 2k, H, W]', x.shape);
    // the 3x3x3 kernel's causal padding: 2 frames in front, 1 pixel around
    return causalConvolve(ops, this.conv, x, 2, [1, 1], this.opts.padMode, this.opts.spatialPadMode);
  }
}

export class DepthToSpaceUpsample extends Block {
  readonly conv: CausalConv3d;
  private readonly block: number;

  constructor(
    readonly channels: number,
    readonly opts: CausalSamplingOptions,
  ) {
    super();
    const { timeFactor: ft, spaceFactor: fs } = opts;
    this.block = ft * fs * fs;
    this.conv = this.child(
      'conv',
      new CausalConv3d(channels, channels * this.block, 3, { padMode: opts.padMode, spatialPadMode: opts.spatialPadMode, rng: opts.rng }),
    );
    shareKernelsPerBlock(this.conv.conv.weight.value, this.block);
    this.conv.conv.bias!.value = HostTensor.zeros([channels * this.block]);
  }

  forward(ops: Ops, x: Tensor): Tensor {
    checkChannelsFirst(`DepthToSpaceUpsample(${this.channels})`, x, 3, this.channels);
    const { timeFactor: ft, spaceFactor: fs } = this.opts;
    const y = depthToSpace3d(ops, this.conv.forward(ops, x), [ft, fs, fs]);
    if (ft === 1) return y;
    const [n, c, t, h, w] = y.shape as [number, number, number, number, number];
    return ops.slice(y, [0, 0, ft - 1, 0, 0], [n, c, t, h, w]);
  }
}

/** Copies the kernel of output channel c*block to channels c*block+1 .. c*block+block-1. */
function shareKernelsPerBlock(weight: HostTensor<'float32'>, block: number): void {
  const per = weight.data.length / weight.shape[0]!;
  for (let o = 0; o < weight.shape[0]!; o++) {
    const src = (o - (o % block)) * per;
    if (src !== o * per) weight.data.copyWithin(o * per, src, src + per);
  }
}
