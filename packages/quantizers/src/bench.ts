/**
 * Quantizer micro-benchmarks on any engine (a function, not a CLI; the bench
 * package prints the numbers next to its peers). Each case is run once to
 * compile/warm up, then `repeats` times; the median wall time is reported.
 */
import { HostTensor, Rng, type Engine } from '@zoo/core';
import { LFQ } from './lfq.js';
import { withPeakMemory, type PeakMemory } from './peak-memory.js';
import { VectorQuantizer } from './vq.js';

export interface QuantizerBenchOptions {
  /** Timed runs after the warm-up (3). */
  repeats?: number;
  /** VQ nearest-code lookup size (16384 tokens × 64 dims × 16384 codes). */
  vq?: { tokens: number; dim: number; codes: number; chunkSize?: number };
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
  vqLookup: BenchTiming & { tokens: number; dim: number; codes: number; matmulFloorSeconds: number };
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
  let t0 = performance.now();
  await run();
  const firstRunSeconds = (performance.now() - t0) / 1000;
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    t0 = performance.now();
    await run();
    times.push((performance.now() - t0) / 1000);
  }
  times.sort((a, b) => a - b);
  return { seconds: times[Math.floor(times.length / 2)]!, firstRunSeconds, runs: repeats };
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
  const lookup = engine.compile((ops, { z: zin }) => ({
    indices: vq.forward(ops, zin!, vqSize.chunkSize !== undefined ? { chunkSize: vqSize.chunkSize } : {}).indices,
  }));
  const vqTiming = await time(() => lookup.run({ z }), repeats);
  // Peer measured in the same run: the bare [tokens, dim]·[dim, codes] matmul with a max
  // reduction, the floor any lookup on this engine pays (blocked search over it = overhead).
  const codes = randomTensor([vqSize.dim, vqSize.codes], rng, 1);
  const flat = z.reshape([vqSize.tokens, vqSize.dim]);
  const floor = engine.compile((ops, { a, b }) => ({ m: ops.max(ops.matmul(a!, b!), 1) }));
  const floorTiming = await time(() => floor.run({ a: flat, b: codes }), repeats);

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
    vqLookup: { ...vqTiming, ...vqSize, matmulFloorSeconds: floorTiming.seconds },
    lfqTrain: { ...lfqTiming, tokens: lfqSize.tokens, codebookSize: 2 ** lfqSize.codebookBits, factorizedBits, entropyDot, memory },
  };
}
