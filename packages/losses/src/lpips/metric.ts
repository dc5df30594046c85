/**
 * LPIPS as a streaming reconstruction metric (`metric:lpips`), matching the
 * bench's ReconstructionMetric shape: `update(reference, reconstruction)` on
 * host pixels in [0, 1], channels-last — [H, W, 3], [T, H, W, 3] or
 * [B, T, H, W, 3] — and `result()` = mean distance over every frame seen.
 * Frames are mapped to [−1, 1] and run in batches of `batchFrames` on an
 * engine the metric creates on first use (onnx by default: the fast one).
 * If the network weights cannot be loaded the metric reports itself
 * unavailable instead of producing a number.
 */
import {
  HostTensor,
  ShapeError,
  createOnnxEngine,
  createTfjsEngine,
  type CompiledFn,
  type Engine,
  type Tensor,
} from '@zoo/core';
import { LPIPS, type LpipsNet } from './lpips.js';

export type LpipsMetricValue = { available: true; value: number } | { available: false; reason: string };

export interface LpipsMetricConfig {
  /** Default 'alex'. */
  net?: LpipsNet;
  weightsPath?: string | undefined;
  /** Engine the metric runs on. Default 'onnx'. */
  engine?: 'onnx' | 'tfjs';
  /** Frames per forward pass. Default 16. */
  batchFrames?: number;
}

type Pair = { x: HostTensor; y: HostTensor };

export class LpipsMetric {
  readonly name = 'lpips';
  readonly higherIsBetter = false;
  private lpips: LPIPS | undefined;
  private unavailable: string | undefined;
  private engine: Engine | undefined;
  private fn: CompiledFn<Pair, { d: Tensor }> | undefined;
  private sum = 0;
  private count = 0;

  constructor(private readonly config: LpipsMetricConfig = {}) {
    try {
      this.lpips = new LPIPS({ net: config.net ?? 'alex', ...(config.weightsPath ? { weightsPath: config.weightsPath } : {}) });
    } catch (e) {
      this.unavailable = (e as Error).message;
    }
  }

  async update(reference: HostTensor, reconstruction: HostTensor): Promise<void> {
    if (!this.lpips) return;
    const s = reference.shape;
    if (s.length < 3 || s.length > 5 || s[s.length - 1] !== 3) {
      throw new ShapeError('metric lpips', '[H, W, 3], [T, H, W, 3] or [B, T, H, W, 3] (RGB in [0, 1])', s);
    }
    if (reconstruction.shape.length !== s.length || reconstruction.shape.some((d, i) => d !== s[i])) {
      throw new ShapeError('metric lpips (reconstruction)', `[${s.join(', ')}] (the reference's shape)`, reconstruction.shape);
    }
    const [h, w] = s.slice(-3, -1) as [number, number];
    const frames = reference.size / (h * w * 3);
    const batch = this.config.batchFrames ?? 16;
    const fn = await this.compiled();
    for (let f0 = 0; f0 < frames; f0 += batch) {
      const n = Math.min(batch, frames - f0);
      const { d } = await fn.run({ x: toNchw(reference, f0, n, h, w), y: toNchw(reconstruction, f0, n, h, w) });
      for (const v of d.data) this.sum += v;
      this.count += n;
    }
  }

  result(): LpipsMetricValue {
    if (this.unavailable) return { available: false, reason: this.unavailable };
    if (this.count === 0) return { available: false, reason: 'no frames were measured' };
    return { available: true, value: this.sum / this.count };
  }

  reset(): void {
    this.sum = 0;
    this.count = 0;
  }

  async dispose(): Promise<void> {
    await this.engine?.dispose();
    this.engine = undefined;
    this.fn = undefined;
  }

  private async compiled(): Promise<CompiledFn<Pair, { d: Tensor }>> {
    if (!this.fn) {
      const lpips = this.lpips!;
      this.engine = this.config.engine === 'tfjs' ? await createTfjsEngine() : await createOnnxEngine();
      // LPIPS's weights are constant variables: the onnx engine bakes them in (1.8x at 64 px)
      this.fn = this.engine.compile<Pair, { d: Tensor }>((ops, i) => ({ d: lpips.distance(ops, i.x, i.y) }));
    }
    return this.fn;
  }
}

/** Frames [f0, f0 + n) of channels-last [0, 1] pixels → [n, 3, H, W] in [−1, 1]. */
function toNchw(t: HostTensor, f0: number, n: number, h: number, w: number): HostTensor<'float32'> {
  const out = new Float32Array(n * 3 * h * w);
  const plane = h * w;
  for (let f = 0; f < n; f++) {
    const src = (f0 + f) * plane * 3;
    for (let p = 0; p < plane; p++)
      for (let c = 0; c < 3; c++) out[(f * 3 + c) * plane + p] = t.data[src + p * 3 + c]! * 2 - 1;
  }
  return new HostTensor([n, 3, h, w], out, 'float32');
}
