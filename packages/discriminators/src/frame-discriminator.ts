/**
 * Applies a 2D (image) discriminator to sampled frames of a video, as
 * magvit2-pytorch does (`pick_video_frame`: one random frame per video) and
 * as per-frame VQGAN training does. The frame indices are a tensor input so
 * a compiled step can draw new frames every call without re-tracing.
 */
import { Block, HostTensor, Module, ShapeError, type Layer, type Ops, type Rng, type Tensor } from '@zoo/core';
import { DiscriminatorConfigError } from './errors.js';

export class FrameDiscriminator extends Block {
  constructor(
    readonly image: Module & Layer,
    /** Frames sampled per video. Default 1 (magvit2-pytorch). */
    readonly framesPerVideo = 1,
  ) {
    super();
    if (!(Number.isInteger(framesPerVideo) && framesPerVideo >= 1)) {
      throw new DiscriminatorConfigError(`FrameDiscriminator: framesPerVideo must be an integer >= 1, got ${framesPerVideo}`);
    }
    this.child('image', image);
    // Name every variable now (image.*): engines key graph inputs by Variable.key.
    this.namedVariables();
  }

  /** `framesPerVideo` distinct frame indices in [0, frames), sorted, as an int32 host tensor. */
  sampleFrames(rng: Rng, frames: number): HostTensor<'int32'> {
    if (this.framesPerVideo > frames) {
      throw new DiscriminatorConfigError(`FrameDiscriminator: cannot sample ${this.framesPerVideo} distinct frames from ${frames}`);
    }
    const all = rng.shuffle(Array.from({ length: frames }, (_, i) => i));
    return HostTensor.int(all.slice(0, this.framesPerVideo).sort((a, b) => a - b), [this.framesPerVideo]);
  }

  /**
   * video [B, C, T, H, W], frameIndices int32 [K] (the same frames for every
   * video in the batch) → the image discriminator's logits on [B·K, C, H, W].
   */
  forwardFrames(ops: Ops, video: Tensor, frameIndices: Tensor): Tensor {
    if (video.shape.length !== 5) throw new ShapeError('FrameDiscriminator', '[B, C, T, H, W]', video.shape);
    if (frameIndices.shape.length !== 1) throw new ShapeError('FrameDiscriminator frameIndices', '[K]', frameIndices.shape);
    const [b, c, , h, w] = video.shape as [number, number, number, number, number];
    const k = frameIndices.shape[0]!;
    const picked = ops.transpose(ops.gather(video, frameIndices, 2), [0, 2, 1, 3, 4]);
    return this.image.forward(ops, ops.reshape(picked, [b * k, c, h, w]));
  }

  /** Every frame (no sampling): video [B, C, T, H, W] → logits on [B·T, C, H, W]. */
  forward(ops: Ops, video: Tensor): Tensor {
    if (video.shape.length !== 5) throw new ShapeError('FrameDiscriminator', '[B, C, T, H, W]', video.shape);
    const [b, c, t, h, w] = video.shape as [number, number, number, number, number];
    return this.image.forward(ops, ops.reshape(ops.transpose(video, [0, 2, 1, 3, 4]), [b * t, c, h, w]));
  }
}
