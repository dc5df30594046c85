/**
 * `benchDataDecode`: how fast the video pipeline turns files into clips
 * (ffmpeg decode + scale/crop + frame selection + float conversion), with the
 * decode cache off so every clip is really decoded. Reported as clips/s at
 * 17x64x64 and 17x128x128 by default, the two sizes the leaderboard uses.
 */
import { timeRepeats } from '@zoo/core';
import { DatasetError } from './dataset.js';
import { Ucf101Dataset, ucf101Schema } from './ucf101.js';
import { VideoFolderDataset, videoFolderSchema } from './video-folder.js';
import type { VideoFileDataset } from './video-file-dataset.js';
import { defaultConcurrency } from './ordered-pool.js';

export interface BenchDataDecodeOptions {
  /** UCF-101 root (layout `ucf101`) or any folder of videos (layout `videos`). */
  root: string;
  /** Default: `ucf101`. */
  layout?: 'ucf101' | 'videos';
  /** Output sides to measure (default [64, 128]). */
  resolutions?: readonly number[];
  /** Frames per clip (default 17). */
  frames?: number;
  /** At most this many videos per pass (default: all present). */
  limit?: number;
  /** Passes over the videos per resolution; the median pass is reported (default 1). */
  repeats?: number;
  /** Parallel ffmpeg processes (default: one per core). */
  concurrency?: number;
  ffmpegPath?: string;
  /** Passed through to the dataset's warn hook (default: the zoo logger). */
  warn?: (message: string, file: string) => void;
}

export interface DecodeBenchRow {
  frames: number;
  resolution: number;
  clips: number;
  seconds: number;
  clipsPerSecond: number;
  concurrency: number;
  corrupt: number;
}

export async function benchDataDecode(opts: BenchDataDecodeOptions): Promise<DecodeBenchRow[]> {
  const rows: DecodeBenchRow[] = [];
  const concurrency = opts.concurrency ?? defaultConcurrency();
  const repeats = opts.repeats ?? 1;
  for (const resolution of opts.resolutions ?? [64, 128]) {
    const common = {
      root: opts.root,
      frames: opts.frames ?? 17,
      resolution,
      cache: false,
      concurrency,
      ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
      ...(opts.ffmpegPath !== undefined ? { ffmpegPath: opts.ffmpegPath } : {}),
    };
    const ds: VideoFileDataset =
      (opts.layout ?? 'ucf101') === 'ucf101'
        ? new Ucf101Dataset(ucf101Schema.parse({ ...common, subset: 'all' }), opts.warn)
        : new VideoFolderDataset(videoFolderSchema.parse(common), opts.warn);
    let clips = 0;
    // No warm-up: the cache is off, so every pass decodes from the files; the median pass is reported.
    const pass = await timeRepeats(async () => {
      clips = 0;
      for await (const _clip of ds.clips()) clips++;
    }, { warmup: 0, repeats });
    const seconds = pass.medianMs / 1000;
    if (clips === 0) throw new DatasetError(`benchDataDecode: no clip could be decoded from ${opts.root}`);
    rows.push({ frames: common.frames, resolution, clips, seconds, clipsPerSecond: clips / seconds, concurrency, corrupt: ds.stats().corrupt });
  }
  return rows;
}
