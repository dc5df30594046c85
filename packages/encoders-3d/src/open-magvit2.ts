/**
 * Open-MAGVIT2's image encoder and decoder (TencentARC/SEED-Voken
 * src/Open_MAGVIT2/modules/diffusionmodules/improved_model.py @ b9a17ea), with
 * its keys. Unlike taming's VQGAN body: bias-free 3x3 convs in the res
 * blocks, no attention, `mid_block.{j}` lists, a plain strided conv as
 * downsample (`down.{i}.downsample.weight`), a depth-to-space upsampler
 * (`up.{i}.upsample.conv1`, DCR channel order) and, per decoder level, an
 * AdaptiveGroupNorm (`adaptive.{i}.gamma/beta`) conditioned on the
 * quantized latent's per-channel std and mean. GroupNorm(32, eps 1e-6) throughout.
 */
import { ConvNd, GroupNorm, Linear, Module, silu, type Ops, type Rng, type Tensor } from '@zoo/core';

/** `ResBlock`: norm1 → swish → conv1 → norm2 → swish → conv2, plus a 1x1 (or 3x3) shortcut when widths differ. */
export class OmResBlock extends Module {
  readonly norm1: GroupNorm;
  readonly norm2: GroupNorm;
  readonly conv1: ConvNd;
  readonly conv2: ConvNd;
  readonly shortcut: ConvNd | undefined;
  constructor(inCh: number, outCh: number, opts: { convShortcut?: boolean; rng?: Rng } = {}) {
    super();
    const conv = (i: number, o: number, k: number) => new ConvNd(2, i, o, k, { padding: (k - 1) / 2, bias: false, rng: opts.rng });
    this.norm1 = this.child('norm1', new GroupNorm(32, inCh, { eps: 1e-6 }));
    this.norm2 = this.child('norm2', new GroupNorm(32, outCh, { eps: 1e-6 }));
    this.conv1 = this.child('conv1', conv(inCh, outCh, 3));
    this.conv2 = this.child('conv2', conv(outCh, outCh, 3));
    if (inCh !== outCh) {
      this.shortcut = opts.convShortcut ? this.child('conv_shortcut', conv(inCh, outCh, 3)) : this.child('nin_shortcut', conv(inCh, outCh, 1));
    }
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
  /** `ch_mult` ([1, 1, 2, 2, 4] in the released 16x configs). */
  chMult: readonly number[];
  /** `num_res_blocks` (4 in the released configs). */
  numResBlocks: number;
  /** `z_channels` = LFQ bits (18 for 2^18 codes). */
  zChannels: number;
  rng?: Rng;
}

class DownLevel extends Module {
  readonly block: OmResBlock[];
  readonly downsample: ConvNd | undefined;
  constructor(blocks: OmResBlock[], downsample: ConvNd | undefined) {
    super();
    this.block = this.children('block', blocks);
    this.downsample = downsample ? this.child('downsample', downsample) : undefined;
  }
}

export class OpenMagvit2Encoder extends Module {
  readonly conv_in: ConvNd;
  readonly down: DownLevel[];
  readonly mid_block: OmResBlock[];
  readonly norm_out: GroupNorm;
  readonly conv_out: ConvNd;
  constructor(cfg: OpenMagvit2CodecConfig) {
    super();
    const rng = cfg.rng;
    this.conv_in = this.child('conv_in', new ConvNd(2, cfg.channels, cfg.ch, 3, { padding: 1, bias: false, rng }));
    const levels: DownLevel[] = [];
    let blockIn = cfg.ch;
    cfg.chMult.forEach((m, i) => {
      const blockOut = cfg.ch * m;
      const blocks = [...Array(cfg.numResBlocks).keys()].map(() => {
        const b = new OmResBlock(blockIn, blockOut, { rng });
        blockIn = blockOut;
        return b;
      });
      const last = i === cfg.chMult.length - 1;
      levels.push(new DownLevel(blocks, last ? undefined : new ConvNd(2, blockOut, blockOut, 3, { stride: 2, padding: 1, rng })));
    });
    this.down = this.children('down', levels);
    this.mid_block = this.children('mid_block', [...Array(cfg.numResBlocks).keys()].map(() => new OmResBlock(blockIn, blockIn, { rng })));
    this.norm_out = this.child('norm_out', new GroupNorm(32, blockIn, { eps: 1e-6 }));
    this.conv_out = this.child('conv_out', new ConvNd(2, blockIn, cfg.zChannels, 1, { rng }));
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

/** `AdaptiveGroupNorm`: GroupNorm(32, affine off)(x) · gamma(std_hw(z)) + beta(mean_hw(z)), std unbiased as torch's var(). */
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
    const [, zc, h, w] = z.shape as [number, number, number, number];
    const flat = ops.reshape(z, [b, zc, h * w]);
    const mean = ops.mean(flat, 2); // [B, Z]
    const sq = ops.sum(ops.square(ops.sub(flat, ops.reshape(mean, [b, zc, 1]))), 2);
    const std = ops.sqrt(ops.add(ops.div(sq, h * w - 1), this.eps));
    const scale = ops.reshape(this.gamma.forward(ops, std), [b, c, 1, 1]);
    const bias = ops.reshape(this.beta.forward(ops, mean), [b, c, 1, 1]);
    return ops.add(ops.mul(this.gn.forward(ops, x), scale), bias);
  }
}

/** `Upsampler`: 3x3 conv to 4C, then depth-to-space in DCR order (channel (i·2 + j)·C + c goes to offset (i, j)). */
export class DcrUpsampler extends Module {
  readonly conv1: ConvNd;
  constructor(readonly channels: number, rng?: Rng) {
    super();
    this.conv1 = this.child('conv1', new ConvNd(2, channels, channels * 4, 3, { padding: 1, rng }));
  }
  forward(ops: Ops, x: Tensor): Tensor {
    const y = this.conv1.forward(ops, x);
    const [n, , h, w] = y.shape as [number, number, number, number];
    const c = this.channels;
    const t = ops.transpose(ops.reshape(y, [n, 2, 2, c, h, w]), [0, 3, 4, 1, 5, 2]);
    return ops.reshape(t, [n, c, h * 2, w * 2]);
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
  readonly conv_in: ConvNd;
  readonly mid_block: OmResBlock[];
  readonly up: UpLevel[];
  readonly adaptive: AdaptiveGroupNorm[];
  readonly norm_out: GroupNorm;
  readonly conv_out: ConvNd;
  constructor(cfg: OpenMagvit2CodecConfig) {
    super();
    const rng = cfg.rng;
    const L = cfg.chMult.length;
    let blockIn = cfg.ch * cfg.chMult[L - 1]!;
    this.conv_in = this.child('conv_in', new ConvNd(2, cfg.zChannels, blockIn, 3, { padding: 1, rng }));
    this.mid_block = this.children('mid_block', [...Array(cfg.numResBlocks).keys()].map(() => new OmResBlock(blockIn, blockIn, { rng })));
    const up = new Array<UpLevel>(L);
    const adaptive = new Array<AdaptiveGroupNorm>(L);
    for (let i = L - 1; i >= 0; i--) {
      const blockOut = cfg.ch * cfg.chMult[i]!;
      adaptive[i] = new AdaptiveGroupNorm(cfg.zChannels, blockIn, 1e-6, rng);
      const blocks = [...Array(cfg.numResBlocks).keys()].map(() => {
        const b = new OmResBlock(blockIn, blockOut, { rng });
        blockIn = blockOut;
        return b;
      });
      up[i] = new UpLevel(blocks, i > 0 ? new DcrUpsampler(blockIn, rng) : undefined);
    }
    this.up = this.children('up', up);
    this.adaptive = this.children('adaptive', adaptive);
    this.norm_out = this.child('norm_out', new GroupNorm(32, blockIn, { eps: 1e-6 }));
    this.conv_out = this.child('conv_out', new ConvNd(2, blockIn, cfg.channels, 3, { padding: 1, rng }));
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
