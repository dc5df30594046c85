/** `zoo step` (`pnpm bench step`): one tokenizer train step, ours against PyTorch, in the same run. */
import type { Argv } from 'yargs';
import { ENGINE_CHOICES } from '@zoo/core';
import { presetNames } from '../tokenizer/presets.js';
import { loadTokenizerSpecs } from '../tokenizer/spec.js';
import { BLAS_ENVS, benchStep, findTorchPython, SAME_LOSS_RTOL, type BlasEnv, type StepRow } from '../perf/step-bench.js';
import type { StepModelOptions } from '../perf/step-model.js';
import { formatTable, type CliIo } from './io.js';

/** Issue #17's targets: ours ≤ 0.7x PyTorch's median step, ≤ 1.0x its best, ≤ 1.5x its peak memory. */
export const STEP_TARGETS = { medianRatio: 0.7, bestRatio: 1.0, memoryRatio: 1.5 } as const;

function list(value: string, valid: readonly string[] | undefined, flag: string): string[] {
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = valid ? items.filter((s) => !valid.includes(s)) : [];
  if (bad.length) throw new Error(`${flag}: unknown ${bad.join(', ')}. Valid: ${valid!.join(', ')}`);
  return items;
}

export function benchStepCommand(y: Argv, io: CliIo): Argv {
  return y.command(
    'step',
    'Time one train step (forward, backward, Adam) of tokenizer presets or a --config spec, ours against the same model in PyTorch',
    (b) =>
      b
        .option('models', { type: 'string', default: 'vqgan,magvit,magvit2', describe: `comma-separated presets, from: ${presetNames().join(', ')} ('' with --config for the config only)` })
        .option('config', { type: 'string', describe: 'a tokenizer spec JSON file (one spec or a list); timed after the presets (default: none)' })
        .option('engines', { type: 'string', default: 'onnx-cpu', describe: `comma-separated, from: ${ENGINE_CHOICES.join(', ')}` })
        .option('resolution', { type: 'number', default: 64, describe: 'frame side in pixels' })
        .option('frames', { type: 'number', default: 17, describe: 'frames per clip' })
        .option('batch', { type: 'number', default: 2, describe: 'clips per step' })
        .option('codebook-size', { type: 'number', default: 256, describe: 'codebook size K of the presets' })
        .option('seed', { type: 'number', default: 0, describe: 'seed of the weights and the batch' })
        .option('warmup', { type: 'number', default: 3, describe: 'untimed steps on each side first (the first one also gives the loss both sides must agree on)' })
        .option('rounds', { type: 'number', default: 5, describe: 'timed rounds, alternating ours and PyTorch' })
        .option('steps-per-round', { type: 'number', default: 3, describe: 'steps per side in each round (median and best are over all rounds x steps)' })
        .option('python', { type: 'string', describe: 'python with torch for the peer (default: /usr/bin/python3, then python3)' })
        .option('peer-blas-env', { choices: BLAS_ENVS, default: 'clean' as BlasEnv, describe: "'clean' drops OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE for the peer only (they slow a current OpenBLAS; a wrong result shows as a first-loss mismatch), 'inherit' keeps them" })
        .option('peer', { choices: ['torch', 'none'] as const, default: 'torch' as 'torch' | 'none', describe: "'torch': time the same model in PyTorch when a python with torch is found; 'none': ours only" })
        .option('json', { type: 'boolean', default: false, describe: 'print JSON rows instead of a table' }),
    async (args) => {
      for (const [flag, v, min] of [['--resolution', args.resolution, 8], ['--frames', args.frames, 1], ['--batch', args.batch, 1], ['--warmup', args.warmup, 1], ['--rounds', args.rounds, 1], ['--steps-per-round', args['steps-per-round'], 1]] as const) {
        if (!Number.isInteger(v) || v < min) throw new Error(`${flag}: must be an integer >= ${min}, got ${v}`);
      }
      const engines = list(args.engines, ENGINE_CHOICES, '--engines');
      const models: [string, StepModelOptions['model']][] = list(args.models, presetNames(), '--models').map((m) => [m, m]);
      if (args.config) for (const spec of loadTokenizerSpecs(args.config)) models.push([spec.name, spec]);
      if (models.length === 0) throw new Error('--models: nothing to time (give presets, or --config)');
      const found = args.peer === 'none' ? { unavailable: 'skipped (--peer none)' } : findTorchPython(args.python, args['peer-blas-env']);
      const python = 'python' in found ? found.python : null;
      const rows: StepRow[] = [];
      for (const [name, model] of models) {
        for (const engine of engines) {
          const row = await benchStep({
            model: { model, frames: args.frames, resolution: args.resolution, batch: args.batch, codebookSize: args['codebook-size'], seed: args.seed },
            modelName: name,
            engine,
            warmup: args.warmup,
            rounds: args.rounds,
            stepsPerRound: args['steps-per-round'],
            python,
            blasEnv: args['peer-blas-env'],
          });
          if ('unavailable' in row.torch && !python) row.torch = { unavailable: `PyTorch: unavailable (${'unavailable' in found ? found.unavailable : ''})` };
          rows.push(row);
        }
      }
      if (args.json) io.out(JSON.stringify({ options: { resolution: args.resolution, frames: args.frames, batch: args.batch }, rows }, null, 2));
      else io.out(formatStepRows(rows, { resolution: args.resolution, frames: args.frames, batch: args.batch }));
    },
  );
}

const ms = (v: number): string => (v >= 100 ? v.toFixed(0) : v.toFixed(1));

export function formatStepRows(rows: readonly StepRow[], o: { resolution: number; frames: number; batch: number }): string {
  const table = formatTable(
    ['model', 'engine', 'params', 'ours ms median / best', 'PyTorch ms median / best', 'median ratio', 'best ratio', 'peak RSS MiB ours / PyTorch', 'first loss ours / PyTorch'],
    rows.map((r) => {
      const t = 'stats' in r.torch ? r.torch : undefined;
      return [
        r.model,
        r.engine,
        String(r.ours.params),
        `${ms(r.ours.stats.medianMs)} / ${ms(r.ours.stats.bestMs)} (n=${r.ours.stats.n})`,
        t ? `${ms(t.stats.medianMs)} / ${ms(t.stats.bestMs)} (n=${t.stats.n})` : '—',
        t ? `${(r.ours.stats.medianMs / t.stats.medianMs).toFixed(2)}x` : '—',
        t ? `${(r.ours.stats.bestMs / t.stats.bestMs).toFixed(2)}x` : '—',
        `${r.ours.peakRssMiB.toFixed(0)} / ${t ? t.peakRssMiB.toFixed(0) : '—'}`,
        `${r.ours.firstLoss.toPrecision(6)} / ${t ? t.firstLoss.toPrecision(6) : '—'}`,
      ];
    }),
  );
  const lines = [
    `One generator train step (reconstruction + quantizer loss, no LPIPS/GAN; Adam), ${o.batch} x ${o.frames} frames at ${o.resolution} px.`,
    'Timings: median and best of all timed steps after the warm-up; rounds alternate ours and PyTorch. Ratios are ours / PyTorch.',
    '',
    table,
    '',
  ];
  for (const r of rows) {
    const head = `${r.model} on ${r.engine}:`;
    if (!('stats' in r.torch)) {
      lines.push(`${head} ${r.torch.unavailable}`);
      continue;
    }
    const same = (r.lossRelDiff ?? Infinity) <= SAME_LOSS_RTOL;
    if (!same) {
      lines.push(`${head} the PyTorch peer's first loss differs by ${(100 * r.lossRelDiff!).toPrecision(2)}% (> ${100 * SAME_LOSS_RTOL}%): not the same model, ratios not comparable`);
      continue;
    }
    const med = r.ours.stats.medianMs / r.torch.stats.medianMs;
    const best = r.ours.stats.bestMs / r.torch.stats.bestMs;
    const mem = r.ours.peakRssMiB / r.torch.peakRssMiB;
    const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
    lines.push(
      `${head} same model (params ${r.ours.params} = ${r.torch.params}: ${verdict(r.ours.params === r.torch.params)}; first loss within ${(100 * (r.lossRelDiff ?? 0)).toPrecision(2)}%). ` +
        `Targets (issue #17): median <= ${STEP_TARGETS.medianRatio}x ${verdict(med <= STEP_TARGETS.medianRatio)} (${med.toFixed(2)}x), ` +
        `best <= ${STEP_TARGETS.bestRatio}x ${verdict(best <= STEP_TARGETS.bestRatio)} (${best.toFixed(2)}x), ` +
        `peak RSS <= ${STEP_TARGETS.memoryRatio}x ${verdict(mem <= STEP_TARGETS.memoryRatio)} (${mem.toFixed(2)}x)`,
    );
  }
  return lines.join('\n');
}
