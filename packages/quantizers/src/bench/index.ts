/**
 * Quantizer micro-benchmarks on any engine, imported as `@zoo/quantizers/bench`
 * (not part of the main entry; a function, not a CLI: the bench
 * package prints the numbers next to its peers). Each case is run once to
 * compile/warm up, then `repeats` times; the median wall time is reported.
 * The VQ lookup's cases (frozen codebook, fed codebook, bare matmul peer) are
 * timed in interleaved rounds so a machine slowing down mid-run shifts all of
 * them alike and their ratios stay meaningful.
 */
import { HostTensor, Rng, timingStats, type Engine, type Ops, type Tensor } from '@zoo/core';
import { LFQ } from '../lfq.js';
import { withCpuSteal } from './cpu-steal.js';
import { withPeakMemory, type PeakMemory } from './peak-memory.js';
import { VectorQuantizer } from '../vq.js';

export interface QuantizerBenchOptions {
  /** Timed runs after the warm-up (3). */
  repeats?: number;
  /** VQ nearest-code lookup size (16384 tokens × 64 dims × 16384 codes). */
  vq?: { tokens: number; dim: number; codes: number; chunkSize?: number };
  /** Side of the square matmul that measures this run's compute peak (2048). */
  peakSize?: number;
  /** LFQ forward + backward size (4096 tokens, 2^18 codes, entropy factorized [9, 9], matmul entropy dot). */
  lfq?: { tokens: number; codebookBits: number; factorizedBits?: number[]; entropyDot?: 'sequential' | 'matmul' };
}

export interface BenchTiming {
  /** Median seconds of the timed runs. */
  seconds: number;
  /** First (compile + run) seconds. */
  firstRunSeconds: number;
  runs: number;
}

export interface QuantizerBenchResult {
  engine: string;
  device: string;
  /**
   * Eval-mode lookup against a frozen codebook (baked into the graph; see
   * CompileOptions.frozen), with `fedCodebookSeconds` for the codebook fed as
   * an input (as inside a training step) and `matmulFloorSeconds` for the bare
   * [tokens, dim]·[dim, codes] matmul + max against a constant operand in one
   * piece (the whole score matrix written and read once): what a naive lookup
   * pays, which the blocked search undercuts by keeping blocks in cache.
   */
  vqLookup: BenchTiming & {
    tokens: number; dim: number; codes: number; fedCodebookSeconds: number; matmulFloorSeconds: number;
    /** 2·tokens·dim·codes / seconds (the distance matmul's FLOPs; the search adds none worth counting). */
    gflops: number;
  };
  /**
   * The engine's matmul throughput in this run (a square matmul against a
   * constant operand, timed in the VQ lookup's rounds): on a shared VM the
   * hypervisor's CPU steal (measured up to 50% on the dev box) moves every
   * absolute time, so the lookup's fraction of this peak is the stable number.
   */
  peak: { size: number; seconds: number; gflops: number };
  /** Fraction of CPU time the hypervisor took during the VQ rounds (Linux /proc/stat; undefined elsewhere). */
  cpuSteal: number | undefined;
  lfqTrain: BenchTiming & {
    tokens: number;
    codebookSize: number;
    factorizedBits: number[];
    entropyDot: 'sequential' | 'matmul';
    /** Process RSS peak while this case compiled and ran, and what it added over its start (Linux only, else undefined). */
    memory: PeakMemory | undefined;
  };
}


async function time(run: () => Promise<unknown>, repeats: number): Promise<BenchTiming> {
  return (await timeInterleaved([run], repeats))[0]!;
}

/** One warm-up run each, then `repeats` rounds running every case once. */
async function timeInterleaved(runs: readonly (() => Promise<unknown>)[], repeats: number): Promise<BenchTiming[]> {
  const first: number[] = [];
  for (const run of runs) {
    const t0 = performance.now();
    await run();
    first.push((performance.now() - t0) / 1000);
  }
  const times = runs.map((): number[] => []);
  for (let r = 0; r < repeats; r++) {
    for (const [i, run] of runs.entries()) {
      const t0 = performance.now();
      await run();
      times[i]!.push((performance.now() - t0) / 1000);
    }
  }
  return runs.map((_, i) => ({ seconds: timingStats(times[i]!).medianMs, firstRunSeconds: first[i]!, runs: repeats }));
}

function randomTensor(shape: number[], rng: Rng, std: number): HostTensor<'float32'> {
  return new HostTensor(shape, rng.fillNormal(new Float32Array(shape.reduce((a, b) => a * b, 1)), 0, std), 'float32');
}

export async function benchQuantizers(engine: Engine, opts: QuantizerBenchOptions = {}): Promise<QuantizerBenchResult> {
  const repeats = opts.repeats ?? 3;
  const rng = new Rng(0);

  const vqSize = opts.vq ?? { tokens: 16384, dim: 64, codes: 16384 };
  const vq = new VectorQuantizer({ dim: vqSize.dim, codebookSize: vqSize.codes }).eval();
  const z = randomTensor([1, vqSize.tokens, vqSize.dim], rng, 1);
  const vqOpts = vqSize.chunkSize !== undefined ? { chunkSize: vqSize.chunkSize } : {};
  const lookupFn = (ops: Ops, { z: zin }: Record<string, Tensor>) => ({ indices: vq.forward(ops, zin!, vqOpts).indices });
  const frozen = engine.compile(lookupFn, { frozen: true });
  const fed = engine.compile(lookupFn);
  // Peers: the unblocked matmul + max against a constant operand (prepacked like the frozen
  // codebook), and a square matmul for the machine's current peak.
  const codes = randomTensor([vqSize.dim, vqSize.codes], rng, 1);
  const flat = z.reshape([vqSize.tokens, vqSize.dim]);
  const floor = engine.compile((ops, { a }) => ({ m: ops.max(ops.matmul(a!, ops.constant(codes)), 1) }));
  const n = opts.peakSize ?? 2048;
  const square = randomTensor([n, n], rng, 1);
  const squareB = randomTensor([n, n], rng, 1);
  const peak = engine.compile((ops, { a }) => ({ s: ops.sum(ops.matmul(a!, ops.constant(squareB))) }));
  const { value: vqTimings, steal } = await withCpuSteal(() =>
    timeInterleaved([() => frozen.run({ z }), () => fed.run({ z }), () => floor.run({ a: flat }), () => peak.run({ a: square })], repeats),
  );
  const [vqTiming, fedTiming, floorTiming, peakTiming] = vqTimings;
  const gflops = (flop: number, seconds: number) => flop / seconds / 1e9;

  const lfqSize = opts.lfq ?? { tokens: 4096, codebookBits: 18, factorizedBits: [9, 9] };
  const factorizedBits = lfqSize.factorizedBits ?? [lfqSize.codebookBits];
  const entropyDot = lfqSize.entropyDot ?? 'matmul';
  const lfq = new LFQ({ codebookSize: 2 ** lfqSize.codebookBits, factorizedBits, entropyDot });
  const x = randomTensor([1, lfqSize.tokens, lfqSize.codebookBits], rng, 0.05);
  const step = engine.valueAndGrad(
    (ops, { x: xin }) => {
      const o = lfq.forward(ops, xin!);
      return { loss: ops.add(ops.sum(o.quantized), o.loss) };
    },
    { inputs: ['x'] },
  );
  const { value: lfqTiming, memory } = await withPeakMemory(() => time(() => step.run({ x }), repeats));

  return {
    engine: engine.name,
    device: engine.device,
    vqLookup: {
      ...vqTiming!, ...vqSize, fedCodebookSeconds: fedTiming!.seconds, matmulFloorSeconds: floorTiming!.seconds,
      gflops: gflops(2 * vqSize.tokens * vqSize.dim * vqSize.codes, vqTiming!.seconds),
    },
    peak: { size: n, seconds: peakTiming!.seconds, gflops: gflops(2 * n ** 3, peakTiming!.seconds) },
    cpuSteal: steal,
    lfqTrain: { ...lfqTiming, tokens: lfqSize.tokens, codebookSize: 2 ** lfqSize.codebookBits, factorizedBits, entropyDot, memory },
  };
}
