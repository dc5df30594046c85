/**
 * `synthetic`: procedurally generated videos, the embedded default dataset
 * that needs no download. Each clip has a panning textured background and
 * 2-4 textured shapes (discs, rotating boxes, ellipses) moving at varied
 * speeds, bouncing off the borders and occluding each other in a fixed depth
 * order: enough motion, texture and occlusion to tell tokenizers apart, and
 * fast to generate in plain JS.
 *
 * The scene is defined in frame units (positions, sizes and speeds as
 * fractions of the frame side, texture frequencies in cycles per frame), so
 * a seed describes the same video at every resolution, and the resolution
 * only sets how it is sampled: each output pixel is the box average of
 * `supersampleFactor(R)`² sub-pixel samples, the anti-aliasing any camera's
 * pixel footprint does. Without it, textures above the pixel Nyquist rate
 * alias into noise at small R (16 px frames were mostly noise before).
 *
 * Clip k is a pure function of (seed, sampling stream, epoch for train, k):
 * eval clips are the same set every time, train clips are fresh every epoch,
 * and the eval and train streams never share a clip.
 */
import { z } from 'zod';
import { HostTensor, Rng } from '@zoo/core';
import { epochOrder } from './clip-sampling.js';
import { batchClips, emptyStats, type Dataset, type DatasetStats, type IterateOptions, type Sampling } from './dataset.js';

export const syntheticSchema = z.object({
  /** Clips per epoch (default 64). */
  length: z.number().int().min(1).default(64),
  /** Frames per clip T (default 17, as the ucf101 default). */
  frames: z.number().int().min(1).max(1024).default(17),
  /** Frame side R (default 64). */
  resolution: z.number().int().min(8).max(1024).default(64),
  /** `eval`: fixed clips in order; `train`: new clips each epoch, shuffled (default eval). */
  sampling: z.enum(['eval', 'train']).default('eval'),
  /** Base seed (default 0). */
  seed: z.number().int().min(0).default(0),
  /** Fewest and most moving shapes per clip (default 2 and 4). */
  minShapes: z.number().int().min(0).max(16).default(2),
  maxShapes: z.number().int().min(0).max(16).default(4),
  /**
   * Rendered clips kept in memory, in MiB (default 256; 0 = off). Rendering
   * is pure, so a hit returns exactly what rendering would; it pays off when
   * the same clips are drawn again, as when a run trains several tokenizers
   * on one seed (the default run: 4000 clips of 24 KiB each, ~45 ms per
   * batch of 4 to render at 16 px).
   */
  cacheMiB: z.number().min(0).default(256),
});
export type SyntheticConfig = z.infer<typeof syntheticSchema>;

type Rgb = [number, number, number];
/** A sinusoidal grating of the background; frequencies in cycles per frame side. */
interface Grating {
  fx: number;
  fy: number;
  phase: number;
  amp: number;
  color: Rgb;
}
/** A moving shape; lengths and speeds in frame sides (per frame). */
interface Shape {
  kind: 'disc' | 'box' | 'ellipse';
  x: number;
  y: number;
  vx: number;
  vy: number;
  a: number;
  b: number;
  angle: number;
  spin: number;
  colors: [Rgb, Rgb];
  /** Stripe frequency (cycles per frame side) and orientation of the shape's own texture. */
  freq: number;
  texAngle: number;
  checker: boolean;
}

/**
 * Sub-pixel samples per output pixel along each axis: 4 up to 32 px (where
 * aliasing is worst), 2 at 64 px, 1 from 128 px, so rendering cost stays
 * near that of a 128x128 frame at small sizes.
 */
export function supersampleFactor(resolution: number): number {
  return Math.max(1, Math.min(4, Math.ceil(128 / resolution)));
}

function color(rng: Rng): Rgb {
  return [rng.uniform(0.05, 0.95), rng.uniform(0.05, 0.95), rng.uniform(0.05, 0.95)];
}

/** Log-uniform draw in [lo, hi]. */
function logUniform(rng: Rng, lo: number, hi: number): number {
  return Math.exp(rng.uniform(Math.log(lo), Math.log(hi)));
}

function makeShape(rng: Rng): Shape {
  const kinds = ['disc', 'box', 'ellipse'] as const;
  const kind = kinds[rng.int(3)]!;
  const size = rng.uniform(0.1, 0.24);
  // 1% to 8% of the frame per frame (log-uniform): from a slow drift to crossing the frame in about a second at 12 fps.
  const speed = logUniform(rng, 0.01, 0.08);
  const dir = rng.uniform(0, 2 * Math.PI);
  return {
    kind,
    x: rng.uniform(0.15, 0.85),
    y: rng.uniform(0.15, 0.85),
    vx: speed * Math.cos(dir),
    vy: speed * Math.sin(dir),
    a: size,
    b: kind === 'disc' ? size : size * rng.uniform(0.45, 0.9),
    angle: rng.uniform(0, Math.PI),
    spin: kind === 'disc' ? 0 : rng.uniform(-0.12, 0.12),
    colors: [color(rng), color(rng)],
    // 2-6 stripes per frame side: 1-3 stripe pairs across a shape, resolvable (with anti-aliasing) from 16 px up.
    freq: rng.uniform(2, 6),
    texAngle: rng.uniform(0, Math.PI),
    checker: rng.next() < 0.4,
  };
}

/** Position after t frames, bouncing off the borders (reflection of the straight path). */
function bounce(p0: number, v: number, t: number, lo: number, hi: number): number {
  const len = hi - lo;
  if (len <= 0) return lo;
  let p = (((p0 - lo + v * t) % (2 * len)) + 2 * len) % (2 * len);
  if (p > len) p = 2 * len - p;
  return lo + p;
}

/** Signed distance (same units as the shape, negative inside) of a point in the shape's own frame. */
function signedDistance(s: { kind: Shape['kind']; a: number; b: number }, u: number, v: number): number {
  if (s.kind === 'disc') return Math.sqrt(u * u + v * v) - s.a;
  if (s.kind === 'box') {
    const qx = Math.abs(u) - s.a;
    const qy = Math.abs(v) - s.b;
    const ox = Math.max(qx, 0);
    const oy = Math.max(qy, 0);
    return Math.sqrt(ox * ox + oy * oy) + Math.min(Math.max(qx, qy), 0);
  }
  // Ellipse: scaled-radius approximation; exact enough for a one-sample soft edge.
  const eu = u / s.a;
  const ev = v / s.b;
  return (Math.sqrt(eu * eu + ev * ev) - 1) * Math.min(s.a, s.b);
}

/** Box-averages an [n, n, 3] frame by `s` into [n/s, n/s, 3] at `out[offset..]`, clamped to [0, 1]. */
function boxDownsample(src: Float64Array, n: number, s: number, out: Float32Array, offset: number): void {
  const r = n / s;
  const inv = 1 / (s * s);
  for (let y = 0; y < r; y++) {
    for (let x = 0; x < r; x++) {
      for (let c = 0; c < 3; c++) {
        let acc = 0;
        for (let j = 0; j < s; j++) {
          const row = ((y * s + j) * n + x * s) * 3 + c;
          for (let i = 0; i < s; i++) acc += src[row + i * 3]!;
        }
        out[offset + (y * r + x) * 3 + c] = Math.min(1, Math.max(0, acc * inv));
      }
    }
  }
}

/** Renders one clip [T, R, R, 3] in [0, 1] from its own seed (anti-aliased; see the module comment). */
export function renderSyntheticClip(seed: number, frames: number, r: number, minShapes = 2, maxShapes = 4): Float32Array {
  const rng = new Rng(seed);
  const base = color(rng);
  // 1-4 cycles per frame side: broad background structure, not pixel noise.
  const gratings: Grating[] = Array.from({ length: 3 }, () => {
    const f = rng.uniform(1, 4);
    const th = rng.uniform(0, Math.PI);
    return { fx: f * Math.cos(th), fy: f * Math.sin(th), phase: rng.uniform(0, 2 * Math.PI), amp: rng.uniform(0.15, 0.4), color: color(rng) };
  });
  // Camera pan of 1% to 4% of the frame per frame: the background drifts by a tenth to a third of the frame over 8 frames.
  const panSpeed = rng.uniform(0.01, 0.04);
  const panDir = rng.uniform(0, 2 * Math.PI);
  const pan = [panSpeed * Math.cos(panDir), panSpeed * Math.sin(panDir)] as const;
  const lo = Math.min(minShapes, maxShapes);
  const nShapes = lo + rng.int(Math.max(minShapes, maxShapes) - lo + 1);
  const shapes = Array.from({ length: nShapes }, () => makeShape(rng));

  const ss = supersampleFactor(r);
  const n = r * ss;
  const out = new Float32Array(frames * r * r * 3);
  const hi = new Float64Array(n * n * 3);
  // Gratings are separable: sin(ax + by + φ) = sin(ax)·cos(by + φ) + cos(ax)·sin(by + φ),
  // so per frame one table per row and per column replaces a sin per sample.
  const gx = gratings.map(() => [new Float64Array(n), new Float64Array(n)] as const);
  const gy = gratings.map(() => [new Float64Array(n), new Float64Array(n)] as const);
  const px = new Float64Array(3);
  // Shape edges are softened over one sub-pixel sample (in pixel units of the supersampled frame).
  const edge = 1 / n;
  for (let t = 0; t < frames; t++) {
    const ox = pan[0] * t;
    const oy = pan[1] * t;
    gratings.forEach((g, k) => {
      for (let i = 0; i < n; i++) {
        const u = (i + 0.5) / n;
        const ax = 2 * Math.PI * g.fx * (u + ox);
        const by = 2 * Math.PI * g.fy * (u + oy) + g.phase;
        gx[k]![0][i] = Math.sin(ax);
        gx[k]![1][i] = Math.cos(ax);
        gy[k]![0][i] = Math.cos(by);
        gy[k]![1][i] = Math.sin(by);
      }
    });
    const placed = shapes.map((s) => {
      const ang = s.angle + s.spin * t;
      const cx = bounce(s.x, s.vx, t, s.a, 1 - s.a);
      const cy = bounce(s.y, s.vy, t, s.a, 1 - s.a);
      const reach = Math.max(s.a, s.b) * Math.SQRT2 + edge;
      return { s, cx, cy, cos: Math.cos(ang), sin: Math.sin(ang), x0: cx - reach, x1: cx + reach, y0: cy - reach, y1: cy + reach };
    });
    for (let y = 0; y < n; y++) {
      const fy = (y + 0.5) / n;
      for (let x = 0; x < n; x++) {
        const fx = (x + 0.5) / n;
        for (let c = 0; c < 3; c++) px[c] = base[c]!;
        for (let k = 0; k < gratings.length; k++) {
          const g = gratings[k]!;
          const w = g.amp * (gx[k]![0][x]! * gy[k]![0][y]! + gx[k]![1][x]! * gy[k]![1][y]!);
          for (let c = 0; c < 3; c++) px[c]! += w * (g.color[c]! - 0.5);
        }
        // Later shapes are nearer: painter's order gives the occlusions.
        for (const p of placed) {
          if (fx < p.x0 || fx > p.x1 || fy < p.y0 || fy > p.y1) continue;
          const dx = fx - p.cx;
          const dy = fy - p.cy;
          const u = dx * p.cos + dy * p.sin;
          const v = -dx * p.sin + dy * p.cos;
          const cover = Math.min(1, Math.max(0, 0.5 - signedDistance(p.s, u, v) / edge));
          if (cover <= 0) continue;
          const tc = Math.cos(p.s.texAngle) * u + Math.sin(p.s.texAngle) * v;
          let sel = Math.sin(2 * Math.PI * p.s.freq * tc) > 0;
          if (p.s.checker) sel = sel !== Math.sin(2 * Math.PI * p.s.freq * (Math.cos(p.s.texAngle) * v - Math.sin(p.s.texAngle) * u)) > 0;
          const col = p.s.colors[sel ? 0 : 1];
          for (let c = 0; c < 3; c++) px[c] = px[c]! * (1 - cover) + col[c]! * cover;
        }
        const o = (y * n + x) * 3;
        for (let c = 0; c < 3; c++) hi[o + c] = Math.min(1, Math.max(0, px[c]!));
      }
    }
    boxDownsample(hi, n, ss, out, t * r * r * 3);
  }
  return out;
}

const STREAM = { eval: 0x51ed, train: 0x7a11 } as const;

/** Least-recently-used clips up to a byte budget (Map iteration order is insertion order). */
class ClipCache {
  private readonly map = new Map<number, Float32Array>();
  private bytes = 0;
  constructor(private readonly budget: number) {}

  get(key: number): Float32Array | undefined {
    const v = this.map.get(key);
    if (v) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }

  set(key: number, value: Float32Array): void {
    if (value.byteLength > this.budget || this.map.has(key)) return;
    this.map.set(key, value);
    this.bytes += value.byteLength;
    for (const [k, v] of this.map) {
      if (this.bytes <= this.budget) break;
      this.map.delete(k);
      this.bytes -= v.byteLength;
    }
  }
}

export class SyntheticDataset implements Dataset {
  readonly name = 'synthetic';
  readonly clipShape: readonly [number, number, number, 3];
  readonly sampling: Sampling;

  private readonly cache: ClipCache;

  constructor(readonly config: SyntheticConfig) {
    this.clipShape = [config.frames, config.resolution, config.resolution, 3];
    this.sampling = config.sampling;
    this.cache = new ClipCache(config.cacheMiB * 2 ** 20);
  }

  get length(): number {
    return this.config.length;
  }

  stats(): DatasetStats {
    return { ...emptyStats(), listed: this.config.length, used: this.config.length };
  }

  /** Seed of clip k: eval clips ignore the epoch so the eval set is fixed. */
  clipSeed(k: number, epoch: number): number {
    const c = this.config;
    const stream = c.sampling === 'eval' ? STREAM.eval : STREAM.train + 0x10000 * (epoch + 1);
    let h = Math.imul(c.seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(stream, 0xc2b2ae35) ^ Math.imul(k + 1, 0x27d4eb2f);
    h ^= h >>> 15;
    return Math.imul(h, 0x2c1b3c6d) >>> 0;
  }

  async *clips(opts: IterateOptions = {}): AsyncIterable<HostTensor<'float32'>> {
    const epoch = opts.epoch ?? 0;
    const c = this.config;
    for (const k of epochOrder(c.length, c.sampling, c.seed, epoch)) {
      const seed = this.clipSeed(k, epoch);
      let data = this.cache.get(seed);
      if (!data) {
        data = renderSyntheticClip(seed, c.frames, c.resolution, c.minShapes, c.maxShapes);
        this.cache.set(seed, data);
      }
      // A copy: callers may write into the clips they are given.
      yield new HostTensor(this.clipShape, data.slice(), 'float32');
    }
  }

  batches(batchSize: number, opts: IterateOptions = {}): AsyncIterable<HostTensor<'float32'>> {
    return batchClips(this.clips(opts), batchSize);
  }
}
