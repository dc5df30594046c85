/**
 * `zoo tokenizers --dataset ucf101` on the two-clip fixture (real UCF-101
 * layout, real .avi files decoded by ffmpeg) at a tiny budget, and the error
 * a user gets when UCF-101 is not where they said.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../src/cli/main.js';
import { tokenizersCommandHooks } from '../src/cli/bench-tokenizers.js';
import type { LeaderboardRow } from '../src/report/leaderboard-row.js';

const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'ucf101');

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (t) => void (out += `${t}\n`), err: (t) => void (err += `${t}\n`) });
  return { code, out, err };
}

describe('zoo tokenizers --dataset ucf101', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'zoo-e2e-ucf-'));
    tokenizersCommandHooks.current = { progressStream: { write: () => true } };
  });
  afterAll(async () => {
    tokenizersCommandHooks.current = {};
    await rm(dir, { recursive: true, force: true });
  });

  it('trains and scores a tokenizer on the fixture clips', async () => {
    const r = await run(
      'tokenizers', '--dataset', 'ucf101', '--data-dir', FIXTURE, '--cache-dir', join(dir, 'cache'),
      '--frames', '2', '--resolution', '16', '--steps', '2', '--batch', '1', '--eval-clips', '2',
      '--tokenizers', 'vqgan', '--quantizers', 'fsq', '--disc-start', '100', '--out', join(dir, 'out'), '--log-level', 'silent',
    );
    expect(r.err).not.toMatch(/^error/m);
    expect(r.code).toBe(0);
    const rows = JSON.parse(readFileSync(join(dir, 'out', 'leaderboard.json'), 'utf8')) as LeaderboardRow[];
    expect(rows.map((x) => x.tokenizer)).toEqual(['mean-frame', 'vqgan+fsq']);
    expect(rows.every((x) => x.dataset === 'ucf101')).toBe(true);
    const row = rows[1]!;
    expect(row.config['evalClips']).toBe(2);
    expect(Number.isFinite(row.metrics['psnr'])).toBe(true);
    expect(row.metrics['perplexity']).toBeGreaterThanOrEqual(1);
  }, 600_000);

  it('says where it looked and how to get UCF-101 when it is missing', async () => {
    const missing = join(dir, 'no-such-ucf');
    const r = await run('tokenizers', '--dataset', 'ucf101', '--data-dir', missing, '--out', join(dir, 'x'), '--log-level', 'silent');
    expect(r.code).toBe(1);
    expect(r.err).toContain(missing);
    expect(r.err).toMatch(/UCF101\.rar/);
    expect(r.err).toMatch(/ucfTrainTestlist/);
  });
});
