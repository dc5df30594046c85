/**
 * Encoder and decoder classes of the three families. Images [B, C, H, W]
 * and videos [B, C, T, H, W] go through one path: an image is a 1-frame
 * video, and the latent keeps the input's rank ([B, Z, h, w] or
 * [B, Z, t, h, w]). A per-frame family (FamilySpec.perFrame) folds frames
 * into the batch; the others run on the 5-D tensor. What differs between
 * families comes from their FAMILIES entry (families/).
 */
import { ShapeError, batchToFrames, framesToBatch, type Ops, type Shape, type Tensor } from '@zoo/core';
import { DecoderBody, EncoderBody } from './backbone.js';
import { familySpec, type EncoderFamily, type FamilyConfigs, type FamilyInput } from './families/index.js';
import {
  bodyConfig,
  compressionOf,
  decodedFrames,
  frameRule,
  kitFor,
  latentFrames,
  resolveConfig,
  rngFor,
  type Compression,
} from './family-geometry.js';


/** Runs `body` on a 5-D tensor, folding frames into batch for a per-frame family. */
function runBody(ops: Ops, family: EncoderFamily, body: { forward(ops: Ops, x: Tensor): Tensor }, x5: Tensor): Tensor {
  if (!familySpec(family).perFrame) return body.forward(ops, x5);
  return batchToFrames(ops, body.forward(ops, framesToBatch(ops, x5)), x5.shape[0]!);
}

function toVideo(ops: Ops, x: Tensor): Tensor {
  if (x.shape.length === 5) return x;
  const [b, c, h, w] = x.shape as [number, number, number, number];
  return ops.reshape(x, [b, c, 1, h, w]);
}

function fromVideo(ops: Ops, y: Tensor, rank: number): Tensor {
  if (rank === 5) return y;
  const [b, c, , h, w] = y.shape as [number, number, number, number, number];
  return ops.reshape(y, [b, c, h, w]);
}

export class VideoEncoder<F extends EncoderFamily = EncoderFamily> extends EncoderBody {
  readonly config: FamilyConfigs[F];
  readonly compression: Compression;

  constructor(
    readonly family: F,
    config?: FamilyInput<F>,
  ) {
    const cfg = resolveConfig(family, config);
    super(kitFor(family, cfg), bodyConfig(family, cfg), rngFor(cfg, 'encoder'));
    this.config = cfg;
    this.compression = compressionOf(family, cfg);
    // Give every variable its full dotted key now: engines name graph inputs by key.
    this.namedVariables();
  }

  get zChannels(): number {
    return this.config.zChannels;
  }

  /** Latent shape for an input shape; throws ShapeError for inputs the family cannot take. */
  latentShape(input: Shape): number[] {
    const where = `${this.family} encoder`;
    const { time: tc, space: sc } = this.compression;
    const c = this.config.channels;
    const expected = `[B, ${c}, H, W] or [B, ${c}, T, H, W] with H, W divisible by ${sc} and ${frameRule(this.family, tc)}`;
    const rank = input.length;
    if ((rank !== 4 && rank !== 5) || input[1] !== c) throw new ShapeError(where, expected, input);
    const [h, w] = input.slice(-2) as [number, number];
    const frames = rank === 5 ? input[2]! : 1;
    const t = latentFrames(this.family, tc, frames);
    if (h % sc || w % sc || t === undefined) throw new ShapeError(where, expected, input);
    const spatial = [h / sc, w / sc];
    return rank === 5 ? [input[0]!, this.zChannels, t, ...spatial] : [input[0]!, this.zChannels, ...spatial];
  }

  override forward(ops: Ops, x: Tensor): Tensor {
    this.latentShape(x.shape);
    return fromVideo(ops, runBody(ops, this.family, { forward: (o, t) => super.forward(o, t) }, toVideo(ops, x)), x.shape.length);
  }
}

export class VideoDecoder<F extends EncoderFamily = EncoderFamily> extends DecoderBody {
  readonly config: FamilyConfigs[F];
  readonly compression: Compression;

  constructor(
    readonly family: F,
    config?: FamilyInput<F>,
  ) {
    const cfg = resolveConfig(family, config);
    super(kitFor(family, cfg), bodyConfig(family, cfg), rngFor(cfg, 'decoder'));
    this.config = cfg;
    this.compression = compressionOf(family, cfg);
    this.namedVariables();
  }

  get zChannels(): number {
    return this.config.zChannels;
  }

  /** Output (pixel) shape for a latent shape. */
  outputShape(latent: Shape): number[] {
    const z = this.zChannels;
    const rank = latent.length;
    if ((rank !== 4 && rank !== 5) || latent[1] !== z) {
      throw new ShapeError(`${this.family} decoder`, `[B, ${z}, h, w] or [B, ${z}, t, h, w]`, latent);
    }
    const { time: tc, space: sc } = this.compression;
    if (rank === 4 && !familySpec(this.family).decodes4dLatent(tc)) {
      throw new ShapeError(`${this.family} decoder`, `[B, ${z}, t, h, w] (4-D latents need temporalCompression 1)`, latent);
    }
    const [h, w] = latent.slice(-2) as [number, number];
    const spatial = [h * sc, w * sc];
    const b = latent[0]!;
    const c = this.config.channels;
    return rank === 5 ? [b, c, decodedFrames(this.family, tc, latent[2]!), ...spatial] : [b, c, ...spatial];
  }

  override forward(ops: Ops, z: Tensor): Tensor {
    this.outputShape(z.shape);
    return fromVideo(ops, runBody(ops, this.family, { forward: (o, t) => super.forward(o, t) }, toVideo(ops, z)), z.shape.length);
  }
}
