/**
 * Encode/decode throughput: items (clips or frames) per second of an async
 * operation, timed after warm-up runs (first calls pay for graph compilation
 * and allocation), reported as the median over repeats so one slow run on a
 * shared machine does not dominate. Compare numbers from the same run only.
 */
import { timeRepeats } from '@zoo/core';

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
  const repeats = Math.max(1, opts.repeats ?? 5);
  const median = (await timeRepeats(fn, { warmup: opts.warmup ?? 1, repeats })).medianMs / 1000;
  return { itemsPerSecond: opts.itemsPerCall / median, secondsPerCall: median, repeats };
}
