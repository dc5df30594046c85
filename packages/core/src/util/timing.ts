/**
 * The one timing statistic of every benchmark: warm-up runs first (compile,
 * allocation, caches), then the median of the timed repeats, with the best
 * and the count beside it. The median, not the mean or the best, because a
 * shared 2-core VM stalls now and then: one stall moves a mean, and the best
 * hides how a run usually goes.
 */
export interface TimingStats {
  /** Timed repeats (warm-ups excluded). */
  n: number;
  medianMs: number;
  bestMs: number;
  /** Every timed repeat, in run order. */
  samplesMs: number[];
}

/** Median (mean of the two middle values for an even count), best and count of some timings. */
export function timingStats(samplesMs: readonly number[]): TimingStats {
  if (samplesMs.length === 0) throw new RangeError('timingStats: no samples');
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const medianMs = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { n: sorted.length, medianMs, bestMs: sorted[0]!, samplesMs: [...samplesMs] };
}

export interface TimeRepeatsOptions {
  /** Untimed runs first. Default 1. */
  warmup?: number;
  /** Timed runs. Default 5. */
  repeats?: number;
  /** Stop repeating once the timed runs have taken this long (at least one always runs). Default: no limit. */
  budgetMs?: number;
}

/** Runs `fn` warmup + repeats times and returns the statistics of the timed runs. */
export async function timeRepeats(fn: () => unknown, opts: TimeRepeatsOptions = {}): Promise<TimingStats> {
  const warmup = opts.warmup ?? 1;
  const repeats = opts.repeats ?? 5;
  if (!Number.isInteger(repeats) || repeats < 1) throw new RangeError(`timeRepeats: repeats must be a positive integer, got ${repeats}`);
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  let spent = 0;
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    await fn();
    const ms = performance.now() - t0;
    samples.push(ms);
    spent += ms;
    if (opts.budgetMs !== undefined && spent >= opts.budgetMs) break;
  }
  return timingStats(samples);
}
