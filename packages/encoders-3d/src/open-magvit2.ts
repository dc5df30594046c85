/**
 * Open-MAGVIT2's image and video encoders and decoders (TencentARC/SEED-Voken
 * src/Open_MAGVIT2/modules/diffusionmodules/improved_model.py and
 * improved_video_model.py @ b9a17ea), with their keys. Unlike taming's VQGAN
 * body: bias-free 3x3(x3) convs in the res blocks, no attention,
 * `mid_block.{j}` lists, a plain strided conv as downsample, a depth-to-space
 * upsampler (`up.{i}.upsample.conv1`, DCR channel order) and, per decoder
 * level, an AdaptiveGroupNorm (`adaptive.{i}.gamma/beta`) conditioned on the
 * quantized latent's per-channel std (unbiased, as torch's var()) and mean.
 * GroupNorm(32, eps 1e-6) throughout (over T too in the video model).
 *
 * Image: Conv2d layers with PyTorch padding (keys `weight`, `bias`).
 * Video: every conv is a causal `ConvBlock3D` (key `conv_1`; zeros padded
 * k_t − 1 frames in front, k/2 around H and W). A level whose ch_mult is 1
 * downsamples (1, 2, 2), others (2, 2, 2); the decoder mirrors that, and a
 * temporal ×2 upsample drops the second frame so 1 + k latent frames give
 * 1 + 2k (`T = 1 + 4k` in, `1 + k` latents out at 4x8x8).
 */
import { ConvNd, GroupNorm, Linear, Module, silu, type Ops, type Rng, type Tensor } from '@zoo/core';

type Conv = Module & { forward(ops: Ops, x: Tensor): Tensor };

/** `ConvBlock3D(causal=True)`: key `conv_1`. */
export class CausalConvBlock3d extends Module {
  readonly conv_1: ConvNd;
  private readonly pads: [number, number][];
  constructor(inCh: number, outCh: number, kernel: number, opts: { stride?: readonly number[]; bias?: boolean; rng?: Rng } = {}) {
    super();
    this.conv_1 = this.child('conv_1', new ConvNd(3, inCh, outCh, kernel, { stride: opts.stride ?? 1, bias: opts.bias ?? true, rng: opts.rng }));
    const s = Math.floor(kernel / 2);
    this.pads = [[kernel - 1, 0], [s, s], [s, s]];
  }
  forward(ops: Ops, x: Tensor): Tensor {
    return this.conv_1.convolve(ops, x, this.pads);
  }
}

/** What differs between the image and the video model. */
interface OmKit {
  readonly video: boolean;
  conv(inCh: number, outCh: number, kernel: 1 | 3, opts?: { stride?: readonly number[]; bias?: boolean }): Conv;
}

function imageKit(rng?: Rng): OmKit {
  return {
    video: false,
    conv: (i, o, k, opts = {}) => new ConvNd(2, i, o, k, { padding: (k - 1) / 2, stride: opts.stride ? opts.stride.slice(-2) : 1, bias: opts.bias ?? true, rng }),
  };
}

function videoKit(rng?: Rng): OmKit {
  return { video: true, conv: (i, o, k, opts = {}) => new CausalConvBlock3d(i, o, k, { ...opts, rng }) };
}

/** `ResBlock`: norm1 → swish → conv1 → norm2 → swish → conv2, plus a 1x1 shortcut when widths differ. */
export class OmResBlock extends Module {
  readonly norm1: GroupNorm;
  readonly norm2: GroupNorm;
  readonly conv1: Conv;
  readonly conv2: Conv;
  readonly shortcut: Conv | undefined;
  constructor(kit: OmKit, inCh: number, outCh: number) {
    super();
    this.norm1 = this.child('norm1', new GroupNorm(32, inCh, { eps: 1e-6 }));
    this.norm2 = this.child('norm2', new GroupNorm(32, outCh, { eps: 1e-6 }));
    this.conv1 = this.child('conv1', kit.conv(inCh, outCh, 3, { bias: false }));
    this.conv2 = this.child('conv2', kit.conv(outCh, outCh, 3, { bias: false }));
    // Upstream's use_conv_shortcut is never set by its Encoder/Decoder: the shortcut is the 1x1 nin_shortcut.
    if (inCh !== outCh) this.shortcut = this.child('nin_shortcut', kit.conv(inCh, outCh, 1, { bias: false }));
  }
  forward(ops: Ops, x: Tensor): Tensor {
    let h = this.conv1.forward(ops, silu(ops, this.norm1.forward(ops, x)));
    h = this.conv2.forward(ops, silu(ops, this.norm2.forward(ops, h)));
    return ops.add(h, this.shortcut ? this.shortcut.forward(ops, x) : x);
  }
}

export interface OpenMagvit2CodecConfig {
  /** Image channels (in_channels / out_ch; 3). */
  channels: number;
  /** Base width `ch` (128 in the released configs). */
  ch: number;
  /** `ch_mult` ([1, 1, 2, 2, 4] image 16x; [1, 2, 2, 4] image 8x and video 4x8x8). */
  chMult: readonly number[];
  /** `num_res_blocks` (4 in the released configs). */
  numResBlocks: number;
  /** `z_channels` = LFQ bits (18 for 2^18 codes). */
  zChannels: number;
  /** The causal 3-D video model instead of the 2-D image model. Default false. */
  video?: boolean;
  rng?: Rng;
}

const kitOf = (cfg: OpenMagvit2CodecConfig): OmKit => (cfg.video ? videoKit(cfg.rng) : imageKit(cfg.rng));
/** The video model resamples time only at levels whose multiplier is not 1. */
const timeFactor = (mult: number): 1 | 2 => (mult === 1 ? 1 : 2);

class DownLevel extends Module {
  readonly block: OmResBlock[];
  readonly downsample: Conv | undefined;
  constructor(blocks: OmResBlock[], downsample: Conv | undefined) {
    super();
    this.block = this.children('block', blocks);
    this.downsample = downsample ? this.child('downsample', downsample) : undefined;
  }
}

export class OpenMagvit2Encoder extends Module {
  readonly conv_in: Conv;
  readonly down: DownLevel[];
  readonly mid_block: OmResBlock[];
  readonly norm_out: GroupNorm;
  readonly conv_out: Conv;
  constructor(cfg: OpenMagvit2CodecConfig) {
    super();
    const kit = kitOf(cfg);
    this.conv_in = this.child('conv_in', kit.conv(cfg.channels, cfg.ch, 3, { bias: false }));
    const levels: DownLevel[] = [];
    let blockIn = cfg.ch;
    cfg.chMult.forEach((m, i) => {
      const blockOut = cfg.ch * m;
      const blocks = [...Array(cfg.numResBlocks).keys()].map(() => {
        const b = new OmResBlock(kit, blockIn, blockOut);
        blockIn = blockOut;
        return b;
      });
      const last = i === cfg.chMult.length - 1;
      levels.push(new DownLevel(blocks, last ? undefined : kit.conv(blockOut, blockOut, 3, { stride: [timeFactor(m), 2, 2] })));
    });
    this.down = this.children('down', levels);
    this.mid_block = this.children('mid_block', [...Array(cfg.numResBlocks).keys()].map(() => new OmResBlock(kit, blockIn, blockIn)));
    this.norm_out = this.child('norm_out', new GroupNorm(32, blockIn, { eps: 1e-6 }));
    this.conv_out = this.child('conv_out', kit.conv(blockIn, cfg.zChannels, 1));
  }
  forward(ops: Ops, x: Tensor): Tensor {
    let h = this.conv_in.forward(ops, x);
    for (const level of this.down) {
      for (const b of level.block) h = b.forward(ops, h);
      if (level.downsample) h = level.downsample.forward(ops, h);
    }
    for (const b of this.mid_block) h = b.forward(ops, h);
    return this.conv_out.forward(ops, silu(ops, this.norm_out.forward(ops, h)));
  }
}

/** `AdaptiveGroupNorm`: GroupNorm(32, affine off)(x) · gamma(std(z)) + beta(mean(z)), statistics over all of z's positions. */
export class AdaptiveGroupNorm extends Module {
  readonly gn: GroupNorm;
  readonly gamma: Linear;
  readonly beta: Linear;
  constructor(zChannels: number, channels: number, readonly eps = 1e-6, rng?: Rng) {
    super();
    this.gn = this.child('gn', new GroupNorm(32, channels, { eps, affine: false }));
    this.gamma = this.child('gamma', new Linear(zChannels, channels, { rng }));
    this.beta = this.child('beta', new Linear(zChannels, channels, { rng }));
  }
  forward(ops: Ops, x: Tensor, z: Tensor): Tensor {
    const [b, c] = x.shape as [number, number];
    const zc = z.shape[1]!;
    const n = z.shape.slice(2).reduce((a, d) => a * d, 1);
    const flat = ops.reshape(z, [b, zc, n]);
    const mean = ops.mean(flat, 2); // [B, Z]
    const sq = ops.sum(ops.square(ops.sub(flat, ops.reshape(mean, [b, zc, 1]))), 2);
    const std = ops.sqrt(ops.add(ops.div(sq, n - 1), this.eps));
    const s = [b, c, ...x.shape.slice(2).map(() => 1)];
    const scale = ops.reshape(this.gamma.forward(ops, std), s);
    const bias = ops.reshape(this.beta.forward(ops, mean), s);
    return ops.add(ops.mul(this.gn.forward(ops, x), scale), bias);
  }
}

/**
 * `Upsampler`: conv to C·bt·2·2, then depth-to-space in DCR order (channel
 * ((it·2 + i)·2 + j)·C + c goes to offset (it, i, j)); with bt = 2 the second
 * output frame is dropped (only the first when there were 2).
 */
export class DcrUpsampler extends Module {
  readonly conv1: Conv;
  private readonly bt: number;
  constructor(kit: OmKit, readonly channels: number, timeBlock: 1 | 2) {
    super();
    this.bt = kit.video ? timeBlock : 1;
    this.conv1 = this.child('conv1', kit.conv(channels, channels * 4 * this.bt, 3));
  }
  forward(ops: Ops, x: Tensor): Tensor {
    const y = this.conv1.forward(ops, x);
    const c = this.channels;
    if (y.shape.length === 4) {
      const [n, , h, w] = y.shape as [number, number, number, number];
      const t = ops.transpose(ops.reshape(y, [n, 2, 2, c, h, w]), [0, 3, 4, 1, 5, 2]);
      return ops.reshape(t, [n, c, h * 2, w * 2]);
    }
    const [n, , tt, h, w] = y.shape as [number, number, number, number, number];
    const bt = this.bt;
    // Time first ([N, bt, 4C, T, HW] -> [N, 4C, T·bt, H, W]), then the 2x2 per frame: ranks stay <= 6.
    let v = ops.transpose(ops.reshape(y, [n, bt, 4 * c, tt, h * w]), [0, 2, 3, 1, 4]);
    const t2 = tt * bt;
    v = ops.reshape(ops.transpose(ops.reshape(v, [n, 4 * c, t2, h, w]), [0, 2, 1, 3, 4]), [n * t2, 4 * c, h, w]);
    v = ops.reshape(ops.transpose(ops.reshape(v, [n * t2, 2, 2, c, h, w]), [0, 3, 4, 1, 5, 2]), [n, t2, c, h * 2, w * 2]);
    v = ops.transpose(v, [0, 2, 1, 3, 4]);
    if (bt === 1) return v;
    if (t2 <= 2) return ops.slice(v, [0], [1], [2]);
    return ops.concat([ops.slice(v, [0], [1], [2]), ops.slice(v, [2], [t2], [2])], 2);
  }
}

class UpLevel extends Module {
  readonly block: OmResBlock[];
  readonly upsample: DcrUpsampler | undefined;
  constructor(blocks: OmResBlock[], upsample: DcrUpsampler | undefined) {
    super();
    this.block = this.children('block', blocks);
    this.upsample = upsample ? this.child('upsample', upsample) : undefined;
  }
}

export class OpenMagvit2Decoder extends Module {
  readonly conv_in: Conv;
  readonly mid_block: OmResBlock[];
  readonly up: UpLevel[];
  readonly adaptive: AdaptiveGroupNorm[];
  readonly norm_out: GroupNorm;
  readonly conv_out: Conv;
  constructor(cfg: OpenMagvit2CodecConfig) {
    super();
    const kit = kitOf(cfg);
    const L = cfg.chMult.length;
    let blockIn = cfg.ch * cfg.chMult[L - 1]!;
    this.conv_in = this.child('conv_in', kit.conv(cfg.zChannels, blockIn, 3));
    this.mid_block = this.children('mid_block', [...Array(cfg.numResBlocks).keys()].map(() => new OmResBlock(kit, blockIn, blockIn)));
    const up = new Array<UpLevel>(L);
    const adaptive = new Array<AdaptiveGroupNorm>(L);
    for (let i = L - 1; i >= 0; i--) {
      const blockOut = cfg.ch * cfg.chMult[i]!;
      adaptive[i] = new AdaptiveGroupNorm(cfg.zChannels, blockIn, 1e-6, cfg.rng);
      const blocks = [...Array(cfg.numResBlocks).keys()].map(() => {
        const b = new OmResBlock(kit, blockIn, blockOut);
        blockIn = blockOut;
        return b;
      });
      up[i] = new UpLevel(blocks, i > 0 ? new DcrUpsampler(kit, blockIn, timeFactor(cfg.chMult[i - 1]!)) : undefined);
    }
    this.up = this.children('up', up);
    this.adaptive = this.children('adaptive', adaptive);
    this.norm_out = this.child('norm_out', new GroupNorm(32, blockIn, { eps: 1e-6 }));
    this.conv_out = this.child('conv_out', kit.conv(blockIn, cfg.channels, 3));
  }
  forward(ops: Ops, z: Tensor): Tensor {
    let h = this.conv_in.forward(ops, z);
    for (const b of this.mid_block) h = b.forward(ops, h);
    for (let i = this.up.length - 1; i >= 0; i--) {
      h = this.adaptive[i]!.forward(ops, h, z);
      for (const b of this.up[i]!.block) h = b.forward(ops, h);
      const us = this.up[i]!.upsample;
      if (us) h = us.forward(ops, h);
    }
    return this.conv_out.forward(ops, silu(ops, this.norm_out.forward(ops, h)));
  }
}
