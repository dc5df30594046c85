/**
 * The common Dataset contract every bench data source implements (ucf101,
 * synthetic, videos, images), so the trainer and the leaderboard can iterate
 * any of them the same way.
 *
 * A clip is a float32 HostTensor of shape [T, H, W, 3] with values in [0, 1]
 * (channels-last because that is how decoders and image libraries hand pixels
 * over; models transpose to channels-first themselves). Batches stack clips
 * into [B, T, H, W, 3].
 */
import { HostTensor } from '@zoo/core';

/** How clips are drawn: `eval` is fixed (centered clips, file order), `train` is shuffled and random-offset. */
export type Sampling = 'eval' | 'train';

/** Problems met while reading a dataset. Never fatal: counted, reported, and the entry skipped. */
export interface DatasetStats {
  /** Entries the dataset lists (split file lines, files found, generated clips). */
  listed: number;
  /** Listed entries whose file is absent (e.g. a partial UCF-101 copy). */
  missing: number;
  /** Files that failed to decode (truncated, corrupt); skipped with a warning. */
  corrupt: number;
  /** Paths of the corrupt files, so a report can name them. */
  corruptFiles: string[];
  /** Distinct entries that have produced a clip so far (every entry of a synthetic set). */
  used: number;
  /**
   * Videos shorter than one clip span: skipped (the default) or, with the
   * `padShort` option, filled by repeating their last frame.
   */
  short: number;
  /** Clips served from the on-disk decode cache vs. decoded this run. */
  cacheHits: number;
  cacheMisses: number;
}

export function emptyStats(): DatasetStats {
  return { listed: 0, missing: 0, used: 0, corrupt: 0, corruptFiles: [], short: 0, cacheHits: 0, cacheMisses: 0 };
}

export interface IterateOptions {
  /** Epoch number: train sampling reshuffles and redraws offsets per epoch (seeded by seed + epoch). */
  epoch?: number;
}

export interface Dataset {
  /** Registry name of the source (`ucf101`, `synthetic`, ...). */
  readonly name: string;
  /** Clips per epoch: the usable entries (listed minus missing); corrupt files found while iterating are skipped. */
  readonly length: number;
  /** Shape of every clip: [T, H, W, 3]. */
  readonly clipShape: readonly [number, number, number, 3];
  readonly sampling: Sampling;
  /** Clips of [T, H, W, 3] float32 in [0, 1]; the same sequence for the same seed, sampling and epoch. */
  clips(opts?: IterateOptions): AsyncIterable<HostTensor<'float32'>>;
  /** Batches of [B, T, H, W, 3]; the last batch is smaller when `length` is not a multiple of B. */
  batches(batchSize: number, opts?: IterateOptions): AsyncIterable<HostTensor<'float32'>>;
  /** Counts so far (corrupt files are only known once iteration reached them). */
  stats(): DatasetStats;
}

/** Thrown when a dataset cannot be opened at all (no root, wrong layout, bad option). */
export class DatasetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatasetError';
  }
}

/** Stacks clips of equal shape into one [B, ...clipShape] tensor. */
export function stackClips(clips: readonly HostTensor<'float32'>[]): HostTensor<'float32'> {
  if (clips.length === 0) throw new DatasetError('stackClips: no clips to stack');
  const shape = clips[0]!.shape;
  const n = clips[0]!.size;
  const out = new Float32Array(n * clips.length);
  clips.forEach((c, i) => {
    if (c.size !== n || c.shape.some((d, k) => d !== shape[k])) {
      throw new DatasetError(`stackClips: clip ${i} has shape [${c.shape.join(', ')}], expected [${shape.join(', ')}]`);
    }
    out.set(c.data, i * n);
  });
  return new HostTensor([clips.length, ...shape], out, 'float32');
}

/** Groups a clip stream into batches; shared by every Dataset implementation. */
export async function* batchClips(
  clips: AsyncIterable<HostTensor<'float32'>>,
  batchSize: number,
): AsyncIterable<HostTensor<'float32'>> {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new DatasetError(`batch size must be a positive integer, got ${batchSize}`);
  }
  let pending: HostTensor<'float32'>[] = [];
  for await (const clip of clips) {
    pending.push(clip);
    if (pending.length === batchSize) {
      yield stackClips(pending);
      pending = [];
    }
  }
  if (pending.length) yield stackClips(pending);
}

/** uint8 RGB frames -> float32 in [0, 1] (x / 255, the convention of the reference metrics). */
export function bytesToUnit(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = bytes[i]! / 255;
  return out;
}
