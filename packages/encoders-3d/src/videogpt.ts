/**
 * VideoGPT's VQ-VAE encoder and decoder (wilson1yan/VideoGPT
 * videogpt/vqvae.py @ 733d2b1), with its keys:
 *   Encoder: convs.{i}.conv (4x4x4, stride 2 where a dim still downsamples),
 *            conv_last.conv (3x3x3), res_stack.{0..n-1} AttentionResidualBlock,
 *            res_stack.{n} BatchNorm3d, then ReLU
 *   Decoder: res_stack as above, convts.{i}.convt (4x4x4 transposed, ReLU between)
 * "Same" padding as upstream: total k − s per dim, the odd part in front,
 * for the transposed convs too (padded input, then ConvTranspose with padding k − 1).
 * BatchNorm is core's (torch.nn.BatchNorm3d: running statistics in eval mode,
 * batch statistics and the running update in train mode; keys include
 * num_batches_tracked, as upstream's state dicts do).
 */
import { AxialAttention, BatchNorm, ConvNd, ConvTransposeNd, Module, type Ops, type Rng, type Tensor } from '@zoo/core';

const relu = (ops: Ops, x: Tensor): Tensor => ops.relu(x);

/** Upstream `pad_input` per spatial dim [front, back] for kernel k and stride s. */
function samePads(k: readonly number[], s: readonly number[]): [number, number][] {
  return k.map((kk, i) => {
    const p = kk - s[i]!;
    return [Math.floor(p / 2) + (p % 2), Math.floor(p / 2)];
  });
}

/** `SamePadConv3d`: key `conv`. */
export class SamePadConv3d extends Module {
  readonly conv: ConvNd;
  private readonly pads: [number, number][];
  constructor(inCh: number, outCh: number, kernel: number, opts: { stride?: readonly number[]; bias?: boolean; rng?: Rng } = {}) {
    super();
    const stride = opts.stride ?? [1, 1, 1];
    this.conv = this.child('conv', new ConvNd(3, inCh, outCh, kernel, { stride, bias: opts.bias ?? true, rng: opts.rng }));
    this.pads = samePads([kernel, kernel, kernel], stride);
  }
  forward(ops: Ops, x: Tensor): Tensor {
    return this.conv.convolve(ops, x, this.pads);
  }
}

/** `SamePadConvTranspose3d`: key `convt`. */
export class SamePadConvTranspose3d extends Module {
  readonly convt: ConvTransposeNd;
  private readonly pads: [number, number][];
  constructor(inCh: number, outCh: number, kernel: number, opts: { stride?: readonly number[]; rng?: Rng } = {}) {
    super();
    const stride = opts.stride ?? [1, 1, 1];
    this.convt = this.child('convt', new ConvTransposeNd(3, inCh, outCh, kernel, { stride, padding: kernel - 1, rng: opts.rng }));
    this.pads = samePads([kernel, kernel, kernel], stride);
  }
  forward(ops: Ops, x: Tensor): Tensor {
    return this.convt.forward(ops, ops.pad(x, [[0, 0], [0, 0], ...this.pads]));
  }
}

/** `AxialBlock`: attention along W, H and T of the channels-last video, summed (no residual inside). */
export class AxialBlock extends Module {
  readonly attn_w: AxialAttention;
  readonly attn_h: AxialAttention;
  readonly attn_t: AxialAttention;
  constructor(ch: number, heads: number, rng?: Rng) {
    super();
    // Axes of [B, T, H, W, C].
    this.attn_w = this.child('attn_w', new AxialAttention(ch, 3, { heads, rng }));
    this.attn_h = this.child('attn_h', new AxialAttention(ch, 2, { heads, rng }));
    this.attn_t = this.child('attn_t', new AxialAttention(ch, 1, { heads, rng }));
  }
  forward(ops: Ops, x: Tensor): Tensor {
    const last = ops.transpose(x, [0, 2, 3, 4, 1]);
    const y = ops.add(ops.add(this.attn_w.forward(ops, last), this.attn_h.forward(ops, last)), this.attn_t.forward(ops, last));
    return ops.transpose(y, [0, 4, 1, 2, 3]);
  }
}

/**
 * `AttentionResidualBlock`: x + [BN, ReLU, conv3 (C -> C/2, no bias), BN, ReLU,
 * conv1 (C/2 -> C, no bias), BN, ReLU, AxialBlock(2 heads)](x); the
 * nn.Sequential indices (block.0, .2, .3, .5, .6, .8) are the keys.
 */
export class AttentionResidualBlock extends Module {
  private readonly layers: (Module & { forward(ops: Ops, x: Tensor): Tensor })[];
  constructor(ch: number, rng?: Rng) {
    super();
    this.layers = [
      this.child('block.0', new BatchNorm(ch)),
      this.child('block.2', new SamePadConv3d(ch, ch / 2, 3, { bias: false, rng })),
      this.child('block.3', new BatchNorm(ch / 2)),
      this.child('block.5', new SamePadConv3d(ch / 2, ch, 1, { bias: false, rng })),
      this.child('block.6', new BatchNorm(ch)),
      this.child('block.8', new AxialBlock(ch, 2, rng)),
    ];
  }
  forward(ops: Ops, x: Tensor): Tensor {
    let h = x;
    this.layers.forEach((l, i) => {
      h = l.forward(ops, h);
      if (i % 2 === 0) h = relu(ops, h); // after each BatchNorm (layers 0, 2, 4)
    });
    return ops.add(x, h);
  }
}

/** Per conv i: the stride per dim (2 while that dim still has a factor of 2 left), from per-dim factors. */
export function videoGptStrides(downsample: readonly number[]): number[][] {
  const left = downsample.map((d) => Math.round(Math.log2(d)));
  const n = Math.max(...left);
  const out: number[][] = [];
  for (let i = 0; i < n; i++) {
    out.push(left.map((l) => (l > 0 ? 2 : 1)));
    left.forEach((l, j) => (left[j] = l - 1));
  }
  return out;
}

class ResStack extends Module {
  readonly blocks: AttentionResidualBlock[];
  readonly norm: BatchNorm;
  constructor(ch: number, n: number, rng?: Rng) {
    super();
    this.blocks = [...Array(n).keys()].map((i) => this.child(String(i), new AttentionResidualBlock(ch, rng)));
    this.norm = this.child(String(n), new BatchNorm(ch));
  }
  forward(ops: Ops, x: Tensor): Tensor {
    let h = x;
    for (const b of this.blocks) h = b.forward(ops, h);
    return relu(ops, this.norm.forward(ops, h));
  }
}

export interface VideoGptCodecConfig {
  /** n_hiddens (upstream default 240). */
  hiddens: number;
  /** n_res_layers (upstream default 4). */
  resLayers: number;
  /** Per-dim (T, H, W) compression, powers of 2 (upstream default [4, 4, 4]). */
  downsample: readonly number[];
  /** Input / output channels of conv_last and the last convt (3 upstream). */
  channels?: number;
  rng?: Rng;
}

export class VideoGptEncoder extends Module {
  readonly convs: SamePadConv3d[];
  readonly conv_last: SamePadConv3d;
  readonly res_stack: ResStack;
  constructor(cfg: VideoGptCodecConfig) {
    super();
    const strides = videoGptStrides(cfg.downsample);
    this.convs = this.children('convs', strides.map((s, i) => new SamePadConv3d(i === 0 ? (cfg.channels ?? 3) : cfg.hiddens, cfg.hiddens, 4, { stride: s, rng: cfg.rng })));
    // Upstream sizes conv_last by the last loop's in_channels: n_hiddens whenever there are >= 2 convs.
    this.conv_last = this.child('conv_last', new SamePadConv3d(strides.length > 1 ? cfg.hiddens : (cfg.channels ?? 3), cfg.hiddens, 3, { rng: cfg.rng }));
    this.res_stack = this.child('res_stack', new ResStack(cfg.hiddens, cfg.resLayers, cfg.rng));
  }
  forward(ops: Ops, x: Tensor): Tensor {
    let h = x;
    for (const c of this.convs) h = relu(ops, c.forward(ops, h));
    return this.res_stack.forward(ops, this.conv_last.forward(ops, h));
  }
}

export class VideoGptDecoder extends Module {
  readonly res_stack: ResStack;
  readonly convts: SamePadConvTranspose3d[];
  constructor(cfg: VideoGptCodecConfig) {
    super();
    this.res_stack = this.child('res_stack', new ResStack(cfg.hiddens, cfg.resLayers, cfg.rng));
    const strides = videoGptStrides(cfg.downsample);
    this.convts = this.children('convts', strides.map((s, i) => new SamePadConvTranspose3d(cfg.hiddens, i === strides.length - 1 ? (cfg.channels ?? 3) : cfg.hiddens, 4, { stride: s, rng: cfg.rng })));
  }
  forward(ops: Ops, z: Tensor): Tensor {
    let h = this.res_stack.forward(ops, z);
    this.convts.forEach((c, i) => {
      h = c.forward(ops, h);
      if (i < this.convts.length - 1) h = relu(ops, h);
    });
    return h;
  }
}
