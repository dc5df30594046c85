/**
 * Open-MAGVIT2 image and video tokenizers (TencentARC/SEED-Voken
 * src/Open_MAGVIT2/models/lfqgan.py and video_lfqgan.py `VQModel` @ b9a17ea): Encoder -> LFQ
 * (sign of each of the z_channels = log2(n_embed) latent channels; index =
 * Σ bit_i·2^i, lsb-first, our `lfq` quantizer) -> Decoder; no quant convs.
 * Keys: encoder.*, decoder.* as upstream (the LFQ has no saved tensors).
 *
 * The released checkpoints train with `use_ema: True` and upstream evaluates
 * inside `ema_scope()`, i.e. with the EMA copies `model_ema.<key without
 * dots>`; so do we when they are present (`ema: false` takes the raw
 * weights). `loss.*` (LPIPS, discriminator) is dropped. Architecture from
 * the shapes (ch, ch_mult, num_res_blocks, z_channels; video when the convs
 * are 3-D). Not supported: the token-factorized (stage-2) quantizer.
 *
 * The image model codes clips frame by frame: [B, 3, T, H, W] -> indices
 * [B, T, h, w]; the video model is causal 3-D: T = 1 + 4k frames -> 1 + k
 * latent frames at the released 4x8x8 (ch_mult [1, 2, 2, 4]).
 */
import { HostTensor, Module, batchToFrames, framesToBatch, type Ops, type Shape, type Tensor } from '@zoo/core';
import { OpenMagvit2Decoder, OpenMagvit2Encoder, type OpenMagvit2CodecConfig } from '@zoo/encoders-3d';
import { LFQ } from '@zoo/quantizers';
import { PretrainedError, countIndexed, dropPrefixes, loadStrict, requireKeys, shapeOf, type PretrainedModel } from './pretrained.js';

export type OpenMagvit2Config = Omit<OpenMagvit2CodecConfig, 'rng'>;

export class OpenMagvit2 extends Module implements PretrainedModel {
  readonly kind: 'open-magvit2' | 'open-magvit2-video';
  readonly encoder: OpenMagvit2Encoder;
  readonly decoder: OpenMagvit2Decoder;
  readonly quantize: LFQ;

  constructor(readonly config: OpenMagvit2Config) {
    super();
    this.kind = config.video ? 'open-magvit2-video' : 'open-magvit2';
    this.encoder = this.child('encoder', new OpenMagvit2Encoder(config));
    this.decoder = this.child('decoder', new OpenMagvit2Decoder(config));
    this.quantize = this.child('quantize', new LFQ({ codebookSize: 2 ** config.zChannels, bitOrder: 'lsb-first' }));
    this.namedVariables();
  }

  get codebookSize(): number {
    return 2 ** this.config.zChannels;
  }

  static configFrom(sd: Record<string, HostTensor>): OpenMagvit2Config {
    const video = 'encoder.conv_in.conv_1.weight' in sd;
    const w = video ? '.conv_1.weight' : '.weight';
    const convIn = shapeOf(sd, `encoder.conv_in${w}`)!;
    const ch = convIn[0]!;
    const levels = countIndexed(sd, 'encoder.down.');
    const zChannels = shapeOf(sd, `encoder.conv_out${w}`)![0]!;
    if (zChannels > 24) throw new PretrainedError(`open-magvit2: z_channels ${zChannels} > 24 bits; indices would not be exact`);
    return {
      channels: convIn[1]!,
      ch,
      chMult: [...Array(levels).keys()].map((i) => (shapeOf(sd, `encoder.down.${i}.block.0.conv2${w}`)?.[0] ?? ch) / ch),
      numResBlocks: countIndexed(sd, 'encoder.down.0.block.'),
      zChannels,
      video,
    };
  }

  /** `video`: which model is expected (undefined: either, told apart by the conv ranks). */
  static fromStateDict(stateDict: Record<string, HostTensor>, source = 'checkpoint', opts: { ema?: boolean; video?: boolean } = {}): OpenMagvit2 {
    const all = dropPrefixes(stateDict, ['loss.']);
    const raw = dropPrefixes(all, ['model_ema.']);
    const video = opts.video ?? 'encoder.conv_in.conv_1.weight' in raw;
    const w = video ? '.conv_1.weight' : '.weight';
    const kind = video ? 'open-magvit2-video' : 'open-magvit2';
    requireKeys(raw, kind, source, [`encoder.conv_in${w}`, `encoder.conv_out${w}`, `decoder.conv_out${w}`], ['encoder.', 'decoder.']);
    const model = new OpenMagvit2(OpenMagvit2.configFrom(raw));
    const hasEma = Object.keys(all).some((k) => k.startsWith('model_ema.'));
    let sd = raw;
    if (hasEma && opts.ema !== false) {
      // LitEma names each copy after the parameter with its dots removed.
      sd = { ...raw };
      const missing: string[] = [];
      for (const [k] of model.namedVariables()) {
        const e = all[`model_ema.${k.replace(/\./g, '')}`];
        if (e) sd[k] = e;
        else if (k in raw) missing.push(`model_ema.${k.replace(/\./g, '')}`);
      }
      if (missing.length) throw new PretrainedError(`${source}: has model_ema.* but lacks the EMA copies [${missing.join(', ')}]; load with ema: false for the raw weights`);
    }
    loadStrict(model, sd, kind, source);
    return model.eval();
  }

  /** Images [N, C, H, W] (video model: clips [N, C, T, H, W]) -> pre-quantization latent [N, z, (t,) h, w]. */
  latent(ops: Ops, images: Tensor): Tensor {
    return this.encoder.forward(ops, images);
  }

  /** Latent [N, z, (t,) h, w] -> indices [N, (t,) h, w]. */
  quantizeIndices(ops: Ops, h: Tensor): Tensor {
    return this.quantize.forward(ops, h).indices;
  }

  /** Indices [N, (t,) h, w] -> images [N, C, H, W] (clips [N, C, T, H, W]). */
  decodeImages(ops: Ops, indices: Tensor): Tensor {
    return this.decoder.forward(ops, this.quantize.indicesToCodes(ops, indices));
  }

  encode(ops: Ops, x: Tensor): Tensor {
    if (this.config.video) return this.quantizeIndices(ops, this.latent(ops, x));
    const [b, , t] = x.shape as [number, number, number];
    const idx = this.quantizeIndices(ops, this.latent(ops, framesToBatch(ops, x)));
    const [, hh, ww] = idx.shape as [number, number, number];
    return ops.reshape(idx, [b, t, hh, ww]);
  }

  decode(ops: Ops, indices: Tensor): Tensor {
    if (this.config.video) return this.decodeImages(ops, indices);
    const [b, t, hh, ww] = indices.shape as [number, number, number, number];
    return batchToFrames(ops, this.decodeImages(ops, ops.reshape(indices, [b * t, hh, ww])), b);
  }

  rateOf(indexShape: Shape): { tokenShape: number[]; codebookSizes: number[] } {
    return { tokenShape: indexShape.slice(1), codebookSizes: [this.codebookSize] };
  }
}
