/**
 * `zoo step`: our train step and the PyTorch peer's are the same model — same
 * parameter count and the same first loss from the same weights and batch —
 * and the report says which targets a run met. The peer needs python3-torch
 * (scripts/setup.sh installs it); without it the rows say "unavailable".
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { timingStats } from '@zoo/core';
import { formatStepRows } from '../src/cli/bench-step.js';
import { findTorchPython, type StepRow } from '../src/perf/step-bench.js';
import { cliSuite, runZoo } from './cli-support.js';

const tiny = ['--resolution', '16', '--frames', '3', '--batch', '1', '--warmup', '1', '--rounds', '1', '--steps-per-round', '1', '--peer-blas-env', 'inherit', '--log-level', 'silent'];
const torch = findTorchPython(undefined, 'inherit');

describe('zoo step', () => {
  const suite = cliSuite('zoo-step-');

  (('python' in torch) ? it : it.skip)('times the three presets against PyTorch on the same weights: equal parameter counts, first losses within 1e-5', async () => {
    const r = await runZoo('step', '--models', 'vqgan,magvit,magvit2', ...tiny, '--json');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const { rows } = JSON.parse(r.out) as { rows: StepRow[] };
    expect(rows.map((x) => x.model)).toEqual(['vqgan', 'magvit', 'magvit2']);
    for (const row of rows) {
      expect('stats' in row.torch).toBe(true);
      if (!('stats' in row.torch)) continue;
      expect(row.torch.params).toBe(row.ours.params);
      // Float32 on both sides from identical state: observed ~1e-7; a wrong layer moves it by far more than 1e-5.
      expect(row.lossRelDiff).toBeLessThan(1e-5);
      expect(row.ours.stats.n).toBe(1);
      expect(row.torch.stats.n).toBe(1);
      // Peak RSS of each side's own process; the tiny model may add nothing over the worker's loaded start.
      expect(row.ours.peakRssMiB).toBeGreaterThanOrEqual(row.ours.baseRssMiB);
      expect(row.torch.peakRssMiB).toBeGreaterThanOrEqual(row.torch.baseRssMiB);
    }
  }, 600_000);

  it('says why there is no PyTorch row: --peer none, or a model the peer does not build', async () => {
    const none = await runZoo('step', '--models', 'vqgan', ...tiny, '--peer', 'none');
    expect(none.code).toBe(0);
    expect(none.out).toMatch(/vqgan on onnx-cpu: PyTorch: unavailable \(skipped \(--peer none\)\)/);
    const cfg = join(suite.dir, 'fsq.json');
    writeFileSync(cfg, JSON.stringify({ name: 'ae-fsq', encoder: { name: 'conv2d', config: { ch: 8, chMult: [1, 2], numResBlocks: 1, zChannels: 3, attention: false, normGroups: 4 } }, quantizer: { name: 'fsq', config: { levels: [4, 4, 4] } } }));
    const fsq = await runZoo('step', '--models', '', '--config', cfg, ...tiny);
    expect(fsq.code).toBe(0);
    if ('python' in torch) expect(fsq.out).toMatch(/ae-fsq on onnx-cpu: PyTorch peer: unavailable \(quantizer 'fsq'\)/);
    else expect(fsq.out).toMatch(/ae-fsq on onnx-cpu: PyTorch: unavailable/);
  }, 300_000);

  it('refuses bad options with the flag and what is valid', async () => {
    const r = await runZoo('step', '--models', 'vqgan,nope', ...tiny);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/--models: unknown nope\. Valid: .*vqgan/);
    const z = await runZoo('step', ...tiny.map((a, i) => (tiny[i - 1] === '--rounds' ? '0' : a)));
    expect(z.code).toBe(1);
    expect(z.err).toMatch(/--rounds: must be an integer >= 1, got 0/);
  });
});

describe('formatStepRows', () => {
  const side = (median: number, best: number, rss: number, loss = 0.5) => ({
    stats: { ...timingStats([median, median, best]), medianMs: median, bestMs: best },
    firstLoss: loss,
    params: 10,
    peakRssMiB: rss,
    baseRssMiB: 100,
  });

  it('gives each target a verdict from the ratios, and no ratios for a peer whose first loss differs', () => {
    const met: StepRow = { model: 'm', engine: 'onnx-cpu', ours: side(60, 90, 300), torch: side(100, 95, 250), lossRelDiff: 0 };
    const text = formatStepRows([met], { resolution: 64, frames: 17, batch: 2 });
    expect(text).toMatch(/median <= 0.7x met \(0.60x\), best <= 1x met \(0.95x\), peak RSS <= 1.5x met \(1.20x\)/);
    const slow: StepRow = { ...met, ours: side(80, 120, 400) };
    expect(formatStepRows([slow], { resolution: 64, frames: 17, batch: 2 })).toMatch(/median <= 0.7x NOT met \(0.80x\), best <= 1x NOT met \(1.26x\), peak RSS <= 1.5x NOT met \(1.60x\)/);
    const other: StepRow = { ...met, lossRelDiff: 0.02 };
    expect(formatStepRows([other], { resolution: 64, frames: 17, batch: 2 })).toMatch(/first loss differs by 2\.0% .*not the same model, ratios not comparable/);
  });
});
