/**
 * `synthetic`: procedurally generated videos, the embedded default dataset
 * that needs no download. Each clip has a panning textured background and
 * 2-4 textured shapes (discs, rotating boxes, ellipses) moving at varied
 * speeds, bouncing off the borders and occluding each other in a fixed depth
 * order: enough motion, texture and occlusion to tell tokenizers apart, and
 * fast to generate in plain JS (tens of milliseconds per 17x64x64 clip).
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
});
export type SyntheticConfig = z.infer<typeof syntheticSchema>;

type Rgb = [number, number, number];
interface Grating {
  fx: number;
  fy: number;
  phase: number;
  amp: number;
  color: Rgb;
}
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
  /** Stripe frequency (cycles per pixel) and orientation of the shape's own texture. */
  freq: number;
  texAngle: number;
  checker: boolean;
}

function color(rng: Rng): Rgb {
  return [rng.uniform(0.05, 0.95), rng.uniform(0.05, 0.95), rng.uniform(0.05, 0.95)];
}

function makeShape(rng: Rng, r: number): Shape {
  const kinds = ['disc', 'box', 'ellipse'] as const;
  const kind = kinds[rng.int(3)]!;
  const size = rng.uniform(0.08, 0.22) * r;
  // Speeds from near-still to fast (0.25 to 4 px/frame at R = 64) so motion estimation is exercised at several scales.
  const speed = Math.exp(rng.uniform(Math.log(0.25), Math.log(4))) * (r / 64);
  const dir = rng.uniform(0, 2 * Math.PI);
  return {
    kind,
    x: rng.uniform(0.15, 0.85) * r,
    y: rng.uniform(0.15, 0.85) * r,
    vx: speed * Math.cos(dir),
    vy: speed * Math.sin(dir),
    a: size,
    b: kind === 'disc' ? size : size * rng.uniform(0.45, 0.9),
    angle: rng.uniform(0, Math.PI),
    spin: kind === 'disc' ? 0 : rng.uniform(-0.12, 0.12),
    colors: [color(rng), color(rng)],
    freq: rng.uniform(0.06, 0.3) * (64 / r),
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

/** Signed distance (pixels, negative inside) of a point in the shape's own frame. */
function signedDistance(s: Shape, u: number, v: number): number {
  if (s.kind === 'disc') return Math.sqrt(u * u + v * v) - s.a;
  if (s.kind === 'box') {
    const qx = Math.abs(u) - s.a;
    const qy = Math.abs(v) - s.b;
    const ox = Math.max(qx, 0);
    const oy = Math.max(qy, 0);
    return Math.sqrt(ox * ox + oy * oy) + Math.min(Math.max(qx, qy), 0);
  }
  // Ellipse: scaled-radius approximation; exact enough for a 1-pixel soft edge.
  const eu = u / s.a;
  const ev = v / s.b;
  return (Math.sqrt(eu * eu + ev * ev) - 1) * Math.min(s.a, s.b);
}

/** Renders one clip [T, R, R, 3] in [0, 1] from its own seed. */
export function renderSyntheticClip(seed: number, frames: number, r: number, minShapes = 2, maxShapes = 4): Float32Array {
  const rng = new Rng(seed);
  const base = color(rng);
  const gratings: Grating[] = Array.from({ length: 3 }, () => {
    const f = rng.uniform(0.02, 0.15) * (64 / r);
    const th = rng.uniform(0, Math.PI);
    return { fx: f * Math.cos(th), fy: f * Math.sin(th), phase: rng.uniform(0, 2 * Math.PI), amp: rng.uniform(0.05, 0.2), color: color(rng) };
  });
  const panSpeed = rng.uniform(0, 1.5) * (r / 64);
  const panDir = rng.uniform(0, 2 * Math.PI);
  const pan = [panSpeed * Math.cos(panDir), panSpeed * Math.sin(panDir)] as const;
  const lo = Math.min(minShapes, maxShapes);
  const nShapes = lo + rng.int(Math.max(minShapes, maxShapes) - lo + 1);
  const shapes = Array.from({ length: nShapes }, () => makeShape(rng, r));

  const out = new Float32Array(frames * r * r * 3);
  // Gratings are separable: sin(ax + by + φ) = sin(ax)·cos(by + φ) + cos(ax)·sin(by + φ),
  // so per frame one table per row and per column replaces a sin per pixel.
  const gx = gratings.map(() => [new Float64Array(r), new Float64Array(r)] as const);
  const gy = gratings.map(() => [new Float64Array(r), new Float64Array(r)] as const);
  const px = new Float64Array(3);
  for (let t = 0; t < frames; t++) {
    const ox = pan[0] * t;
    const oy = pan[1] * t;
    gratings.forEach((g, k) => {
      for (let i = 0; i < r; i++) {
        const ax = 2 * Math.PI * g.fx * (i + 0.5 + ox);
        const by = 2 * Math.PI * g.fy * (i + 0.5 + oy) + g.phase;
        gx[k]![0][i] = Math.sin(ax);
        gx[k]![1][i] = Math.cos(ax);
        gy[k]![0][i] = Math.cos(by);
        gy[k]![1][i] = Math.sin(by);
      }
    });
    const placed = shapes.map((s) => {
      const ang = s.angle + s.spin * t;
      const cx = bounce(s.x, s.vx, t, s.a, r - s.a);
      const cy = bounce(s.y, s.vy, t, s.a, r - s.a);
      const reach = Math.max(s.a, s.b) * Math.SQRT2 + 1;
      return { s, cx, cy, cos: Math.cos(ang), sin: Math.sin(ang), x0: cx - reach, x1: cx + reach, y0: cy - reach, y1: cy + reach };
    });
    for (let y = 0; y < r; y++) {
      for (let x = 0; x < r; x++) {
        for (let c = 0; c < 3; c++) px[c] = base[c]!;
        for (let k = 0; k < gratings.length; k++) {
          const g = gratings[k]!;
          const w = g.amp * (gx[k]![0][x]! * gy[k]![0][y]! + gx[k]![1][x]! * gy[k]![1][y]!);
          for (let c = 0; c < 3; c++) px[c]! += w * (g.color[c]! - 0.5);
        }
        // Later shapes are nearer: painter's order gives the occlusions.
        for (const p of placed) {
          const fx = x + 0.5;
          const fy = y + 0.5;
          if (fx < p.x0 || fx > p.x1 || fy < p.y0 || fy > p.y1) continue;
          const dx = fx - p.cx;
          const dy = fy - p.cy;
          const u = dx * p.cos + dy * p.sin;
          const v = -dx * p.sin + dy * p.cos;
          const cover = Math.min(1, Math.max(0, 0.5 - signedDistance(p.s, u, v)));
          if (cover <= 0) continue;
          const tc = Math.cos(p.s.texAngle) * u + Math.sin(p.s.texAngle) * v;
          let sel = Math.sin(2 * Math.PI * p.s.freq * tc) > 0;
          if (p.s.checker) sel = sel !== Math.sin(2 * Math.PI * p.s.freq * (Math.cos(p.s.texAngle) * v - Math.sin(p.s.texAngle) * u)) > 0;
          const col = p.s.colors[sel ? 0 : 1];
          for (let c = 0; c < 3; c++) px[c] = px[c]! * (1 - cover) + col[c]! * cover;
        }
        const o = ((t * r + y) * r + x) * 3;
        for (let c = 0; c < 3; c++) out[o + c] = Math.min(1, Math.max(0, px[c]!));
      }
    }
  }
  return out;
}

const STREAM = { eval: 0x51ed, train: 0x7a11 } as const;

export class SyntheticDataset implements Dataset {
  readonly name = 'synthetic';
  readonly clipShape: readonly [number, number, number, 3];
  readonly sampling: Sampling;

  constructor(readonly config: SyntheticConfig) {
    this.clipShape = [config.frames, config.resolution, config.resolution, 3];
    this.sampling = config.sampling;
  }

  get length(): number {
    return this.config.length;
  }

  stats(): DatasetStats {
    return { ...emptyStats(), listed: this.config.length };
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
      const data = renderSyntheticClip(this.clipSeed(k, epoch), c.frames, c.resolution, c.minShapes, c.maxShapes);
      yield new HostTensor(this.clipShape, data, 'float32');
    }
  }

  batches(batchSize: number, opts: IterateOptions = {}): AsyncIterable<HostTensor<'float32'>> {
    return batchClips(this.clips(opts), batchSize);
  }
}
