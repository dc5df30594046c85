/**
 * MAGVIT's 3D StyleGAN discriminator (google-research/magvit
 * videogvt/models/stylegan_discriminator_3d.py), channels-first:
 *
 *   conv_in 3x3x3 (→ filters) · LeakyReLU 0.2
 *   blocks.i (filters·m_i):  x: conv1 3x3x3 (in→in) · norm1 · act · down2x · conv2 3x3x3 (in→out) · norm2 · act
 *                            r: down2x · conv_res 1x1x1 (in→out, no bias)
 *                            (x + r) / √2
 *   conv_out 3x3x3 · norm_out · act · flatten · fc1 (→ last filters) · act · fc2 (→ 1)
 *
 * down2x is MAGVIT's 2x2x2 average pool with TF 'SAME' padding (odd sizes
 * round up). Defaults follow MAGVIT's UCF-101/MAGVIT-v2 configs: filters 64
 * (B), channel multipliers (2, 4, 4, 4, 4); norm 'none' (MAGVIT reads
 * norm_type with .get(), unset → no norm), 'group' uses min(32, C) groups
 * (the MAGVIT-v2 reproductions), 'layer' normalizes over channels per
 * position (flax LayerNorm on NTHWC). Init: Xavier-uniform weights, zero
 * biases (MAGVIT's default_kernel_init, flax's default bias).
 * The flatten runs over channels-first [C, T, H, W]; flax flattens [T, H, W, C],
 * so loading a JAX fc1 kernel needs that permutation.
 */
import {
  Block,
  Conv3d,
  GroupNorm,
  Identity,
  LayerNorm,
  Linear,
  Module,
  Rng,
  ShapeError,
  type Layer,
  type Ops,
  type Tensor,
} from '@zoo/core';
import { downsample2x, halved } from './downsample.js';
import { DiscriminatorConfigError } from './errors.js';
import { initConstant, initXavierUniform } from './init.js';

export type StyleGan3dNorm = 'none' | 'group' | 'layer';

export interface StyleGan3dConfig {
  /** Default 3. */
  inChannels?: number;
  /** Input frames, height and width: the final dense layer's size depends on them. Defaults 16, 64, 64. */
  frames?: number;
  height?: number;
  width?: number;
  /** Default 64 (MAGVIT-B). */
  filters?: number;
  /** Default [2, 4, 4, 4, 4] (MAGVIT UCF-101 / MAGVIT-v2). */
  channelMultipliers?: readonly number[];
  /** Default 'none' (see module doc). */
  norm?: StyleGan3dNorm;
  /** Seed of the init generator. Default 0. */
  seed?: number;
}

const SLOPE = 0.2;

/** LayerNorm over the channel axis of a channels-first tensor. */
class ChannelLayerNorm extends Block {
  private readonly ln: LayerNorm;
  constructor(channels: number) {
    super();
    this.ln = this.child('ln', new LayerNorm(channels));
  }
  forward(ops: Ops, x: Tensor): Tensor {
    const r = x.shape.length;
    const toLast = [0, ...Array.from({ length: r - 2 }, (_, i) => i + 2), 1];
    const back = [0, r - 1, ...Array.from({ length: r - 2 }, (_, i) => i + 1)];
    return ops.transpose(this.ln.forward(ops, ops.transpose(x, toLast)), back);
  }
}

function makeNorm(norm: StyleGan3dNorm, channels: number): Module & Layer {
  if (norm === 'group') return new GroupNorm(Math.min(32, channels), channels);
  if (norm === 'layer') return new ChannelLayerNorm(channels);
  return new Identity();
}

class ResBlockDown extends Block {
  readonly conv1: Conv3d;
  readonly norm1: Module & Layer;
  readonly conv2: Conv3d;
  readonly norm2: Module & Layer;
  readonly convRes: Conv3d;

  constructor(inC: number, outC: number, norm: StyleGan3dNorm, rng: Rng) {
    super();
    this.conv1 = this.child('conv1', new Conv3d(inC, inC, 3, { padding: 1, rng }));
    this.norm1 = this.child('norm1', makeNorm(norm, inC));
    this.conv2 = this.child('conv2', new Conv3d(inC, outC, 3, { padding: 1, rng }));
    this.norm2 = this.child('norm2', makeNorm(norm, outC));
    this.convRes = this.child('conv_res', new Conv3d(inC, outC, 1, { bias: false, rng }));
  }

  forward(ops: Ops, x: Tensor): Tensor {
    let h = ops.leakyRelu(this.norm1.forward(ops, this.conv1.forward(ops, x)), SLOPE);
    h = downsample2x(ops, h);
    h = ops.leakyRelu(this.norm2.forward(ops, this.conv2.forward(ops, h)), SLOPE);
    const r = this.convRes.forward(ops, downsample2x(ops, x));
    return ops.mul(ops.add(h, r), Math.SQRT1_2);
  }
}

export class StyleGan3dDiscriminator extends Block {
  readonly inChannels: number;
  readonly inputShape: readonly [number, number, number];
  readonly convIn: Conv3d;
  readonly blocks: ResBlockDown[];
  readonly convOut: Conv3d;
  readonly normOut: Module & Layer;
  readonly fc1: Linear;
  readonly fc2: Linear;

  constructor(config: StyleGan3dConfig = {}) {
    super();
    const inC = (this.inChannels = config.inChannels ?? 3);
    const frames = config.frames ?? 16;
    const height = config.height ?? 64;
    const width = config.width ?? 64;
    const filters = config.filters ?? 64;
    const mults = config.channelMultipliers ?? [2, 4, 4, 4, 4];
    const norm = config.norm ?? 'none';
    if (!['none', 'group', 'layer'].includes(norm)) {
      throw new DiscriminatorConfigError(`StyleGan3dDiscriminator: norm must be 'none', 'group' or 'layer', got '${String(norm)}'`);
    }
    if (mults.length === 0 || mults.some((m) => !(Number.isInteger(m) && m > 0))) {
      throw new DiscriminatorConfigError(`StyleGan3dDiscriminator: channelMultipliers must be positive integers, got [${mults.join(', ')}]`);
    }
    this.inputShape = [frames, height, width];
    const rng = new Rng(config.seed ?? 0);
    this.convIn = this.child('conv_in', new Conv3d(inC, filters, 3, { padding: 1, rng }));
    let c = filters;
    let dims = [frames, height, width];
    const blocks: ResBlockDown[] = [];
    for (const m of mults) {
      blocks.push(new ResBlockDown(c, filters * m, norm, rng));
      c = filters * m;
      dims = dims.map(halved);
    }
    this.blocks = this.children('blocks', blocks);
    this.convOut = this.child('conv_out', new Conv3d(c, c, 3, { padding: 1, rng }));
    this.normOut = this.child('norm_out', makeNorm(norm, c));
    this.fc1 = this.child('fc1', new Linear(c * dims.reduce((a, b) => a * b, 1), c, { rng }));
    this.fc2 = this.child('fc2', new Linear(c, 1, { rng }));
    for (const [key, v] of this.namedVariables()) {
      const isNorm = key.includes('norm');
      if (isNorm) continue; // norms keep weight 1, bias 0
      if (key.endsWith('.weight')) initXavierUniform(v, rng);
      else if (key.endsWith('.bias')) initConstant(v, 0);
    }
  }

  /** x [N, C, T, H, W] (T, H, W as configured) → logits [N, 1]. */
  forward(ops: Ops, x: Tensor): Tensor {
    const [t, h, w] = this.inputShape;
    const ok = x.shape.length === 5 && x.shape[1] === this.inChannels && x.shape[2] === t && x.shape[3] === h && x.shape[4] === w;
    if (!ok) throw new ShapeError('StyleGan3dDiscriminator', `[N, ${this.inChannels}, ${t}, ${h}, ${w}] (channels, frames, height, width as configured)`, x.shape);
    let y = ops.leakyRelu(this.convIn.forward(ops, x), SLOPE);
    for (const b of this.blocks) y = b.forward(ops, y);
    y = ops.leakyRelu(this.normOut.forward(ops, this.convOut.forward(ops, y)), SLOPE);
    const n = y.shape[0]!;
    y = ops.reshape(y, [n, y.shape.slice(1).reduce((a, b) => a * b, 1)]);
    return this.fc2.forward(ops, ops.leakyRelu(this.fc1.forward(ops, y), SLOPE));
  }
}
