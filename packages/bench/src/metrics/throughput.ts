/**
 * Encode/decode throughput: items (clips or frames) per second of an async
 * operation, timed after warm-up runs (first calls pay for graph compilation
 * and allocation), reported as the median over repeats so one slow run on a
 * shared machine does not dominate. Compare numbers from the same run only.
 */
import { performance } from 'node:perf_hooks';

export interface ThroughputOptions {
  /** Items processed by one call (clips in the batch, or frames). */
  itemsPerCall: number;
  /** Untimed calls first (default 1). */
  warmup?: number;
  /** Timed calls (default 5). */
  repeats?: number;
}

export interface Throughput {
  itemsPerSecond: number;
  /** Median seconds per call. */
  secondsPerCall: number;
  repeats: number;
}

export async function measureThroughput(fn: () => unknown | Promise<unknown>, opts: ThroughputOptions): Promise<Throughput> {
  const warmup = opts.warmup ?? 1;
  const repeats = Math.max(1, opts.repeats ?? 5);
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    await fn();
    times.push((performance.now() - t0) / 1000);
  }
  times.sort((a, b) => a - b);
  const mid = times.length >> 1;
  const median = times.length % 2 ? times[mid]! : (times[mid - 1]! + times[mid]!) / 2;
  return { itemsPerSecond: opts.itemsPerCall / median, secondsPerCall: median, repeats };
}
