/**
 * How metrics read their inputs: channels-last pixels in [0, 1], as the
 * datasets produce them. Rank 3 [H, W, C] is one image, rank 4 [T, H, W, C]
 * one video, rank 5 [B, T, H, W, C] a batch of videos (a batch of images is
 * [B, 1, H, W, C]).
 */
import { ShapeError, type HostTensor } from '@zoo/core';

export interface VideoLayout {
  videos: number;
  frames: number;
  height: number;
  width: number;
  channels: number;
}

export function videoLayout(where: string, t: HostTensor): VideoLayout {
  const s = t.shape;
  if (s.length === 3) return { videos: 1, frames: 1, height: s[0]!, width: s[1]!, channels: s[2]! };
  if (s.length === 4) return { videos: 1, frames: s[0]!, height: s[1]!, width: s[2]!, channels: s[3]! };
  if (s.length === 5) return { videos: s[0]!, frames: s[1]!, height: s[2]!, width: s[3]!, channels: s[4]! };
  throw new ShapeError(where, '[H, W, C], [T, H, W, C] or [B, T, H, W, C]', s);
}

/** Layout of a reference/reconstruction pair; their shapes must be identical. */
export function pairLayout(where: string, ref: HostTensor, rec: HostTensor): VideoLayout {
  const l = videoLayout(where, ref);
  if (rec.shape.length !== ref.shape.length || rec.shape.some((d, i) => d !== ref.shape[i])) {
    throw new ShapeError(`${where} (reconstruction)`, `[${ref.shape.join(', ')}] (the reference's shape)`, rec.shape);
  }
  return l;
}

/** A metric's value, or why it has none (e.g. its network weights are absent). */
export type MetricValue = { available: true; value: number } | { available: false; reason: string };

/** Streaming reconstruction metric: feed (reference, reconstruction) batches, read the aggregate. */
export interface ReconstructionMetric {
  readonly name: string;
  /** Higher is better (PSNR, SSIM) or lower is better (LPIPS, FVD): for leaderboard sorting. */
  readonly higherIsBetter: boolean;
  update(reference: HostTensor, reconstruction: HostTensor): void | Promise<void>;
  result(): MetricValue | Promise<MetricValue>;
  reset(): void;
}

/**
 * A metric reported as the mean over videos of a per-video score (the
 * papers' protocol for PSNR and SSIM), accumulated across updates.
 */
export abstract class PerVideoMeanMetric implements ReconstructionMetric {
  abstract readonly name: string;
  readonly higherIsBetter: boolean = true;
  private sum = 0;
  private count = 0;
  protected abstract perVideo(reference: HostTensor, reconstruction: HostTensor): number[];
  update(reference: HostTensor, reconstruction: HostTensor): void {
    for (const v of this.perVideo(reference, reconstruction)) {
      this.sum += v;
      this.count++;
    }
  }
  result(): MetricValue {
    if (this.count === 0) return { available: false, reason: 'no videos were measured' };
    return { available: true, value: this.sum / this.count };
  }
  reset(): void {
    this.sum = 0;
    this.count = 0;
  }
}
