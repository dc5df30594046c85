/**
 * SSIM (Wang, Bovik, Sheikh, Simoncelli 2004) on pixels in [0, 1].
 *
 * Protocol, per frame and channel (a 2-D SSIM map), then the mean over
 * channels and frames of a video, then the mean over videos:
 * - `wang` (default): 11-tap Gaussian window, sigma 1.5 (scipy's truncate 3.5
 *   gives radius 5), population (biased) local covariance, as in the paper and
 *   scikit-image's `gaussian_weights=True, use_sample_covariance=False`.
 * - `skimage`: scikit-image's default, a 7x7 uniform window with sample
 *   (N/(N-1)) covariance.
 * Both: K1 = 0.01, K2 = 0.03, C = (K·L)² with data range L = 1, and only the
 * "valid" part of the map where the whole window lies inside the frame (the
 * border of half a window is cropped, as scikit-image does), in float64.
 * Reproduces scikit-image 0.19.3 `structural_similarity(..., channel_axis=-1,
 * data_range=1)` to float64 rounding.
 */
import { ShapeError, type HostTensor } from '@zoo/core';
import { pairLayout, PerVideoMeanMetric } from './layout.js';

export type SsimMode = 'wang' | 'skimage';

export interface SsimOptions {
  /** Window and covariance convention (default `wang`). */
  mode?: SsimMode;
  /** Pixel value range L (default 1). */
  dataRange?: number;
}

/** Smallest frame side SSIM can score: its default (`wang`) window is 11 x 11 and only the valid region counts. */
export const SSIM_MIN_SIDE = 11;

const K1 = 0.01;
const K2 = 0.03;

/** Normalized 1-D window and covariance factor of a mode. */
export function ssimWindow(mode: SsimMode): { taps: Float64Array; covNorm: number } {
  if (mode === 'skimage') {
    const n = 7;
    return { taps: new Float64Array(n).fill(1 / n), covNorm: (n * n) / (n * n - 1) };
  }
  const sigma = 1.5;
  const radius = Math.floor(3.5 * sigma + 0.5);
  const taps = new Float64Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) sum += taps[i + radius] = Math.exp((-0.5 * i * i) / (sigma * sigma));
  for (let i = 0; i < taps.length; i++) taps[i]! /= sum;
  return { taps, covNorm: 1 };
}

/** Separable valid-mode filtering of an h x w map: (h-k+1) x (w-k+1). */
function filterValid(src: Float64Array, h: number, w: number, taps: Float64Array, tmp: Float64Array, out: Float64Array): void {
  const k = taps.length;
  const ow = w - k + 1;
  const oh = h - k + 1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < ow; x++) {
      let s = 0;
      for (let j = 0; j < k; j++) s += taps[j]! * src[y * w + x + j]!;
      tmp[y * ow + x] = s;
    }
  }
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      let s = 0;
      for (let j = 0; j < k; j++) s += taps[j]! * tmp[(y + j) * ow + x]!;
      out[y * ow + x] = s;
    }
  }
}

/** Mean SSIM of one frame channel pair (x, y of h x w) over the valid region. */
function ssimPlane(x: Float64Array, y: Float64Array, h: number, w: number, taps: Float64Array, covNorm: number, range: number): number {
  const k = taps.length;
  const n = (h - k + 1) * (w - k + 1);
  const tmp = new Float64Array(h * (w - k + 1));
  const prods = [new Float64Array(h * w), new Float64Array(h * w), new Float64Array(h * w)];
  for (let i = 0; i < h * w; i++) {
    prods[0]![i] = x[i]! * x[i]!;
    prods[1]![i] = y[i]! * y[i]!;
    prods[2]![i] = x[i]! * y[i]!;
  }
  const [ux, uy, uxx, uyy, uxy] = [x, y, prods[0]!, prods[1]!, prods[2]!].map((src) => {
    const out = new Float64Array(n);
    filterValid(src, h, w, taps, tmp, out);
    return out;
  }) as [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];
  const c1 = (K1 * range) ** 2;
  const c2 = (K2 * range) ** 2;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const mx = ux[i]!;
    const my = uy[i]!;
    const vx = covNorm * (uxx[i]! - mx * mx);
    const vy = covNorm * (uyy[i]! - my * my);
    const vxy = covNorm * (uxy[i]! - mx * my);
    sum += ((2 * mx * my + c1) * (2 * vxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2));
  }
  return sum / n;
}

/** Per-video SSIM (mean over frames and channels) of images, videos or video batches. */
export function ssimPerVideo(reference: HostTensor, reconstruction: HostTensor, opts: SsimOptions = {}): number[] {
  const l = pairLayout('ssim', reference, reconstruction);
  const { taps, covNorm } = ssimWindow(opts.mode ?? 'wang');
  if (l.height < taps.length || l.width < taps.length) {
    throw new ShapeError('ssim', `frames of at least ${taps.length}x${taps.length} (the ${opts.mode ?? 'wang'} window)`, reference.shape);
  }
  const range = opts.dataRange ?? 1;
  const plane = l.height * l.width;
  const x = new Float64Array(plane);
  const y = new Float64Array(plane);
  const out: number[] = [];
  for (let v = 0; v < l.videos; v++) {
    let sum = 0;
    for (let f = 0; f < l.frames; f++) {
      const base = (v * l.frames + f) * plane * l.channels;
      for (let c = 0; c < l.channels; c++) {
        for (let i = 0; i < plane; i++) {
          x[i] = reference.data[base + i * l.channels + c]!;
          y[i] = reconstruction.data[base + i * l.channels + c]!;
        }
        sum += ssimPlane(x, y, l.height, l.width, taps, covNorm, range);
      }
    }
    out.push(sum / (l.frames * l.channels));
  }
  return out;
}

/** Mean over videos of the per-video SSIM. */
export function ssim(reference: HostTensor, reconstruction: HostTensor, opts: SsimOptions = {}): number {
  const per = ssimPerVideo(reference, reconstruction, opts);
  return per.reduce((s, x) => s + x, 0) / per.length;
}

/** Streaming SSIM over a dataset: mean of per-video SSIM across every update. */
export class SsimMetric extends PerVideoMeanMetric {
  readonly name = 'ssim';
  constructor(private readonly opts: SsimOptions = {}) {
    super();
  }
  protected perVideo(reference: HostTensor, reconstruction: HostTensor): number[] {
    return ssimPerVideo(reference, reconstruction, this.opts);
  }
}
