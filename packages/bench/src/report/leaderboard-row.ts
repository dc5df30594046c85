/**
 * One leaderboard row = one finished training run, with everything needed to
 * read, compare and reproduce it: what was trained (tokenizer, quantizer,
 * codebook, full config), how well (every metric), how fast (steps, wall
 * time, throughput) and where (engine, device, git revision).
 *
 * The zod schema validates rows read back from disk. Objects are loose:
 * fields a newer writer adds are kept rather than dropped, so reading and
 * re-writing (append, merge) never loses data.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';

/**
 * A metric value; `null` when the metric was unavailable for this run (e.g.
 * LPIPS or FVD without their pretrained weights), which renders as "n/a"
 * rather than a made-up number.
 */
export const leaderboardMetricValueSchema = z.number().nullable();

export const leaderboardThroughputSchema = z.looseObject({
  /** Optimizer steps per second over the whole run. */
  trainStepsPerSec: z.number().nonnegative(),
  /** Clips encoded to tokens per second at evaluation. */
  encodeClipsPerSec: z.number().nonnegative().optional(),
  /** Clips decoded from tokens per second at evaluation. */
  decodeClipsPerSec: z.number().nonnegative().optional(),
});

/** What one dataset of a run read: entries listed, used, and why the others were not. */
export const dataCountsSchema = z.looseObject({
  listed: z.number().int().nonnegative(),
  /** Entries that produced at least one clip. */
  used: z.number().int().nonnegative(),
  /** Listed but absent on disk. */
  missing: z.number().int().nonnegative(),
  /** Failed to decode; skipped. */
  corrupt: z.number().int().nonnegative(),
  /** Shorter than one clip: skipped, or padded when `padShort`. */
  short: z.number().int().nonnegative(),
});

/** The data a row was trained and scored on, so a reader sees what the numbers stand on. */
export const rowDataSchema = z.looseObject({
  train: dataCountsSchema,
  eval: dataCountsSchema,
  /** `--eval-clips` asked for, and the clips actually scored. */
  evalClipsRequested: z.number().int().nonnegative(),
  evalClips: z.number().int().nonnegative(),
  /** The eval clips are training clips (allowed with --allow-eval-on-train): the scores are optimistic. */
  evalOnTrain: z.boolean(),
  /** Videos shorter than a clip were padded by repeating their last frame. */
  padShort: z.boolean(),
});
export type RowData = z.infer<typeof rowDataSchema>;
export type DataCountsRow = z.infer<typeof dataCountsSchema>;

export const leaderboardRowSchema = z.looseObject({
  /** Row format version; bumped on an incompatible change. */
  schemaVersion: z.literal(1),
  /** Unique per run; `zoo merge` deduplicates on it. */
  runId: z.string().min(1),
  /** ISO-8601 time the run finished. */
  createdAt: z.string().min(1),
  /** Tokenizer name (a preset or an encoder/quantizer/decoder combination). */
  tokenizer: z.string().min(1),
  /** Marks the trivial baseline (mean frame), shown for scale, not ranked as a tokenizer. */
  baseline: z.boolean().optional(),
  /** Quantizer registry name, e.g. 'vq', 'lfq', 'fsq'. 'none' for the baseline. */
  quantizer: z.string(),
  codebookSize: z.number().int().nonnegative(),
  /** Discrete tokens produced per clip (all codebooks). */
  tokensPerClip: z.number().int().nonnegative(),
  /** Raw RGB8 bits of a clip divided by its token bits. */
  compressionRatio: z.number().nonnegative(),
  /** Token bits per pixel per frame. */
  bitsPerPixel: z.number().nonnegative(),
  dataset: z.string(),
  /** Every evaluation metric by name, e.g. { psnr, ssim, lpips, fvd, codebookUsage, perplexity }. */
  metrics: z.record(z.string(), leaderboardMetricValueSchema),
  /** Why a metric is `null`, by name (e.g. 'I3D weights not found at ...'). */
  metricsUnavailable: z.record(z.string(), z.string()).optional(),
  steps: z.number().int().nonnegative(),
  wallTimeSec: z.number().nonnegative(),
  throughput: leaderboardThroughputSchema,
  engine: z.string(),
  device: z.string(),
  gitRevision: z.string(),
  /** Data counts of the train and eval sets (rows written before this field existed lack it). */
  data: rowDataSchema.optional(),
  /** The full resolved run config, as given to the trainer. */
  config: z.record(z.string(), z.unknown()),
});

export type LeaderboardRow = z.infer<typeof leaderboardRowSchema>;
export type LeaderboardThroughput = z.infer<typeof leaderboardThroughputSchema>;

/** A metric result as the metrics report it: a value, or why there is none. */
export type MetricResult = { available: true; value: number } | { available: false; reason: string };

/** Splits metric results into the row's `metrics` (null when unavailable) and `metricsUnavailable`. */
export function rowMetrics(results: Readonly<Record<string, MetricResult>>): {
  metrics: Record<string, number | null>;
  metricsUnavailable: Record<string, string>;
} {
  const metrics: Record<string, number | null> = {};
  const metricsUnavailable: Record<string, string> = {};
  for (const [name, r] of Object.entries(results)) {
    if (r.available) {
      metrics[name] = r.value;
    } else {
      metrics[name] = null;
      metricsUnavailable[name] = r.reason;
    }
  }
  return { metrics, metricsUnavailable };
}

/** Thrown for a row that does not match {@link leaderboardRowSchema}. */
export class LeaderboardRowError extends Error {
  constructor(
    readonly index: number,
    readonly issues: string,
  ) {
    super(`leaderboard row ${index} is invalid: ${issues}`);
    this.name = 'LeaderboardRowError';
  }
}

/** Validates one row; the error lists each bad field with its path. */
export function parseLeaderboardRow(value: unknown, index = 0): LeaderboardRow {
  const result = leaderboardRowSchema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues
    .map((i) => `${i.path.length ? i.path.join('.') : '(row)'}: ${i.message}`)
    .join('; ');
  throw new LeaderboardRowError(index, issues);
}

/**
 * A fresh run id: finish time plus random bits, sortable by time and unique
 * across shards without coordination, e.g. '20261122T012233Z-3f9a1c0b'.
 */
export function newRunId(date: Date = new Date()): string {
  const stamp = date.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(4).toString('hex')}`;
}
