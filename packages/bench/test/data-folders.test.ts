import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { HostTensor, create } from '@zoo/core';
import { DatasetError, ImageFolderDataset, VideoFolderDataset, imageFolderSchema, resolveFfmpeg, videoFolderSchema } from '../src/data/index.js';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'zoo-folders-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function collect(ds: { clips(): AsyncIterable<HostTensor<'float32'>> }): Promise<HostTensor<'float32'>[]> {
  const out: HostTensor<'float32'>[] = [];
  for await (const c of ds.clips()) out.push(c);
  return out;
}

/** A short ffmpeg test-pattern video (lavfi testsrc), in the given size, rate and codec. */
function makeVideo(path: string, size: string, rate: string, frames: number, codec: string[]): void {
  const r = spawnSync(
    resolveFfmpeg().path,
    ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc=size=${size}:rate=${rate}`, '-frames:v', String(frames), ...codec, path],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`ffmpeg could not make ${path}: ${r.stderr}`);
}

describe('videos dataset', () => {
  it('reads avi (400x226 at 29.97 fps, like the odd UCF-101 files), mp4 and webm; short videos are skipped and counted, or padded on request', async () => {
    const dir = join(tmp, 'videos');
    mkdirSync(join(dir, 'nested'), { recursive: true });
    makeVideo(join(dir, 'a_wide.avi'), '400x226', '30000/1001', 12, ['-c:v', 'mpeg4']);
    makeVideo(join(dir, 'nested', 'b.mp4'), '160x120', '25', 10, ['-c:v', 'libx264', '-pix_fmt', 'yuv420p']);
    makeVideo(join(dir, 'c.webm'), '96x72', '25', 6, ['-c:v', 'libvpx']);
    writeFileSync(join(dir, 'notes.txt'), 'not a video');
    const ds = create('dataset', 'videos', { root: dir, frames: 8, resolution: 32, cache: false, concurrency: 2 });
    expect(ds).toBeInstanceOf(VideoFolderDataset);
    expect(ds.length).toBe(3);
    // c.webm has 6 frames < 8: skipped by default, and counted.
    const kept = await collect(ds);
    expect(kept.map((c) => c.shape)).toEqual([
      [8, 32, 32, 3],
      [8, 32, 32, 3],
    ]);
    expect(ds.stats()).toMatchObject({ listed: 3, used: 2, missing: 0, corrupt: 0, short: 1 });
    expect(ds.summary()).toContain('1 shorter than a clip (skipped)');

    const padded = create('dataset', 'videos', { root: dir, frames: 8, resolution: 32, cache: false, concurrency: 2, padShort: true });
    const clips = await collect(padded);
    expect(clips).toHaveLength(3);
    for (const c of clips) expect(c.data.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(padded.stats()).toMatchObject({ listed: 3, used: 3, short: 1 });
    const frame = 32 * 32 * 3;
    const webm = clips[padded.files.findIndex((f) => f.endsWith('c.webm'))]!.data;
    expect(webm.subarray(6 * frame, 7 * frame)).toEqual(webm.subarray(5 * frame, 6 * frame));
    // testsrc moves: the centered 8 of 12 frames are not all the same.
    const avi = clips[padded.files.findIndex((f) => f.endsWith('a_wide.avi'))]!.data;
    expect(avi.subarray(0, frame)).not.toEqual(avi.subarray(7 * frame, 8 * frame));
  });

  it('holds out files by name hash: disjoint, deterministic parts that cover the folder', () => {
    const dir = join(tmp, 'split');
    mkdirSync(dir, { recursive: true });
    for (let i = 0; i < 9; i++) writeFileSync(join(dir, `v${i}.mp4`), 'x');
    const part = (p: 'train' | 'eval'): string[] => (create('dataset', 'videos', { root: dir, heldOut: 3, part: p, cache: false }) as VideoFolderDataset).files.map((f) => f.slice(dir.length + 1));
    const train = part('train');
    const ev = part('eval');
    expect(ev).toHaveLength(3);
    expect(train).toHaveLength(6);
    expect(train.filter((f) => ev.includes(f))).toEqual([]);
    expect([...train, ...ev].sort()).toEqual(Array.from({ length: 9 }, (_, i) => `v${i}.mp4`));
    expect(part('eval')).toEqual(ev);
    expect(() => create('dataset', 'videos', { root: dir, heldOut: 9, part: 'train', cache: false })).toThrow(/need at least one file on each side/);
  });

  it('fails clearly for a missing folder or one without videos', () => {
    expect(() => new VideoFolderDataset(videoFolderSchema.parse({ root: join(tmp, 'nope') }))).toThrow(/does not exist/);
    const empty = join(tmp, 'no-videos');
    mkdirSync(empty, { recursive: true });
    expect(() => new VideoFolderDataset(videoFolderSchema.parse({ root: empty }))).toThrow(DatasetError);
  });
});

describe('images dataset', () => {
  it('decodes PNG and JPEG (RGBA, grayscale, non-square) to [1, R, R, 3] and skips a corrupt file', async () => {
    const dir = join(tmp, 'images');
    mkdirSync(dir, { recursive: true });
    const w = 48;
    const h = 32;
    const rgba = Buffer.alloc(w * h * 4);
    for (let i = 0; i < w * h; i++) rgba.set([(i % w) * 5, Math.floor(i / w) * 7, 200, 128], i * 4);
    await sharp(rgba, { raw: { width: w, height: h, channels: 4 } }).png().toFile(join(dir, 'a.png'));
    await sharp(Buffer.alloc(20 * 20, 90), { raw: { width: 20, height: 20, channels: 1 } }).jpeg().toFile(join(dir, 'b_gray.jpg'));
    writeFileSync(join(dir, 'c_broken.png'), Buffer.from('definitely not a png'));
    const warnings: string[] = [];
    const ds = new ImageFolderDataset(imageFolderSchema.parse({ root: dir, resolution: 16 }), (m) => warnings.push(m));
    expect(ds.length).toBe(3);
    const clips = await collect(ds);
    expect(clips.map((c) => c.shape)).toEqual([
      [1, 16, 16, 3],
      [1, 16, 16, 3],
    ]);
    // The blue channel of a.png is constant 200/255; the gray JPEG is ~90/255 everywhere.
    const a = clips[0]!.data;
    for (let i = 2; i < a.length; i += 3) expect(a[i]).toBeCloseTo(200 / 255, 2);
    expect(Math.abs(clips[1]!.data[0]! - 90 / 255)).toBeLessThan(0.02);
    expect(ds.stats()).toMatchObject({ corrupt: 1 });
    expect(warnings[0]).toContain('c_broken.png');
    expect(create('dataset', 'images', { root: dir }).clipShape).toEqual([1, 64, 64, 3]);
  });
});
