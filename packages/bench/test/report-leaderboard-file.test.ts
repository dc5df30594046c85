import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  appendLeaderboardRow,
  LeaderboardMergeError,
  mergeLeaderboards,
  readLeaderboard,
} from '../src/report/leaderboard-file.js';
import { LeaderboardRowError, newRunId, parseLeaderboardRow, rowMetrics } from '../src/report/leaderboard-row.js';
import { CorruptFileError } from '../src/util/errors.js';
import { makeRow } from './report-support.js';
import { makeTempDir, removeTempDirs } from '@zoo/core/testing';

describe('leaderboard.json', () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir('zoo-lb-');
  });
  afterEach(removeTempDirs);

  it('appends rows, keeping the old ones, and reads them back validated', async () => {
    const p = join(dir, 'leaderboard.json');
    const a = makeRow({ tokenizer: 'a' });
    const b = makeRow({ tokenizer: 'b', metrics: { psnr: 30, fvd: null } });
    await appendLeaderboardRow(p, a);
    const all = await appendLeaderboardRow(p, b);
    expect(all.map((r) => r.tokenizer)).toEqual(['a', 'b']);
    expect(await readLeaderboard(p)).toEqual([a, b]);
  });

  it('refuses an invalid row, naming the bad field, and writes nothing', async () => {
    const p = join(dir, 'leaderboard.json');
    const bad = { ...makeRow({ tokenizer: 'x' }), codebookSize: 1.5 };
    await expect(appendLeaderboardRow(p, bad)).rejects.toThrow(/codebookSize/);
    await expect(readFile(p)).rejects.toThrow(/ENOENT/);
  });

  it('refuses a file with a row that is not a leaderboard row and keeps it', async () => {
    const p = join(dir, 'leaderboard.json');
    const content = JSON.stringify([{ tokenizer: 'no-other-fields' }]);
    await writeFile(p, content);
    await expect(appendLeaderboardRow(p, makeRow({ tokenizer: 'y' }))).rejects.toThrow(CorruptFileError);
    expect(await readFile(p, 'utf8')).toBe(content);
  });

  it('keeps fields written by a newer version', () => {
    const row = { ...makeRow({ tokenizer: 'z' }), futureField: { x: 1 } };
    expect(parseLeaderboardRow(row)).toHaveProperty('futureField', { x: 1 });
    expect(() => parseLeaderboardRow({ ...row, schemaVersion: 2 }, 3)).toThrow(LeaderboardRowError);
  });

  it('turns metric results into row metrics, keeping why one is unavailable', () => {
    const m = rowMetrics({ psnr: { available: true, value: 21 }, fvd: { available: false, reason: 'no I3D weights' } });
    expect(m).toEqual({ metrics: { psnr: 21, fvd: null }, metricsUnavailable: { fvd: 'no I3D weights' } });
    expect(parseLeaderboardRow(makeRow({ tokenizer: 'm', ...m })).metricsUnavailable).toEqual({ fvd: 'no I3D weights' });
  });

  it('makes time-ordered, unique run ids', () => {
    const id = newRunId(new Date(Date.UTC(2026, 10, 22, 1, 2, 3, 456)));
    expect(id).toMatch(/^20261122T010203Z-[0-9a-f]{8}$/);
    expect(newRunId()).not.toBe(newRunId());
  });
});

describe('mergeLeaderboards', () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir('zoo-merge-');
  });
  afterEach(removeTempDirs);

  it('combines shards (files or --out directories) and keeps a duplicated run once', async () => {
    const a = makeRow({ tokenizer: 'a' });
    const b = makeRow({ tokenizer: 'b' });
    const c = makeRow({ tokenizer: 'c' });
    await mkdir(join(dir, 'shard1'));
    await appendLeaderboardRow(join(dir, 'shard1', 'leaderboard.json'), a);
    await appendLeaderboardRow(join(dir, 'shard1', 'leaderboard.json'), b);
    // the same run b, written with a different key order, plus c
    const bReordered = Object.fromEntries(Object.entries(b).reverse());
    await writeFile(join(dir, 'two.json'), JSON.stringify([bReordered, c]));
    const merged = await mergeLeaderboards([join(dir, 'shard1'), join(dir, 'two.json')]);
    expect(merged.map((r) => r.tokenizer)).toEqual(['a', 'b', 'c']);
  });

  it('refuses the same run id with different contents, naming both files', async () => {
    const a = makeRow({ tokenizer: 'a' });
    await writeFile(join(dir, 'x.json'), JSON.stringify([a]));
    await writeFile(join(dir, 'y.json'), JSON.stringify([{ ...a, metrics: { psnr: 99 } }]));
    const err = await mergeLeaderboards([join(dir, 'x.json'), join(dir, 'y.json')]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LeaderboardMergeError);
    expect((err as Error).message).toContain(a.runId);
    expect((err as Error).message).toContain('x.json');
    expect((err as Error).message).toContain('y.json');
  });

  it('refuses a missing input', async () => {
    await expect(mergeLeaderboards([join(dir, 'nope.json')])).rejects.toThrow(/no such file/);
    await mkdir(join(dir, 'empty-out'));
    await expect(mergeLeaderboards([join(dir, 'empty-out')])).rejects.toThrow(/leaderboard.json does not exist/);
  });
});
