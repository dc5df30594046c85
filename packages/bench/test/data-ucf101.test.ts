import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { HostTensor, Rng, create, createLogger, logger, setLogger } from '@zoo/core';
import {
  DatasetError,
  Ucf101Dataset,
  benchDataDecode,
  clipIndices,
  findFfmpeg,
  readSplit,
  ucf101Schema,
  type Ucf101Config,
} from '../src/data/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const ROOT = join(here, 'fixtures', 'ucf101');
const CLIPS = ['ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01.avi', 'Basketball/v_Basketball_g01_c01.avi'];

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'zoo-ucf-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const config = (over: Partial<Ucf101Config>): Ucf101Config =>
  ucf101Schema.parse({ root: ROOT, cacheDir: join(tmp, 'cache'), concurrency: 2, ...over });

async function collect(ds: Ucf101Dataset, epoch = 0): Promise<HostTensor<'float32'>[]> {
  const out: HostTensor<'float32'>[] = [];
  for await (const c of ds.clips({ epoch })) out.push(c);
  return out;
}

/** Exact equality of two clips' data (jest's toEqual is slow on large typed arrays). */
const sameData = (a: HostTensor, b: HostTensor): boolean =>
  a.size === b.size && Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength).equals(Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength));

function range(t: HostTensor): [number, number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  let sum = 0;
  for (const v of t.data) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
    sum += v;
  }
  return [lo, hi, sum / t.size];
}

describe('clip sampling', () => {
  it('eval takes the centered window, train a seeded random one, short videos repeat the last frame', () => {
    const spec = { frames: 17, stride: 1 };
    expect(clipIndices(164, spec, 'eval').indices[0]).toBe(73); // floor((164 - 17) / 2)
    expect(clipIndices(141, { frames: 17, stride: 2 }, 'eval').indices.slice(0, 3)).toEqual([54, 56, 58]);
    const starts = new Set(Array.from({ length: 20 }, (_, s) => clipIndices(164, spec, 'train', new Rng(s)).indices[0]!));
    expect(starts.size).toBeGreaterThan(5);
    for (const s of starts) expect(s + 16).toBeLessThan(164);
    expect(clipIndices(5, { frames: 8, stride: 1 }, 'eval')).toEqual({ indices: [0, 1, 2, 3, 4, 4, 4, 4], short: true });
  });
});

describe('ucf101 dataset', () => {
  it('parses the official CRLF split files', () => {
    const test1 = readSplit(join(ROOT, 'ucfTrainTestlist'), 1, 'test');
    const train1 = readSplit(join(ROOT, 'ucfTrainTestlist'), 1, 'train');
    expect(test1).toHaveLength(3783);
    expect(train1).toHaveLength(9537);
    expect(test1[0]).toEqual({ relPath: CLIPS[0], label: 1 });
    expect(test1.every((e) => !/\s/.test(e.relPath))).toBe(true);
    expect(train1.find((e) => e.relPath.startsWith('Basketball/'))?.label).toBe(8);
  });

  it('loads 17x64x64 clips in [0, 1] from both AVIs, counts the 13,318 absent entries, then hits the cache', async () => {
    const ds = create('dataset', 'ucf101', config({ subset: 'all' }));
    expect(ds.length).toBe(2);
    expect(ds.files.map((f) => f.slice(f.indexOf('UCF-101/') + 8)).sort()).toEqual(CLIPS);
    expect(ds.stats()).toMatchObject({ listed: 13320, missing: 13318, corrupt: 0, used: 0 });
    expect(ds.summary()).toContain('2 of 13320 listed videos present, 13318 missing');
    const first = await collect(ds);
    expect(first).toHaveLength(2);
    for (const clip of first) {
      expect(clip.shape).toEqual([17, 64, 64, 3]);
      const [lo, hi, mean] = range(clip);
      expect(lo).toBeGreaterThanOrEqual(0);
      expect(hi).toBeLessThanOrEqual(1);
      expect(hi - lo).toBeGreaterThan(0.3); // real image content, not a blank frame
      expect(mean).toBeGreaterThan(0.05);
    }
    expect(range(first[0]!)[2]).not.toBeCloseTo(range(first[1]!)[2], 3);
    expect(ds.stats()).toMatchObject({ cacheHits: 0, cacheMisses: 2, used: 2 });

    const again = new Ucf101Dataset(config({ subset: 'all' }));
    const second = await collect(again);
    expect(again.stats()).toMatchObject({ cacheHits: 2, cacheMisses: 0 });
    second.forEach((c, i) => expect(sameData(c, first[i]!)).toBe(true));
  });

  it('128x128 clips with stride 2; the test subset of split 1 lists 3,783 entries', async () => {
    const ds = new Ucf101Dataset(config({ resolution: 128, frames: 5, stride: 2, cache: false }));
    expect(ds.stats()).toMatchObject({ listed: 3783, missing: 3781 });
    const clips = await collect(ds);
    expect(clips.map((c) => c.shape)).toEqual([
      [5, 128, 128, 3],
      [5, 128, 128, 3],
    ]);
  });

  it('train sampling is deterministic per seed and epoch and differs across epochs', async () => {
    const cfg = config({ sampling: 'train', frames: 4, resolution: 16, seed: 3 });
    const a = await collect(new Ucf101Dataset(cfg), 0);
    const b = await collect(new Ucf101Dataset(cfg), 0);
    a.forEach((c, i) => expect(sameData(c, b[i]!)).toBe(true));
    const epochs = await Promise.all([1, 2, 3].map((e) => collect(new Ucf101Dataset(cfg), e)));
    const differs = epochs.some((clips) => clips.some((c, i) => c.data.some((v, k) => v !== a[i]!.data[k])));
    expect(differs).toBe(true);
    const batches: number[][] = [];
    for await (const batch of new Ucf101Dataset(cfg).batches(2)) batches.push(batch.shape);
    expect(batches).toEqual([[2, 4, 16, 16, 3]]);
  });

  it('skips a truncated video with a warning naming it and counts it as corrupt', async () => {
    const root = join(tmp, 'truncated');
    cpSync(join(ROOT, 'ucfTrainTestlist'), join(root, 'ucfTrainTestlist'), { recursive: true });
    cpSync(join(ROOT, 'UCF-101', 'ApplyEyeMakeup'), join(root, 'UCF-101', 'ApplyEyeMakeup'), { recursive: true });
    const bad = join(root, 'UCF-101', CLIPS[1]!);
    mkdirSync(dirname(bad), { recursive: true });
    const full = readFileSync(join(ROOT, 'UCF-101', CLIPS[1]!));
    writeFileSync(bad, full.subarray(0, Math.floor(full.length * 0.35)));
    const warnings: string[] = [];
    const ds = new Ucf101Dataset(config({ root, cache: false }), (msg) => warnings.push(msg));
    const clips = await collect(ds);
    expect(clips).toHaveLength(1);
    expect(ds.stats()).toMatchObject({ corrupt: 1, corruptFiles: [bad], missing: 3781 });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(bad);
    // A later epoch skips it without decoding or warning again.
    expect(await collect(ds, 1)).toHaveLength(1);
    expect(warnings).toHaveLength(1);
    expect(ds.stats().corrupt).toBe(1);
  });

  it('warns about a corrupt file once per process, however many datasets (splits, tokenizers) read it', async () => {
    const root = join(tmp, 'truncated-once');
    cpSync(join(ROOT, 'ucfTrainTestlist'), join(root, 'ucfTrainTestlist'), { recursive: true });
    const bad = join(root, 'UCF-101', CLIPS[0]!);
    mkdirSync(dirname(bad), { recursive: true });
    writeFileSync(bad, readFileSync(join(ROOT, 'UCF-101', CLIPS[0]!)).subarray(0, 20_000));
    const lines: string[] = [];
    const previous = logger();
    setLogger(createLogger({ level: 'warn', pretty: false, stream: new Writable({ write: (c, _e, done) => void (lines.push(String(c)), done()) }) }));
    try {
      for (const subset of ['test', 'all'] as const) {
        const ds = new Ucf101Dataset(config({ root, subset, cache: false }));
        await collect(ds);
        expect(ds.stats().corrupt).toBe(1);
      }
    } finally {
      setLogger(previous);
    }
    expect(lines.filter((l) => l.includes(bad))).toHaveLength(1);
  });

  it('an unwritable cache directory costs speed, not the run', async () => {
    const notADir = join(tmp, 'cache-is-a-file');
    writeFileSync(notADir, 'x');
    const ds = new Ucf101Dataset(config({ cacheDir: notADir, frames: 2, resolution: 16 }));
    expect((await collect(ds)).map((c) => c.shape)).toEqual([
      [2, 16, 16, 3],
      [2, 16, 16, 3],
    ]);
  });

  it('explains where it looked and how to obtain UCF-101 when the root is wrong', () => {
    const nowhere = join(tmp, 'does-not-exist');
    expect(() => new Ucf101Dataset(config({ root: nowhere }))).toThrow(DatasetError);
    expect(() => new Ucf101Dataset(config({ root: nowhere }))).toThrow(new RegExp(`${nowhere}.*does not exist.*UCF101\\.rar`, 's'));
    const empty = join(tmp, 'empty');
    mkdirSync(empty, { recursive: true });
    expect(() => new Ucf101Dataset(config({ root: empty }))).toThrow(/no UCF-101 layout.*ucfTrainTestlist/s);
    // The UCF-101 folder itself is accepted when the lists sit next to it.
    expect(new Ucf101Dataset(config({ root: join(ROOT, 'UCF-101') })).length).toBe(2);
    expect(() => create('dataset', 'ucf101', { root: ROOT, split: 4 as 1 })).toThrow(/split/);
  });

  it('findFfmpeg reports a working binary; benchDataDecode measures 17x64 and 17x128 clips/s', async () => {
    const ff = findFfmpeg();
    expect(ff.version).toMatch(/ffmpeg version/);
    const rows = await benchDataDecode({ root: ROOT, concurrency: 2 });
    expect(rows.map((r) => [r.frames, r.resolution, r.clips, r.corrupt])).toEqual([
      [17, 64, 2, 0],
      [17, 128, 2, 0],
    ]);
    for (const r of rows) expect(r.clipsPerSecond).toBeGreaterThan(0);
  });
});
