/**
 * `zoo tokenizers --dataset ucf101` on the two-clip fixture (real UCF-101
 * layout, real .avi files decoded by ffmpeg) at a tiny budget, and the error
 * a user gets when UCF-101 is not where they said.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliSuite, runZoo } from './cli-support.js';
import type { LeaderboardRow } from '../src/report/leaderboard-row.js';

const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'ucf101');

const run = runZoo;

describe('zoo tokenizers --dataset ucf101', () => {
  const suite = cliSuite('zoo-e2e-ucf-');

  const argv = (out: string, ...extra: string[]): string[] => [
    'tokenizers', '--dataset', 'ucf101', '--data-dir', FIXTURE, '--cache-dir', join(suite.dir, 'cache'),
    '--frames', '2', '--resolution', '16', '--steps', '2', '--batch', '1', '--eval-clips', '2',
    '--tokenizers', 'vqgan', '--quantizers', 'fsq', '--disc-start', '100', '--prior-steps', '2', '--prior-config', '{"dim":8,"heads":2,"layers":1}', '--out', join(suite.dir, out), '--log-level', 'silent', ...extra,
  ];

  it('refuses to score on training clips: both fixture clips are split-1 test videos, none is on the train list', async () => {
    const r = await run(...argv('refused'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/TrainEvalOverlapError: no UCF-101 split-1 train-list video is present/);
    expect(r.err).toContain('--allow-eval-on-train');
    expect(existsSync(join(suite.dir, 'refused', 'leaderboard.json'))).toBe(false);
  });

  it('with --allow-eval-on-train trains and scores on the fixture clips, marks the rows and reports the data counts', async () => {
    const r = await run(...argv('out', '--allow-eval-on-train'));
    expect(r.err).not.toMatch(/^error/m);
    expect(r.code).toBe(0);
    expect(r.out).toContain('vqgan+fsq (evaluated on training clips)');
    const rows = JSON.parse(readFileSync(join(suite.dir, 'out', 'leaderboard.json'), 'utf8')) as LeaderboardRow[];
    expect(rows.map((x) => x.tokenizer)).toEqual(['mean-frame', 'vqgan+fsq']);
    expect(rows.every((x) => x.dataset === 'ucf101')).toBe(true);
    const row = rows[1]!;
    expect(row.config['evalClips']).toBe(2);
    expect(Number.isFinite(row.metrics['psnr'])).toBe(true);
    expect(row.metrics['perplexity']).toBeGreaterThanOrEqual(1);
    // Split 1's test list has 3,783 entries, two of them present; training read the same two (test list).
    expect(row.data).toMatchObject({
      evalOnTrain: true, evalClips: 2, evalClipsRequested: 2, padShort: false,
      eval: { listed: 3783, used: 2, missing: 3781, corrupt: 0, short: 0 },
      train: { listed: 3783, missing: 3781 },
    });
    const md = readFileSync(join(suite.dir, 'out', 'leaderboard.md'), 'utf8');
    expect(md).toContain('evaluated on training clips');
    expect(md).toMatch(/- eval: 3783 listed, 2 used, 3781 missing, 0 corrupt, 0 shorter than a clip/);
    const html = readFileSync(join(suite.dir, 'out', 'index.html'), 'utf8');
    expect(html).toContain('<h2>Data</h2>');
    expect(html).toContain('eval: 3783 listed, 2 used, 3781 missing');
    expect(html).toContain('evaluated on training clips');
  }, 600_000);

  it('--split picks the official split: in split 2 both fixture clips (group 1) are train-list videos, none is on its test list', async () => {
    const r = await run(...argv('split2', '--split', '2'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/no UCF-101 split-2 test-list video is present/);
    const bad = await run(...argv('split4', '--split', '4'));
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/Argument: --split, Given: 4, Choices: 1, 2, 3/);
  });

  it('says where it looked and how to get UCF-101 when it is missing', async () => {
    const missing = join(suite.dir, 'no-such-ucf');
    const r = await run('tokenizers', '--dataset', 'ucf101', '--data-dir', missing, '--out', join(suite.dir, 'x'), '--log-level', 'silent');
    expect(r.code).toBe(1);
    expect(r.err).toContain(missing);
    expect(r.err).toMatch(/UCF101\.rar/);
    expect(r.err).toMatch(/ucfTrainTestlist/);
  });
});
