/**
 * The ResNet encoder and decoder bodies of VQGAN (taming-transformers
 * `Encoder` / `Decoder` in diffusionmodules/model.py), written once against a
 * ConvKit so the 2-D, inflated 3-D and causal 3-D families share structure
 * and state-dict keys: conv_in, down.{i}.block.{j}, down.{i}.attn.{j},
 * down.{i}.downsample, mid.block_1/attn_1/block_2, norm_out, conv_out (and
 * up.{i}.* in the decoder). Dropout (taming default 0) is not implemented.
 */
import { Module, silu, type Ops, type Rng, type Tensor } from '@zoo/core';
import type { ConvKit, LayerModule as Block, LevelFactors } from './kits.js';

/** norm1 → SiLU → conv1 → norm2 → SiLU → conv2, plus a 1x1 `nin_shortcut` when channels change. */
export class ResnetBlock extends Module {
  readonly norm1: Block;
  readonly conv1: Block;
  readonly norm2: Block;
  readonly conv2: Block;
  readonly nin_shortcut: Block | undefined;

  constructor(kit: ConvKit, inCh: number, outCh: number, rng: Rng) {
    super();
    this.norm1 = this.child('norm1', kit.norm(inCh));
    this.conv1 = this.child('conv1', kit.conv(inCh, outCh, 3, rng));
    this.norm2 = this.child('norm2', kit.norm(outCh));
    this.conv2 = this.child('conv2', kit.conv(outCh, outCh, 3, rng));
    this.nin_shortcut = inCh !== outCh ? this.child('nin_shortcut', kit.conv(inCh, outCh, 1, rng)) : undefined;
  }

  forward(ops: Ops, x: Tensor): Tensor {
    let h = this.conv1.forward(ops, silu(ops, this.norm1.forward(ops, x)));
    h = this.conv2.forward(ops, silu(ops, this.norm2.forward(ops, h)));
    const skip = this.nin_shortcut ? this.nin_shortcut.forward(ops, x) : x;
    return ops.add(skip, h);
  }
}

class MidBlock extends Module {
  readonly block_1: ResnetBlock;
  readonly attn_1: Block | undefined;
  readonly block_2: ResnetBlock;
  constructor(kit: ConvKit, ch: number, attention: boolean, rng: Rng) {
    super();
    this.block_1 = this.child('block_1', new ResnetBlock(kit, ch, ch, rng));
    this.attn_1 = attention ? this.child('attn_1', kit.attn(ch, rng)) : undefined;
    this.block_2 = this.child('block_2', new ResnetBlock(kit, ch, ch, rng));
  }
  forward(ops: Ops, x: Tensor): Tensor {
    let h = this.block_1.forward(ops, x);
    if (this.attn_1) h = this.attn_1.forward(ops, h);
    return this.block_2.forward(ops, h);
  }
}

/** One resolution level: res blocks, optional attention after each, optional resampler. */
class Level extends Module {
  readonly block: ResnetBlock[];
  readonly attn: Block[];
  readonly resample: Block | undefined;
  constructor(blocks: ResnetBlock[], attn: Block[], resampleName: 'downsample' | 'upsample', resample: Block | undefined) {
    super();
    this.block = this.children('block', blocks);
    this.attn = this.children('attn', attn);
    this.resample = resample ? this.child(resampleName, resample) : undefined;
  }
  forward(ops: Ops, x: Tensor, withResample: boolean): Tensor {
    let h = x;
    this.block.forEach((b, j) => {
      h = b.forward(ops, h);
      const a = this.attn[j];
      if (a) h = a.forward(ops, h);
    });
    return withResample && this.resample ? this.resample.forward(ops, h) : h;
  }
}

export interface BodyConfig {
  /** Image channels (in for the encoder, out for the decoder). */
  imageChannels: number;
  ch: number;
  chMult: readonly number[];
  numResBlocks: number;
  zChannels: number;
  /** Attention after each res block of the lowest level and in the mid block (taming attn_resolutions at the bottom). */
  attention: boolean;
  /** Resampling factors per level, length chMult.length; the last level never resamples. */
  levels: readonly LevelFactors[];
}

const resamples = (f: LevelFactors | undefined) => !!f && (f.time === 2 || f.space === 2);

export class EncoderBody extends Module {
  readonly conv_in: Block;
  readonly down: Level[];
  readonly mid: MidBlock;
  readonly norm_out: Block;
  readonly conv_out: Block;

  constructor(kit: ConvKit, cfg: BodyConfig, rng: Rng) {
    super();
    const L = cfg.chMult.length;
    this.conv_in = this.child('conv_in', kit.conv(cfg.imageChannels, cfg.ch, 3, rng));
    const levels: Level[] = [];
    let blockIn = cfg.ch;
    for (let i = 0; i < L; i++) {
      const blockOut = cfg.ch * cfg.chMult[i]!;
      const blocks: ResnetBlock[] = [];
      const attn: Block[] = [];
      for (let j = 0; j < cfg.numResBlocks; j++) {
        blocks.push(new ResnetBlock(kit, blockIn, blockOut, rng));
        blockIn = blockOut;
        if (cfg.attention && i === L - 1) attn.push(kit.attn(blockIn, rng));
      }
      const f = cfg.levels[i];
      const ds = i < L - 1 && resamples(f) ? kit.down(blockIn, f!, rng) : undefined;
      levels.push(new Level(blocks, attn, 'downsample', ds));
    }
    this.down = this.children('down', levels);
    this.mid = this.child('mid', new MidBlock(kit, blockIn, cfg.attention, rng));
    this.norm_out = this.child('norm_out', kit.norm(blockIn));
    this.conv_out = this.child('conv_out', kit.conv(blockIn, cfg.zChannels, 3, rng));
  }

  forward(ops: Ops, x: Tensor): Tensor {
    let h = this.conv_in.forward(ops, x);
    for (const level of this.down) h = level.forward(ops, h, true);
    h = this.mid.forward(ops, h);
    return this.conv_out.forward(ops, silu(ops, this.norm_out.forward(ops, h)));
  }
}

export class DecoderBody extends Module {
  readonly conv_in: Block;
  readonly mid: MidBlock;
  readonly up: Level[];
  readonly norm_out: Block;
  readonly conv_out: Block;

  constructor(kit: ConvKit, cfg: BodyConfig, rng: Rng) {
    super();
    const L = cfg.chMult.length;
    let blockIn = cfg.ch * cfg.chMult[L - 1]!;
    this.conv_in = this.child('conv_in', kit.conv(cfg.zChannels, blockIn, 3, rng));
    this.mid = this.child('mid', new MidBlock(kit, blockIn, cfg.attention, rng));
    const levels: Level[] = new Array<Level>(L);
    for (let i = L - 1; i >= 0; i--) {
      const blockOut = cfg.ch * cfg.chMult[i]!;
      const blocks: ResnetBlock[] = [];
      const attn: Block[] = [];
      for (let j = 0; j <= cfg.numResBlocks; j++) {
        blocks.push(new ResnetBlock(kit, blockIn, blockOut, rng));
        blockIn = blockOut;
        if (cfg.attention && i === L - 1) attn.push(kit.attn(blockIn, rng));
      }
      // up.{i}.upsample undoes down.{i-1}.downsample.
      const f = cfg.levels[i - 1];
      const us = i > 0 && resamples(f) ? kit.up(blockIn, f!, rng) : undefined;
      levels[i] = new Level(blocks, attn, 'upsample', us);
    }
    this.up = this.children('up', levels);
    this.norm_out = this.child('norm_out', kit.norm(blockIn));
    this.conv_out = this.child('conv_out', kit.conv(blockIn, cfg.imageChannels, 3, rng));
  }

  forward(ops: Ops, z: Tensor): Tensor {
    let h = this.mid.forward(ops, this.conv_in.forward(ops, z));
    for (let i = this.up.length - 1; i >= 0; i--) h = this.up[i]!.forward(ops, h, true);
    return this.conv_out.forward(ops, silu(ops, this.norm_out.forward(ops, h)));
  }
}
