/**
 * A user-supplied ONNX network that maps clips (or frames) to feature vectors:
 * I3D for FVD, Inception for FID. We ship no weights: a metric whose network
 * is absent reports itself unavailable instead of printing a number from a
 * random network.
 *
 * Preprocessing from our [B, T, H, W, 3] clips in [0, 1]: optional bilinear
 * spatial resize (half-pixel centers, as torch's F.interpolate with
 * align_corners=False), rescale to the model's range, transpose to its layout.
 * Defaults follow the common FVD I3D export (StyleGAN-V / VideoGPT): NCTHW,
 * range [-1, 1], 224x224.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { InferenceSession } from 'onnxruntime-node';
import { ShapeError, type HostTensor } from '@zoo/core';
import { videoLayout } from './layout.js';

/** N: batch, C: channels, T: frames, H/W: spatial. Image layouts take every frame as one image. */
export type FeatureLayout = 'NCTHW' | 'NTHWC' | 'NCHW' | 'NHWC';
export type FeatureRange = '-1..1' | '0..1' | '0..255';

export interface FeatureExtractorOptions {
  /** Path of the .onnx model (e.g. --fvd-model i3d.onnx). */
  modelPath: string;
  /** Input layout (default NCTHW, I3D). */
  layout?: FeatureLayout;
  /** Pixel range the model expects (default -1..1, I3D). */
  range?: FeatureRange;
  /** Resize frames to this square side first (default: the model's static input size, else no resize). */
  inputSize?: number;
  /** Model threads (default: onnxruntime's default). */
  threads?: number;
}

export class FeatureModelUnavailableError extends Error {
  constructor(
    readonly modelPath: string,
    readonly reason: string,
  ) {
    super(`feature model ${modelPath} unavailable: ${reason}`);
    this.name = 'FeatureModelUnavailableError';
  }
}

/** Bilinear resize of [n, h, w, c] frames to [n, s, s, c] (half-pixel centers, edge clamp). */
export function resizeFrames(src: Float32Array, n: number, h: number, w: number, c: number, s: number): Float32Array {
  if (h === s && w === s) return src;
  const out = new Float32Array(n * s * s * c);
  const sy = h / s;
  const sx = w / s;
  for (let y = 0; y < s; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), h - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, h - 1);
    const wy = fy - y0;
    for (let x = 0; x < s; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), w - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, w - 1);
      const wx = fx - x0;
      for (let i = 0; i < n; i++) {
        const b = i * h * w;
        for (let k = 0; k < c; k++) {
          const p = (yy: number, xx: number): number => src[(b + yy * w + xx) * c + k]!;
          const top = p(y0, x0) * (1 - wx) + p(y0, x1) * wx;
          const bot = p(y1, x0) * (1 - wx) + p(y1, x1) * wx;
          out[((i * s + y) * s + x) * c + k] = top * (1 - wy) + bot * wy;
        }
      }
    }
  }
  return out;
}

export class OnnxFeatureExtractor {
  private constructor(
    private readonly session: InferenceSession,
    private readonly tensorCtor: typeof import('onnxruntime-node').Tensor,
    readonly layout: FeatureLayout,
    readonly range: FeatureRange,
    readonly inputSize: number | undefined,
  ) {}

  /** Loads the model; throws {@link FeatureModelUnavailableError} if the file is absent or not a loadable ONNX model. */
  static async load(opts: FeatureExtractorOptions): Promise<OnnxFeatureExtractor> {
    const path = resolve(opts.modelPath);
    if (!existsSync(path)) throw new FeatureModelUnavailableError(path, 'file not found');
    const ort = await import('onnxruntime-node');
    let session: InferenceSession;
    try {
      session = await ort.InferenceSession.create(path, opts.threads ? { intraOpNumThreads: opts.threads } : {});
    } catch (e) {
      throw new FeatureModelUnavailableError(path, `onnxruntime could not load it: ${(e as Error).message}`);
    }
    const layout = opts.layout ?? 'NCTHW';
    let size = opts.inputSize;
    const meta = session.inputMetadata[0];
    if (size === undefined && meta && meta.isTensor) {
      const dims = meta.shape;
      const [hAxis, wAxis] = layout === 'NCTHW' ? [3, 4] : layout === 'NTHWC' ? [2, 3] : layout === 'NCHW' ? [2, 3] : [1, 2];
      const h = dims[hAxis];
      if (typeof h === 'number' && h > 0 && h === dims[wAxis]) size = h;
    }
    return new OnnxFeatureExtractor(session, ort.Tensor, layout, opts.range ?? '-1..1', size);
  }

  /** Feature rows for a batch: one per clip (video layouts) or one per frame (image layouts). */
  async features(clips: HostTensor): Promise<Float32Array[]> {
    const l = videoLayout('OnnxFeatureExtractor.features', clips);
    if (l.channels !== 3) throw new ShapeError('OnnxFeatureExtractor.features', '[..., 3] RGB', clips.shape);
    const frames = l.videos * l.frames;
    const s = this.inputSize ?? l.height;
    if (this.inputSize === undefined && l.height !== l.width) {
      throw new ShapeError('OnnxFeatureExtractor.features', 'square frames (or set inputSize)', clips.shape);
    }
    const resized = resizeFrames(clips.data as Float32Array, frames, l.height, l.width, 3, s);
    const [scale, shift] = this.range === '-1..1' ? [2, -1] : this.range === '0..255' ? [255, 0] : [1, 0];
    const n = l.videos;
    const t = l.frames;
    const input = new Float32Array(resized.length);
    let dims: number[];
    const plane = s * s;
    for (let i = 0; i < resized.length; i++) {
      const c = i % 3;
      const p = Math.floor(i / 3) % plane;
      const f = Math.floor(i / (3 * plane)); // flat frame index over videos x frames
      const v = Math.floor(f / t);
      const tt = f % t;
      let o: number;
      if (this.layout === 'NCTHW') o = (((v * 3 + c) * t + tt) * plane) + p;
      else if (this.layout === 'NCHW') o = (f * 3 + c) * plane + p;
      else o = i; // NTHWC and NHWC keep our element order
      input[o] = resized[i]! * scale + shift;
    }
    if (this.layout === 'NCTHW') dims = [n, 3, t, s, s];
    else if (this.layout === 'NTHWC') dims = [n, t, s, s, 3];
    else if (this.layout === 'NCHW') dims = [frames, 3, s, s];
    else dims = [frames, s, s, 3];
    const feeds = { [this.session.inputNames[0]!]: new this.tensorCtor('float32', input, dims) };
    const result = await this.session.run(feeds);
    const out = result[this.session.outputNames[0]!]!;
    const rows = dims[0]!;
    const data = out.data as Float32Array;
    const d = data.length / rows;
    if (!Number.isInteger(d)) throw new ShapeError('feature model output', `[${rows}, D]`, out.dims);
    return Array.from({ length: rows }, (_, r) => data.slice(r * d, (r + 1) * d));
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}
