import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
