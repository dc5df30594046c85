/**
 * Blocks that act on each frame of a video independently. The causal family
 * needs them: statistics or attention pooled over time would let frame t see
 * frames after t. Parameter keys equal those of the 2-D block they extend,
 * so a 2-D state dict loads into them unchanged.
 */
import { GroupNorm, SpatialAttention, ShapeError, channelAffine, normalize, batchToFrames, framesToBatch, type NormOptions, type Ops, type Rng, type Tensor } from '@zoo/core';

/** GroupNorm whose statistics are per frame: over (C/G, H, W), never over T. */
export class FrameGroupNorm extends GroupNorm {
  override forward(ops: Ops, x: Tensor): Tensor {
    if (x.shape.length !== 5) return super.forward(ops, x);
    if (x.shape[1] !== this.numChannels) {
      throw new ShapeError(`FrameGroupNorm(${this.numGroups}, ${this.numChannels})`, `[N, C=${this.numChannels}, T, H, W]`, x.shape);
    }
    const [n, c, t, h, w] = x.shape as [number, number, number, number, number];
    const g = this.numGroups;
    const grouped = ops.reshape(x, [n, g, c / g, t, h * w]);
    // frames next to the groups, so each (group, frame)'s values are trailing and normalize() takes the fused
    // normalizeLast instead of a composite of reductions and whole-tensor passes (the transposes move H*W blocks)
    const normed = normalize(ops, ops.transpose(grouped, [0, 1, 3, 2, 4]), [3, 4], this.eps);
    return channelAffine(ops, ops.reshape(ops.transpose(normed, [0, 1, 3, 2, 4]), x.shape), this.weight, this.bias);
  }
}

export function frameGroupNorm(groups: number, channels: number, opts?: NormOptions): FrameGroupNorm {
  return new FrameGroupNorm(groups, channels, opts);
}

/** VQGAN attention over the H*W tokens of each frame separately (2-D weights). */
export class FrameAttention extends SpatialAttention {
  constructor(channels: number, opts: { heads?: number; normGroups?: number; rng?: Rng } = {}) {
    super(channels, 2, opts);
  }
  override forward(ops: Ops, x: Tensor): Tensor {
    if (x.shape.length !== 5) return super.forward(ops, x);
    if (x.shape[1] !== this.channels) {
      throw new ShapeError(`FrameAttention(${this.channels})`, `[N, C=${this.channels}, T, H, W]`, x.shape);
    }
    return batchToFrames(ops, super.forward(ops, framesToBatch(ops, x)), x.shape[0]!);
  }
}
