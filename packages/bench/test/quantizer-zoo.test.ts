/**
 * Every quantizer registered beyond the original five (bsq, simvq, ibq,
 * gumbel-vq, residual-fsq, residual-lfq, grouped, and any added later) trains
 * inside `zoo tokenizers --quantizers ...` at a tiny budget and gets a
 * leaderboard row with its own rate: bench needs no per-quantizer code, the
 * list comes from the registry.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDynamic } from '@zoo/core';
import { quantizerDefaults, quantizerNames, type Quantizer } from '@zoo/quantizers';
import { cliSuite, runZoo } from './cli-support.js';
import type { LeaderboardRow } from '../src/report/leaderboard-row.js';

const ORIGINAL = ['vq', 'cosine-vq', 'lfq', 'fsq', 'rvq'];
const K = 16;
const Z = 8; // the presets' latent width

describe('zoo tokenizers with the quantizer zoo (tiny budget)', () => {
  const suite = cliSuite('zoo-qzoo-');
  const names = quantizerNames().filter((n) => !ORIGINAL.includes(n));

  it('lists the new quantizers in --help', async () => {
    expect(names).toEqual(expect.arrayContaining(['bsq', 'simvq', 'ibq', 'gumbel-vq', 'residual-fsq', 'residual-lfq', 'grouped']));
    const h = await runZoo('tokenizers', '--help');
    for (const n of names) expect(h.out).toContain(n);
  });

  it('trains each and writes one leaderboard row per quantizer, rate from the quantizer', async () => {
    const out = join(suite.dir, 'run');
    const r = await runZoo(
      'tokenizers', '--tokenizers', 'vqgan', '--quantizers', names.join(','), '--codebook-size', String(K),
      '--frames', '2', '--resolution', '16', '--steps', '2', '--batch', '2', '--eval-clips', '2', '--disc-start', '100', '--log-level', 'silent', '--out', out,
    );
    expect(r.err).not.toMatch(/^error/m);
    expect(r.code).toBe(0);
    const rows = (JSON.parse(readFileSync(join(out, 'leaderboard.json'), 'utf8')) as LeaderboardRow[]).filter((x) => !x.baseline);
    expect(rows.map((x) => x.quantizer).sort()).toEqual([...names].sort());
    for (const row of rows) {
      expect(row.steps).toBe(2);
      expect(Number.isFinite(row.metrics['psnr'])).toBe(true);
      expect(row.metrics['codebookUsage']).toBeGreaterThan(0);
      // The preset's f2 grid below 32 px: 2 × 8 × 8 tokens per clip, each carrying the quantizer's declared rate.
      const q = createDynamic('quantizer', row.quantizer, quantizerDefaults(row.quantizer, { dim: Z, codebookSize: K })) as Quantizer;
      const rate = q.rate();
      expect(row.tokensPerClip).toBe(2 * 8 * 8 * rate.codebookSizes.length);
      expect(row.bitsPerPixel).toBeCloseTo((2 * 8 * 8 * rate.bitsPerToken) / (2 * 16 * 16), 9);
    }
  }, 600_000);
});
