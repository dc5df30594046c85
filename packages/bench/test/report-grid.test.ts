import { ShapeError } from '@zoo/core';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import {
  evenlySpacedFrames,
  writeReconstructionGif,
  writeReconstructionGrid,
} from '../src/report/reconstruction-grid.js';

const T = 3;
const H = 4;
const W = 5;

/** A clip whose pixel (t, y, x) has RGB = (t / T, y / H, x / W) scaled by `gain`. */
function clip(gain: number): Float32Array {
  const a = new Float32Array(T * H * W * 3);
  for (let t = 0; t < T; t++)
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) {
        const i = ((t * H + y) * W + x) * 3;
        a[i] = (t / T) * gain;
        a[i + 1] = (y / H) * gain;
        a[i + 2] = (x / W) * gain;
      }
  return a;
}

describe('writeReconstructionGrid', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'zoo-grid-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a PNG of rows per clip and columns per frame, at the size and with the pixels expected', async () => {
    const p = join(dir, 'grid.png');
    const original = clip(1);
    const recons = [
      { name: 'a', data: clip(0.5) },
      { name: 'b', data: clip(2) }, // > 1 everywhere but the zero rows/cols: clamps to 255
    ];
    const scale = 2;
    const gap = 1;
    const layout = await writeReconstructionGrid(p, original, recons, { shape: [T, H, W], scale, gap, background: [10, 20, 30] });
    const cw = W * scale;
    const ch = H * scale;
    expect(layout).toEqual({
      width: T * cw + (T - 1) * gap,
      height: 3 * ch + 2 * gap,
      cellWidth: cw,
      cellHeight: ch,
      gap,
      frames: [0, 1, 2],
      rows: ['original', 'a', 'b'],
    });
    const { data, info } = await sharp(p).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height, info.channels]).toEqual([layout.width, layout.height, 3]);
    const px = (x: number, y: number): number[] => [...data.subarray((y * info.width + x) * 3, (y * info.width + x) * 3 + 3)];
    const clips = [original, recons[0]!.data, recons[1]!.data];
    for (let row = 0; row < 3; row++) {
      for (let t = 0; t < T; t++) {
        for (const [y, x] of [[0, 0], [3, 4], [2, 1]] as const) {
          const i = ((t * H + y) * W + x) * 3;
          const want = [0, 1, 2].map((c) => Math.round(Math.min(1, Math.max(0, clips[row]![i + c]!)) * 255));
          // every upscaled pixel of the source pixel has its colour
          for (const [dy, dx] of [[0, 0], [1, 1]]) {
            expect(px(t * (cw + gap) + x * scale + dx!, row * (ch + gap) + y * scale + dy!)).toEqual(want);
          }
        }
      }
    }
    // the gaps are background
    expect(px(cw, 0)).toEqual([10, 20, 30]);
    expect(px(0, ch)).toEqual([10, 20, 30]);
    expect(await readdir(dir)).toEqual(['grid.png']);
  });

  it('shows chosen frames and maps NaN to black', async () => {
    const original = clip(1);
    original.fill(Number.NaN, 0, H * W * 3);
    const layout = await writeReconstructionGrid(join(dir, 'nan.png'), original, [], { shape: [T, H, W], frames: [2, 0], scale: 1, gap: 0 });
    expect(layout.frames).toEqual([2, 0]);
    const { data, info } = await sharp(join(dir, 'nan.png')).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([2 * W, H]);
    // column 1 is frame 0, all NaN
    expect([...data.subarray((W + 3) * 3, (W + 3) * 3 + 3)]).toEqual([0, 0, 0]);
    // column 0 is frame 2: red = 2/3
    expect(data[0]).toBe(Math.round((2 / 3) * 255));
  });

  it('upscales small clips to cells at least 64 px tall by default', async () => {
    const layout = await writeReconstructionGrid(join(dir, 'default.png'), clip(1), [], { shape: [T, H, W] });
    expect(layout.cellHeight).toBe(64);
    expect(layout.cellWidth).toBe(80);
  });

  it('throws a ShapeError naming the clip whose size is wrong', async () => {
    const bad = { name: 'lfq', data: new Float32Array(7) };
    await expect(writeReconstructionGrid(join(dir, 'x.png'), clip(1), [bad], { shape: [T, H, W] })).rejects.toThrow(ShapeError);
    await expect(writeReconstructionGrid(join(dir, 'x.png'), clip(1), [bad], { shape: [T, H, W] })).rejects.toThrow(
      /writeReconstructionGrid\(lfq\): expected shape \[3, 4, 5, 3\] = 180 values, got \[7\]/,
    );
    await expect(writeReconstructionGrid(join(dir, 'x.png'), clip(1), [], { shape: [T, H, W], frames: [3] })).rejects.toThrow(
      /frames must be non-empty indices in \[0, 3\)/,
    );
  });

  it('spreads frames evenly, first and last included', () => {
    expect(evenlySpacedFrames(16, 8)).toEqual([0, 2, 4, 6, 9, 11, 13, 15]);
    expect(evenlySpacedFrames(3, 8)).toEqual([0, 1, 2]);
    expect(evenlySpacedFrames(5, 1)).toEqual([0]);
  });
});

describe('writeReconstructionGif', () => {
  it('writes one animation page per frame, each a column of the clips', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'zoo-gif-'));
    try {
      const p = join(dir, 'clip.gif');
      const layout = await writeReconstructionGif(p, clip(1), [{ name: 'a', data: clip(0.5) }], { shape: [T, H, W], scale: 2, gap: 2, delayMs: 200 });
      expect([layout.width, layout.height]).toEqual([W * 2, 2 * H * 2 + 2]);
      const meta = await sharp(p, { animated: true }).metadata();
      expect(meta.format).toBe('gif');
      expect(meta.pages).toBe(T);
      expect(meta.pageHeight).toBe(layout.height);
      expect(meta.width).toBe(layout.width);
      expect(meta.delay).toEqual([200, 200, 200]);
      // last page, top-left pixel of the original: red = 2/3 (palette quantisation allows a little error)
      const { data } = await sharp(p, { page: 2 }).raw().toBuffer({ resolveWithObject: true });
      expect(Math.abs(data[0]! - Math.round((2 / 3) * 255))).toBeLessThanOrEqual(8);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
