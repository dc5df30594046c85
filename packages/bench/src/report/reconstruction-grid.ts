/**
 * Reconstruction grids: the original clip beside each tokenizer's
 * reconstruction of it, the visual half of the leaderboard. One row per
 * clip (original first), one column per shown frame, written as PNG (or as
 * an animated GIF, one row per clip, animating over frames) with sharp.
 *
 * Names are not drawn into the image (that would need fonts on the machine);
 * the returned {@link GridLayout} tells the HTML report where each row is so
 * it can label them.
 */
import { ShapeError } from '@zoo/core';
import sharp from 'sharp';
import { writeFileAtomic } from '@zoo/core';

export interface GridClip {
  name: string;
  /** [T, H, W, 3] channels-last RGB in [0, 1]; values outside are clamped, NaN shows as black. */
  data: Float32Array;
}

export interface ReconstructionGridOptions {
  /** [T, H, W] of every clip (3 RGB channels, channels-last). */
  shape: readonly [number, number, number];
  /**
   * Frames to show: explicit indices, or a maximum count spread evenly over
   * the clip, first and last included (default 8, as in the MAGVIT figures).
   * PNG only; a GIF animates over every frame.
   */
  frames?: readonly number[] | number;
  /** Integer nearest-neighbour upscaling (default: smallest making a cell at least 64 px tall). */
  scale?: number;
  /** Pixels between cells (default 2). */
  gap?: number;
  /** Colour of the gaps, RGB 0-255 (default white). */
  background?: readonly [number, number, number];
  /** Label of the first row (default 'original'). */
  originalName?: string;
}

export interface GifOptions extends Omit<ReconstructionGridOptions, 'frames'> {
  /** Milliseconds per frame (default 125, i.e. 8 fps, UCF-101 clips subsampled). */
  delayMs?: number;
}

/** Where things are in a written grid, in image pixels. */
export interface GridLayout {
  width: number;
  height: number;
  cellWidth: number;
  cellHeight: number;
  gap: number;
  /** Frame index shown in each column (GIF: every frame, one per animation page). */
  frames: number[];
  /** Row labels top to bottom: the original, then each reconstruction. */
  rows: string[];
}

/** Indices of `count` frames spread evenly over `[0, t)`, first and last included. */
export function evenlySpacedFrames(t: number, count: number): number[] {
  const n = Math.max(1, Math.min(t, Math.floor(count)));
  if (n === 1) return [0];
  return Array.from({ length: n }, (_, i) => Math.round((i * (t - 1)) / (n - 1)));
}

function checkClips(where: string, clips: readonly GridClip[], shape: readonly [number, number, number]): void {
  const [t, h, w] = shape;
  if (![t, h, w].every((d) => Number.isInteger(d) && d > 0)) {
    throw new ShapeError(where, '[T, H, W] of positive integers', shape);
  }
  const n = t * h * w * 3;
  for (const c of clips) {
    if (c.data.length !== n) {
      throw new ShapeError(`${where}(${c.name})`, `[${t}, ${h}, ${w}, 3] = ${n} values`, [c.data.length]);
    }
  }
}

function toByte(v: number): number {
  if (!(v > 0)) return 0; // also NaN
  if (v >= 1) return 255;
  return Math.round(v * 255);
}

interface Composed {
  pixels: Uint8Array;
  layout: GridLayout;
}

// Paints rows x columns of (upscaled) frames into one RGB buffer.
function compose(clips: readonly GridClip[], opts: ReconstructionGridOptions, frames: number[]): Composed {
  const [, h, w] = opts.shape;
  const scale = opts.scale ?? Math.max(1, Math.ceil(64 / h));
  if (!Number.isInteger(scale) || scale < 1) throw new RangeError(`grid scale must be an integer >= 1, got ${scale}`);
  const gap = opts.gap ?? 2;
  if (!Number.isInteger(gap) || gap < 0) throw new RangeError(`grid gap must be an integer >= 0, got ${gap}`);
  const bg = opts.background ?? [255, 255, 255];
  const cw = w * scale;
  const ch = h * scale;
  const width = frames.length * cw + (frames.length - 1) * gap;
  const height = clips.length * ch + (clips.length - 1) * gap;
  const pixels = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) pixels.set(bg, i * 3);
  clips.forEach((clip, row) => {
    frames.forEach((f, col) => {
      const x0 = col * (cw + gap);
      const y0 = row * (ch + gap);
      for (let y = 0; y < ch; y++) {
        const src = (f * h + Math.floor(y / scale)) * w;
        let dst = ((y0 + y) * width + x0) * 3;
        for (let x = 0; x < cw; x++, dst += 3) {
          const s = (src + Math.floor(x / scale)) * 3;
          pixels[dst] = toByte(clip.data[s] ?? 0);
          pixels[dst + 1] = toByte(clip.data[s + 1] ?? 0);
          pixels[dst + 2] = toByte(clip.data[s + 2] ?? 0);
        }
      }
    });
  });
  const rows = clips.map((c) => c.name);
  return { pixels, layout: { width, height, cellWidth: cw, cellHeight: ch, gap, frames, rows } };
}

function allClips(original: Float32Array, recons: readonly GridClip[], opts: { originalName?: string }): GridClip[] {
  return [{ name: opts.originalName ?? 'original', data: original }, ...recons];
}

/** Writes the PNG grid atomically and returns its layout. */
export async function writeReconstructionGrid(
  path: string,
  original: Float32Array,
  recons: readonly GridClip[],
  opts: ReconstructionGridOptions,
): Promise<GridLayout> {
  const clips = allClips(original, recons, opts);
  checkClips('writeReconstructionGrid', clips, opts.shape);
  const t = opts.shape[0];
  const frames = Array.isArray(opts.frames)
    ? [...opts.frames]
    : evenlySpacedFrames(t, typeof opts.frames === 'number' ? opts.frames : 8);
  const bad = frames.find((f) => !Number.isInteger(f) || f < 0 || f >= t);
  if (frames.length === 0 || bad !== undefined) {
    throw new RangeError(`writeReconstructionGrid: frames must be non-empty indices in [0, ${t}), got [${frames.join(', ')}]`);
  }
  const { pixels, layout } = compose(clips, opts, frames);
  const png = await sharp(pixels, { raw: { width: layout.width, height: layout.height, channels: 3 } })
    .png({ compressionLevel: 6 })
    .toBuffer();
  await writeFileAtomic(path, png);
  return layout;
}

/**
 * Writes an animated GIF: one column of rows (original, then each
 * reconstruction), one animation page per frame, looping forever.
 */
export async function writeReconstructionGif(
  path: string,
  original: Float32Array,
  recons: readonly GridClip[],
  opts: GifOptions,
): Promise<GridLayout> {
  const clips = allClips(original, recons, opts);
  checkClips('writeReconstructionGif', clips, opts.shape);
  const t = opts.shape[0];
  const pages = Array.from({ length: t }, (_, f) => compose(clips, opts, [f]));
  const first = pages[0];
  if (!first) throw new RangeError('writeReconstructionGif: clip has no frames');
  const { width, height } = first.layout;
  const stacked = new Uint8Array(width * height * 3 * t);
  pages.forEach((p, i) => stacked.set(p.pixels, i * width * height * 3));
  const gif = await sharp(stacked, { raw: { width, height: height * t, channels: 3, pageHeight: height } })
    // a scalar delay only sets the first page's; give one per page
    .gif({ delay: new Array<number>(t).fill(opts.delayMs ?? 125), loop: 0 })
    .toBuffer();
  await writeFileAtomic(path, gif);
  return { ...first.layout, frames: Array.from({ length: t }, (_, f) => f) };
}
