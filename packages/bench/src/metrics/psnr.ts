/**
 * PSNR on pixels in [0, 1] (data range 1), per video: the MSE is taken over
 * all frames, pixels and channels of one video, PSNR = 10 log10(range² / MSE),
 * and the reported number is the mean of the per-video PSNRs (the convention
 * of MAGVIT / VideoGPT evaluation code and scikit-image's
 * peak_signal_noise_ratio per item). Computed in float64. Identical videos
 * give +Infinity.
 */
import type { HostTensor } from '@zoo/core';
import { pairLayout, PerVideoMeanMetric } from './layout.js';

export interface PsnrOptions {
  /** Maximum minus minimum possible pixel value (default 1, for [0, 1] pixels). */
  dataRange?: number;
}

/** Per-video PSNR of a pair of images, videos or video batches (see layout.ts). */
export function psnrPerVideo(reference: HostTensor, reconstruction: HostTensor, opts: PsnrOptions = {}): number[] {
  const l = pairLayout('psnr', reference, reconstruction);
  const range = opts.dataRange ?? 1;
  const per = l.frames * l.height * l.width * l.channels;
  const a = reference.data;
  const b = reconstruction.data;
  const out: number[] = [];
  for (let v = 0; v < l.videos; v++) {
    let sse = 0;
    for (let i = v * per; i < (v + 1) * per; i++) {
      const d = a[i]! - b[i]!;
      sse += d * d;
    }
    out.push(10 * Math.log10((range * range) / (sse / per)));
  }
  return out;
}

/** Mean over videos of the per-video PSNR. */
export function psnr(reference: HostTensor, reconstruction: HostTensor, opts: PsnrOptions = {}): number {
  const per = psnrPerVideo(reference, reconstruction, opts);
  return per.reduce((s, x) => s + x, 0) / per.length;
}

/** Streaming PSNR over a dataset: mean of per-video PSNR across every update. */
export class PsnrMetric extends PerVideoMeanMetric {
  readonly name = 'psnr';
  constructor(private readonly opts: PsnrOptions = {}) {
    super();
  }
  protected perVideo(reference: HostTensor, reconstruction: HostTensor): number[] {
    return psnrPerVideo(reference, reconstruction, this.opts);
  }
}
