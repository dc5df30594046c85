/**
 * Every quantizer registered beyond the original five (bsq, simvq, ibq,
 * gumbel-vq, residual-fsq, residual-lfq, grouped, latent-quantization,
 * random-projection, and any added later) trains inside
 * `zoo tokenizers --quantizers ...` at a tiny budget and gets a leaderboard
 * row with its own rate: bench needs no per-quantizer code, the list comes
 * from the registry.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDynamic, createEngine } from '@zoo/core';
import { GumbelVQ, quantizerDefaults, quantizerNames, type Quantizer } from '@zoo/quantizers';
import { SyntheticDataset, syntheticSchema } from '../src/data/synthetic.js';
import { presetSpec } from '../src/tokenizer/presets.js';
import { Tokenizer } from '../src/tokenizer/tokenizer.js';
import { trainConfigSchema } from '../src/train/config.js';
import { train } from '../src/train/trainer.js';
import { cliSuite, runZoo } from './cli-support.js';
import type { LeaderboardRow } from '../src/report/leaderboard-row.js';

const ORIGINAL = ['vq', 'cosine-vq', 'lfq', 'fsq', 'rvq'];
const K = 16;
const Z = 8; // the presets' latent width

describe('zoo tokenizers with the quantizer zoo (tiny budget)', () => {
  const suite = cliSuite('zoo-qzoo-');
  const names = quantizerNames().filter((n) => !ORIGINAL.includes(n));

  it('lists the new quantizers in --help', async () => {
    expect(names).toEqual(expect.arrayContaining(['bsq', 'simvq', 'ibq', 'gumbel-vq', 'residual-fsq', 'residual-lfq', 'grouped', 'latent-quantization', 'random-projection']));
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

  it('the trainer calls beforeStep every step: a Gumbel temperature schedule is followed', async () => {
    const base = presetSpec('vqgan', { frames: 2, resolution: 8, codebookSize: K, quantizer: 'gumbel-vq' });
    const schedule = { warmUpSteps: 1, start: 0.5, max: 1, min: 0.1, maxDecaySteps: 5 };
    const spec = {
      ...base,
      encoder: { ...base.encoder, config: { ...base.encoder.config, ch: 4, normGroups: 2 } },
      quantizer: { name: 'gumbel-vq', config: { ...base.quantizer.config, temperatureSchedule: schedule } },
      losses: { ...base.losses, discStart: 100, perceptualWeight: 0 },
    };
    const tok = new Tokenizer(spec);
    const q = tok.quantizer as GumbelVQ;
    const seen: number[] = [];
    const engine = await createEngine({ engine: 'onnx' });
    try {
      await train({
        engine,
        tokenizer: tok,
        config: trainConfigSchema.parse({ steps: 3, batch: 2, lr: 1e-3, checkpointEvery: 0, seed: 2 }),
        data: new SyntheticDataset(syntheticSchema.parse({ frames: 2, resolution: 8, sampling: 'train', length: 4, seed: 1 })),
        onStep: () => void seen.push(q.temperatureVar!.value.data[0]!),
      });
    } finally {
      await engine.dispose();
    }
    expect(seen).toEqual([0, 1, 2].map((s) => Math.fround(q.temperatureAt(s))));
    expect(new Set(seen).size).toBe(3);
  }, 120_000);
});
