/**
 * taming-transformers `VQModel` (CompVis/taming-transformers
 * taming/models/vqgan.py @ 3ba01b2): Encoder -> quant_conv (1x1) ->
 * VectorQuantizer2 (nearest code, euclidean) -> post_quant_conv (1x1) ->
 * Decoder. The Encoder/Decoder are our `conv2d` family, which has taming's
 * structure and keys (encoder.conv_in, encoder.down.{i}.block.{j}, ...); the
 * codebook is `quantize.embedding.weight` [n_embed, embed_dim]. State-dict
 * keys are the checkpoint's own, so no renaming happens.
 *
 * The architecture is read off the checkpoint's shapes (ch, ch_mult,
 * num_res_blocks, z_channels, embed_dim, n_embed, in/out channels), so the
 * f16 and f8 checkpoints load without their YAML. Supported: attention at
 * the lowest resolution only (every public VQGAN config: attn_resolutions
 * [16] at f16, [32] at f8), no `remap`, `double_z: false`. Training-only
 * keys (`loss.*`: LPIPS and discriminator) are dropped.
 *
 * Videos are coded frame by frame: [B, 3, T, H, W] -> indices [B, T, h, w].
 */
import { ConvNd, HostTensor, Module, Rng, batchToFrames, framesToBatch, type Ops, type Shape, type Tensor } from '@zoo/core';
import { VideoDecoder, VideoEncoder } from '@zoo/encoders-3d';
import { nearestCodes } from '@zoo/quantizers';
import { Embedding, PretrainedError, countIndexed, dropPrefixes, loadStrict, requireKeys, shapeOf, type PretrainedModel } from './pretrained.js';

export interface TamingVQGANConfig {
  inChannels: number;
  outChannels: number;
  ch: number;
  chMult: number[];
  numResBlocks: number;
  zChannels: number;
  embedDim: number;
  nEmbed: number;
}

/** taming's configs/imagenet_vqgan.yaml (VQGAN f16, 1024 codes): used for whatever the checkpoint does not show. */
export const TAMING_F16_DEFAULTS: TamingVQGANConfig = {
  inChannels: 3, outChannels: 3, ch: 128, chMult: [1, 1, 2, 2, 4], numResBlocks: 2, zChannels: 256, embedDim: 256, nEmbed: 1024,
};

class TamingQuantize extends Module {
  readonly embedding: Embedding;
  constructor(nEmbed: number, embedDim: number) {
    super();
    this.embedding = this.child('embedding', new Embedding(HostTensor.zeros([nEmbed, embedDim])));
  }
}

export class TamingVQGAN extends Module implements PretrainedModel {
  readonly kind = 'taming-vqgan';
  readonly encoder: VideoEncoder<'conv2d'>;
  readonly decoder: VideoDecoder<'conv2d'>;
  readonly quantize: TamingQuantize;
  readonly quant_conv: ConvNd;
  readonly post_quant_conv: ConvNd;

  constructor(readonly config: TamingVQGANConfig) {
    super();
    const body = { ch: config.ch, chMult: config.chMult, numResBlocks: config.numResBlocks, zChannels: config.zChannels, attention: true };
    this.encoder = this.child('encoder', new VideoEncoder('conv2d', { ...body, channels: config.inChannels }));
    this.decoder = this.child('decoder', new VideoDecoder('conv2d', { ...body, channels: config.outChannels }));
    this.quantize = this.child('quantize', new TamingQuantize(config.nEmbed, config.embedDim));
    const rng = new Rng(0);
    this.quant_conv = this.child('quant_conv', new ConvNd(2, config.zChannels, config.embedDim, 1, { rng }));
    this.post_quant_conv = this.child('post_quant_conv', new ConvNd(2, config.embedDim, config.zChannels, 1, { rng }));
    this.namedVariables();
  }

  get codebookSize(): number {
    return this.config.nEmbed;
  }

  /** Reads the architecture off a taming state dict (TAMING_F16_DEFAULTS where a key is absent). */
  static configFrom(sd: Record<string, HostTensor>): TamingVQGANConfig {
    const d = TAMING_F16_DEFAULTS;
    const convIn = shapeOf(sd, 'encoder.conv_in.weight');
    const ch = convIn?.[0] ?? d.ch;
    const levels = countIndexed(sd, 'encoder.down.');
    const chMult = levels
      ? [...Array(levels).keys()].map((i) => (shapeOf(sd, `encoder.down.${i}.block.0.conv2.weight`)?.[0] ?? ch * (d.chMult[i] ?? 1)) / ch)
      : d.chMult;
    const withAttn = [...Array(levels).keys()].filter((i) => countIndexed(sd, `encoder.down.${i}.attn.`) > 0);
    if (withAttn.some((i) => i !== levels - 1)) {
      throw new PretrainedError(`taming-vqgan: attention at encoder levels [${withAttn.join(', ')}]; only the lowest level (${levels - 1}) is supported (every public VQGAN config)`);
    }
    const embedding = shapeOf(sd, 'quantize.embedding.weight');
    return {
      inChannels: convIn?.[1] ?? d.inChannels,
      outChannels: shapeOf(sd, 'decoder.conv_out.weight')?.[0] ?? d.outChannels,
      ch,
      chMult,
      numResBlocks: countIndexed(sd, 'encoder.down.0.block.') || d.numResBlocks,
      zChannels: shapeOf(sd, 'encoder.conv_out.weight')?.[0] ?? d.zChannels,
      embedDim: embedding?.[1] ?? d.embedDim,
      nEmbed: embedding?.[0] ?? d.nEmbed,
    };
  }

  /** A model with the checkpoint's weights; PretrainedArchitectureError lists every key that does not fit. */
  static fromStateDict(stateDict: Record<string, HostTensor>, source = 'checkpoint'): TamingVQGAN {
    const sd = dropPrefixes(stateDict, ['loss.']);
    requireKeys(sd, 'taming-vqgan', source, ['encoder.conv_in.weight', 'encoder.conv_out.weight', 'decoder.conv_out.weight', 'quantize.embedding.weight'], ['encoder.', 'decoder.', 'quantize.', 'quant_conv.', 'post_quant_conv.']);
    const model = new TamingVQGAN(TamingVQGAN.configFrom(sd));
    loadStrict(model, sd, 'taming-vqgan', source);
    return model.eval();
  }

  /** Pre-quantization latent (after quant_conv) of images [N, C, H, W]: [N, embedDim, h, w]. */
  latent(ops: Ops, images: Tensor): Tensor {
    return this.quant_conv.forward(ops, this.encoder.forward(ops, images));
  }

  /** Nearest-code indices of a latent [N, D, h, w]: [N, h, w] (VectorQuantizer2's argmin of |z|² + |e|² − 2 z·e). */
  quantizeIndices(ops: Ops, h: Tensor): Tensor {
    const [n, dim, hh, ww] = h.shape as [number, number, number, number];
    const tokens = ops.reshape(ops.transpose(h, [0, 2, 3, 1]), [n * hh * ww, dim]);
    const codes = ops.variable(this.quantize.embedding.weight);
    return ops.reshape(nearestCodes(ops, tokens, codes, { cosine: false }).indices, [n, hh, ww]);
  }

  /** Images [N, C, H, W] from indices [N, h, w]. */
  decodeImages(ops: Ops, indices: Tensor): Tensor {
    const [n, hh, ww] = indices.shape as [number, number, number];
    const codes = ops.gather(ops.variable(this.quantize.embedding.weight), ops.reshape(indices, [n * hh * ww]), 0);
    const z = ops.transpose(ops.reshape(codes, [n, hh, ww, this.config.embedDim]), [0, 3, 1, 2]);
    return this.decoder.forward(ops, this.post_quant_conv.forward(ops, z));
  }

  encode(ops: Ops, x: Tensor): Tensor {
    const [b, , t] = x.shape as [number, number, number];
    const idx = this.quantizeIndices(ops, this.latent(ops, framesToBatch(ops, x)));
    const [, hh, ww] = idx.shape as [number, number, number];
    return ops.reshape(idx, [b, t, hh, ww]);
  }

  decode(ops: Ops, indices: Tensor): Tensor {
    const [b, t, hh, ww] = indices.shape as [number, number, number, number];
    return batchToFrames(ops, this.decodeImages(ops, ops.reshape(indices, [b * t, hh, ww])), b);
  }

  rateOf(indexShape: Shape): { tokenShape: number[]; codebookSizes: number[] } {
    return { tokenShape: indexShape.slice(1), codebookSizes: [this.config.nEmbed] };
  }
}
