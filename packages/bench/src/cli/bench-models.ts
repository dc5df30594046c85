/**
 * `zoo encoders` and `zoo quantizers`: model-level throughput on one or more
 * engines in the same run (the packages own the measurements; this file only
 * parses flags and prints).
 */
import type { Argv } from 'yargs';
import { createEngineByName, ENGINE_CHOICES, logger } from '@zoo/core';
import { benchEncoders } from '@zoo/encoders-3d/bench';
import { benchQuantizers, type QuantizerBenchResult } from '@zoo/quantizers/bench';
import { formatTable, type CliIo } from './io.js';

function engineList(value: string): string[] {
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = items.filter((s) => !(ENGINE_CHOICES as readonly string[]).includes(s));
  if (bad.length) throw new Error(`--engines: unknown ${bad.join(', ')}. Valid: ${ENGINE_CHOICES.join(', ')}`);
  return items;
}

export function benchEncodersCommand(y: Argv, io: CliIo): Argv {
  return y.command(
    'encoders',
    'Encode and decode throughput (clips/s) of the conv2d, inflated3d and causal3d families',
    (b) =>
      b
        .option('engines', { type: 'string', default: 'onnx-cpu', describe: `comma-separated, from: ${ENGINE_CHOICES.join(', ')}` })
        .option('sizes', { type: 'string', default: '64,128', describe: 'frame sides, comma-separated' })
        .option('frames', { type: 'number', default: 17, describe: 'clip length (inflated3d rounds down to its temporal stride)' })
        .option('repeats', { type: 'number', default: 2, describe: 'timed runs per case after a warm-up' })
        .option('json', { type: 'boolean', default: false, describe: 'print JSON rows instead of a table' }),
    async (args) => {
      const sizes = args.sizes.split(',').map(Number);
      const rows = [];
      for (const name of engineList(args.engines)) {
        const engine = await createEngineByName(name);
        try {
          rows.push(
            ...(await benchEncoders(engine, {
              sizes,
              frames: args.frames,
              repeats: args.repeats,
              log: (line) => logger().info(line),
            })),
          );
        } finally {
          await engine.dispose();
        }
      }
      if (args.json) {
        io.out(JSON.stringify(rows, null, 2));
        return;
      }
      io.out(
        formatTable(
          ['family', 'preset', 'engine', 'clip', 'latent', 'encode clips/s', 'decode clips/s'],
          rows.map((r) => [
            r.family,
            r.preset,
            `${r.engine}-${r.device}`,
            `${r.frames}x${r.size}x${r.size}`,
            r.latentShape.join('x'),
            r.encodeClipsPerSec.toFixed(2),
            r.decodeClipsPerSec.toFixed(2),
          ]),
        ),
      );
    },
  );
}

export function benchQuantizersCommand(y: Argv, io: CliIo): Argv {
  return y.command(
    'quantizers',
    'VQ lookup (16384 tokens x 64 dims x 16384 codes) and LFQ forward+backward at a 2^18 codebook',
    (b) =>
      b
        .option('engines', { type: 'string', default: 'onnx-cpu,tfjs-wasm', describe: `comma-separated, from: ${ENGINE_CHOICES.join(', ')}` })
        .option('repeats', { type: 'number', default: 5, describe: 'timed runs per case after a warm-up (median reported)' })
        .option('json', { type: 'boolean', default: false, describe: 'print JSON rows instead of a table' }),
    async (args) => {
      const results = [];
      for (const name of engineList(args.engines)) {
        const engine = await createEngineByName(name);
        try {
          results.push({ name, ...(await benchQuantizers(engine, { repeats: args.repeats })) });
        } finally {
          await engine.dispose();
        }
      }
      if (args.json) {
        io.out(JSON.stringify({ results }, null, 2));
        return;
      }
      io.out(
        formatTable(
          ['engine', 'VQ lookup 16384x64x16384 (frozen codebook)', 'codebook fed (training)', 'bare matmul+max (same run)', 'LFQ fwd+bwd 2^18 x 4096 tokens', 'LFQ peak RSS (added by the case)'],
          results.map((r) => [
            r.name,
            `${r.vqLookup.seconds.toFixed(3)} s (${r.vqLookup.gflops.toFixed(0)} GFLOP/s, ${((100 * r.vqLookup.gflops) / r.peak.gflops).toFixed(0)}% of peak)`,
            `${r.vqLookup.fedCodebookSeconds.toFixed(3)} s`,
            `${r.vqLookup.matmulFloorSeconds.toFixed(3)} s`,
            `${r.lfqTrain.seconds.toFixed(3)} s`,
            r.lfqTrain.memory ? `${r.lfqTrain.memory.peakMiB.toFixed(0)} MiB (+${r.lfqTrain.memory.addedMiB.toFixed(0)})` : 'n/a',
          ]),
        ),
      );
      io.out('');
      for (const r of results) {
        const steal = r.cpuSteal === undefined ? 'n/a' : `${(100 * r.cpuSteal).toFixed(0)}%`;
        io.out(`${r.name}: matmul peak in this run ${r.peak.gflops.toFixed(0)} GFLOP/s (${r.peak.size}^3, constant operand, timed in the lookup's rounds); CPU steal by the hypervisor meanwhile: ${steal}.`);
        if ((r.cpuSteal ?? 0) > 0.05) io.out(`  (the VM lost over 5% of its CPU time during the lookup: absolute times are inflated; compare the columns, timed in the same rounds)`);
        if (r.engine === 'onnx') io.out(`  ${lookupTargetVerdict(r)}`);
      }
      io.out(`PyTorch 1.13 cdist+argmin at the VQ size takes 0.65-0.8 s on this machine class (issue #4; not this run).`);
    },
  );
}

/** Issue #4's target for the onnx engine's VQ lookup, in seconds. */
export const VQ_LOOKUP_TARGET_SECONDS = 0.3;

/**
 * Whether this run met the lookup target, and what this run's matmul rate
 * alone would take for the lookup's FLOPs: on a VM whose speed drifts, that
 * tells a slow machine from a slow lookup.
 */
export function lookupTargetVerdict(r: {
  vqLookup: Pick<QuantizerBenchResult['vqLookup'], 'seconds' | 'gflops'>;
  peak: Pick<QuantizerBenchResult['peak'], 'gflops'>;
}): string {
  const { seconds, gflops } = r.vqLookup;
  const gflop = gflops * seconds; // the benchmark's own FLOP count, not recomputed here
  const verdict = seconds <= VQ_LOOKUP_TARGET_SECONDS ? 'met' : 'NOT met';
  return `target <= ${VQ_LOOKUP_TARGET_SECONDS} s (issue #4): ${verdict} at ${seconds.toFixed(3)} s; the lookup's ${gflop.toFixed(1)} GFLOP at this run's matmul peak alone take ${(gflop / r.peak.gflops).toFixed(3)} s`;
}
