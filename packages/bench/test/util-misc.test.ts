import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lookupTargetVerdict } from '../src/cli/bench-models.js';
import { formatDuration } from '../src/util/duration.js';
import { gitRevision, UNKNOWN_REVISION } from '../src/util/git.js';

describe('formatDuration', () => {
  it.each([
    [0, '0ms'],
    [250.4, '250ms'],
    [999.6, '1.0s'],
    [12_340, '12.3s'],
    [59_960, '1m00s'],
    [258_000, '4m18s'],
    [3_723_000, '1h02m03s'],
    [90_061_000, '1d01h01m'],
    [-1, '?'],
    [Number.POSITIVE_INFINITY, '?'],
  ])('%p ms -> %p', (ms, s) => {
    expect(formatDuration(ms)).toBe(s);
  });
});

describe('gitRevision', () => {
  it('returns the HEAD commit of a repository', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'zoo-git-'));
    try {
      const git = (...args: string[]): string =>
        execFileSync('git', args, { cwd: dir, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } }).trim();
      git('init', '-q');
      git('commit', '-q', '--allow-empty', '-m', 'x');
      const head = git('rev-parse', 'HEAD');
      expect(await gitRevision({ cwd: dir })).toBe(head);
      expect(await gitRevision({ cwd: dir, markDirty: true })).toBe(head);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("returns 'unknown' outside a repository", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'zoo-nogit-'));
    try {
      expect(await gitRevision({ cwd: dir })).toBe(UNKNOWN_REVISION);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('lookupTargetVerdict', () => {
  const flop = 2 * 16384 * 64 * 16384; // 34.4 GFLOP
  const lookup = (seconds: number) => ({ seconds, gflops: flop / seconds / 1e9 });
  it('says met at or under 0.3 s and what the run\'s matmul peak alone would take', () => {
    const v = lookupTargetVerdict({ vqLookup: lookup(0.28), peak: { gflops: 172 } });
    expect(v).toMatch(/: met at 0\.280 s/);
    expect(v).toMatch(/34\.4 GFLOP at this run's matmul peak alone take 0\.200 s/);
  });
  it('says NOT met over 0.3 s', () => {
    const v = lookupTargetVerdict({ vqLookup: lookup(0.328), peak: { gflops: 106 } });
    expect(v).toMatch(/NOT met at 0\.328 s/);
    expect(v).toMatch(/take 0\.324 s/);
  });
});
