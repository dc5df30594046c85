/** `zoo engine` (`pnpm bench engine`): engine speed, side by side. */
import type { Argv } from 'yargs';
import { createEngineByName, ENGINE_CHOICES, logger, type EngineChoice } from '@zoo/core';
import { WORKLOADS, timeWorkload, type Timing, type WorkloadName } from '../perf/engine-bench.js';
import { formatTable, type CliIo } from './io.js';

/** PyTorch 1.13 CPU (2 threads) on this class of machine, from issue #3 — not measured in this run. */
const PYTORCH_REFERENCE_MS: Partial<Record<string, { forward: number; train: number }>> = {
  conv2d: { forward: 9.4, train: 21.6 },
  conv3d: { forward: 39.5, train: 152 },
};

export function benchEngineCommand(y: Argv, io: CliIo): Argv {
  return y.command(
    'engine',
    'Time conv2d, conv3d, matmul and a small 3D autoencoder (forward and train step) on each engine',
    (b) =>
      b
        .option('engines', {
          type: 'string',
          default: 'onnx-cpu,tfjs-wasm,tfjs-cpu',
          describe: `comma-separated, from: ${ENGINE_CHOICES.join(', ')}`,
        })
        .option('workloads', {
          type: 'string',
          default: Object.keys(WORKLOADS).join(','),
          describe: `comma-separated, from: ${Object.keys(WORKLOADS).join(', ')}`,
        })
        .option('repeats', { type: 'number', default: 5, describe: 'timed runs after one warm-up (the median is reported)' })
        .option('budget-seconds', {
          type: 'number',
          default: 20,
          describe: 'stop repeating once a measurement has taken this long (slow engines get one run)',
        })
        .option('skip-slow', {
          type: 'boolean',
          default: true,
          describe: 'skip tfjs-cpu on the 2048^3 matmul and conv3d train step (minutes in pure JS)',
        })
        .option('json', { type: 'boolean', default: false, describe: 'print JSON rows instead of a table' }),
    async (args) => {
      const engines = parseList(args.engines, ENGINE_CHOICES, '--engines') as EngineChoice[];
      const workloads = parseList(args.workloads, Object.keys(WORKLOADS), '--workloads') as WorkloadName[];
      const timings: Timing[] = [];
      const failures: string[] = [];
      for (const choice of engines) {
        const engine = await createEngineByName(choice);
        try {
          for (const wname of workloads) {
            const w = WORKLOADS[wname]();
            for (const phase of w.trainable ? (['forward', 'train'] as const) : (['forward'] as const)) {
              if (args['skip-slow'] && choice === 'tfjs-cpu' && (wname === 'matmul' || (wname === 'conv3d' && phase === 'train'))) {
                continue;
              }
              logger().info({ engine: choice, workload: w.name, phase }, 'timing');
              try {
                const t = await timeWorkload(engine, w, phase, {
                  repeats: args.repeats,
                  budgetMs: args['budget-seconds'] * 1000,
                });
                timings.push({ ...t, workload: wname });
              } catch (e) {
                // One engine lacking a kernel must not hide the others' numbers.
                logger().error({ engine: choice, workload: w.name, phase, err: (e as Error).message }, 'measurement failed');
                failures.push(`${choice} ${wname} ${phase}: ${(e as Error).message}`);
              }
            }
          }
        } finally {
          await engine.dispose();
        }
      }
      const peakRssMiB = process.resourceUsage().maxRSS / 1024;
      if (args.json) {
        io.out(JSON.stringify({ timings, failures, peakRssMiB }, null, 2));
      } else {
        io.out(formatTimings(timings, engines));
        io.out(`\npeak RSS: ${peakRssMiB.toFixed(0)} MiB`);
        for (const f of failures) io.out(`failed: ${f}`);
      }
      if (failures.length) process.exitCode = 1;
    },
  );
}

function parseList(value: string, valid: readonly string[], flag: string): string[] {
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = items.filter((s) => !valid.includes(s));
  if (bad.length) throw new Error(`${flag}: unknown ${bad.join(', ')}. Valid: ${valid.join(', ')}`);
  return items;
}

/** One row per workload and phase; the first engine is the baseline for the ratios. */
export function formatTimings(timings: readonly Timing[], engines: readonly string[]): string {
  const [base] = engines;
  const keys = [...new Set(timings.map((t) => `${t.workload}|${t.phase}`))];
  const rows = keys.map((k) => {
    const [workload, phase] = k.split('|') as [string, 'forward' | 'train'];
    const cells = engines.map((e) => {
      const t = timings.find((x) => x.workload === workload && x.phase === phase && x.engine === e);
      return t ? `${t.ms.toFixed(1)} ms (${t.gflops.toFixed(1)} GF/s)` : '—';
    });
    const b = timings.find((x) => x.workload === workload && x.phase === phase && x.engine === base);
    const ratios = engines.slice(1).map((e) => {
      const t = timings.find((x) => x.workload === workload && x.phase === phase && x.engine === e);
      return t && b ? `${(t.ms / b.ms).toFixed(1)}x` : '—';
    });
    const torch = PYTORCH_REFERENCE_MS[workload]?.[phase];
    return [workload, phase, ...cells, ...ratios, torch ? `${torch} ms` : ''];
  });
  const header = [
    'workload',
    'phase',
    ...engines,
    ...engines.slice(1).map((e) => `${e} / ${base}`),
    'PyTorch 1.13 (reference, not this run)',
  ];
  return formatTable(header, rows);
}
