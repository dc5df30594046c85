/**
 * The train and eval datasets of a run, built from the CLI's `--dataset`
 * and `--data-dir`: train clips are drawn with `train` sampling (shuffled,
 * random offsets, reseeded per epoch), eval clips with `eval` sampling
 * (fixed, centered) and limited to `--eval-clips`, so every tokenizer of a
 * run, and of any later run with the same options, is scored on the same
 * clips.
 *
 * Eval clips never come from training clips unless the user allows it:
 * UCF-101 trains on the split's train list and scores on its test list;
 * `videos` / `images` hold out files by a hash of their names (data/held-out.ts);
 * synthetic draws eval and train clips from separate seeded streams. Where no
 * disjoint split exists, building the data fails with the reason, or, with
 * `allowEvalOnTrain`, marks the run `evalOnTrain`.
 */
import { createDynamic, logger } from '@zoo/core';
import '../data/index.js';
import { DatasetError, type Dataset, type DatasetStats } from '../data/dataset.js';
import type { DataCountsRow } from '../report/leaderboard-row.js';

export const DATASET_NAMES = ['synthetic', 'ucf101', 'videos', 'images'] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

export interface DataOptions {
  dataset: DatasetName;
  dataDir?: string | undefined;
  frames: number;
  resolution: number;
  evalClips: number;
  seed: number;
  /** UCF-101 split 1-3 (default 1). */
  split?: 1 | 2 | 3;
  /** Allow eval clips drawn from the training clips when no disjoint split exists (default false). */
  allowEvalOnTrain?: boolean;
  /** Repeat the last frame of videos shorter than a clip instead of skipping them (default false). */
  padShort?: boolean;
  /** Decode cache root (video datasets); default the datasets' own. */
  cacheDir?: string | undefined;
}

export interface RunData {
  train: Dataset;
  eval: Dataset;
  /** The resolved dataset configs, for the leaderboard row. */
  config: Record<string, unknown>;
  /** True when the eval clips are (drawn from) training clips: allowed by the user, marked in every row. */
  evalOnTrain: boolean;
}

/** The flag that allows scoring on training clips, named in the errors that refuse it. */
export const ALLOW_EVAL_ON_TRAIN_FLAG = '--allow-eval-on-train';

function make(name: DatasetName, config: Record<string, unknown>): Dataset {
  return createDynamic('dataset', name, config) as Dataset;
}

/** Thrown when no eval clips disjoint from the training clips exist and the user did not allow the overlap. */
export class TrainEvalOverlapError extends DatasetError {
  constructor(reason: string) {
    super(`${reason}. Scoring on training clips would overstate every tokenizer; add files for a disjoint split, or pass ${ALLOW_EVAL_ON_TRAIN_FLAG} to score on them anyway (the rows are then marked "evaluated on training clips")`);
    this.name = 'TrainEvalOverlapError';
  }
}

function isNonePresent(e: unknown): boolean {
  return e instanceof DatasetError && /none of the/.test(e.message);
}

function ucf101Data(o: DataOptions, video: Record<string, unknown>): RunData {
  const root = o.dataDir ? { root: o.dataDir } : {};
  const split = o.split ?? 1;
  const list = (subset: 'train' | 'test', sampling: 'train' | 'eval', limit?: number): Dataset | undefined => {
    try {
      return make('ucf101', { ...root, ...video, split, subset, sampling, ...(limit !== undefined ? { limit } : {}) });
    } catch (e) {
      if (isNonePresent(e)) return undefined;
      throw e;
    }
  };
  let train = list('train', 'train');
  let evalSet = list('test', 'eval', o.evalClips);
  let evalOnTrain = false;
  if (!train || !evalSet) {
    const missing = !train && !evalSet ? 'train- or test' : !train ? 'train' : 'test';
    // Neither list: the loader's own error says how to obtain the dataset.
    if (!train && !evalSet) make('ucf101', { ...root, ...video, split, subset: 'all', sampling: 'eval' });
    if (!o.allowEvalOnTrain) throw new TrainEvalOverlapError(`no UCF-101 split-${split} ${missing}-list video is present under the data folder`);
    logger().warn(`no UCF-101 split-${split} ${missing}-list video is present; training and scoring on the same videos (${ALLOW_EVAL_ON_TRAIN_FLAG})`);
    evalOnTrain = true;
    if (!train) train = list('test', 'train')!;
    if (!evalSet) evalSet = list('train', 'eval', o.evalClips)!;
  }
  return {
    train, eval: evalSet, evalOnTrain,
    config: { name: 'ucf101', ...root, frames: o.frames, resolution: o.resolution, split, seed: o.seed, evalClips: o.evalClips, padShort: o.padShort ?? false, ...(evalOnTrain ? { evalOnTrain } : {}) },
  };
}

/** videos / images: hold out min(--eval-clips, half the files) by file name hash. */
function folderData(o: DataOptions, base: Record<string, unknown>): RunData {
  const name = o.dataset;
  const all = make(name, { ...base, sampling: 'eval' });
  const heldOut = Math.min(o.evalClips, Math.floor(all.length / 2));
  const rule = `the ${heldOut} files with the smallest sha256 of their relative path`;
  if (heldOut < 1) {
    if (!o.allowEvalOnTrain) throw new TrainEvalOverlapError(`${o.dataDir} holds ${all.length} ${name === 'videos' ? 'video' : 'image'} file, too few to hold any out for evaluation`);
    logger().warn(`${o.dataDir}: one file only; training and scoring on it (${ALLOW_EVAL_ON_TRAIN_FLAG})`);
    return {
      train: make(name, { ...base, sampling: 'train' }), eval: make(name, { ...base, sampling: 'eval', limit: o.evalClips }), evalOnTrain: true,
      config: { name, root: o.dataDir, frames: name === 'videos' ? o.frames : 1, resolution: o.resolution, seed: o.seed, evalClips: o.evalClips, evalOnTrain: true },
    };
  }
  return {
    train: make(name, { ...base, sampling: 'train', heldOut, part: 'train' }),
    eval: make(name, { ...base, sampling: 'eval', heldOut, part: 'eval' }),
    evalOnTrain: false,
    config: { name, root: o.dataDir, frames: name === 'videos' ? o.frames : 1, resolution: o.resolution, seed: o.seed, evalClips: o.evalClips, heldOut, heldOutRule: rule, ...(name === 'videos' ? { padShort: o.padShort ?? false } : {}) },
  };
}

export function buildRunData(o: DataOptions): RunData {
  const cache = o.cacheDir ? { cacheDir: o.cacheDir } : {};
  const video = { resolution: o.resolution, seed: o.seed, frames: o.frames, padShort: o.padShort ?? false, ...cache };
  switch (o.dataset) {
    case 'synthetic': {
      // 256 train clips per epoch: fresh clips every epoch, so the length only sets the reshuffle period.
      // Eval and train clips come from separate seeded streams and never coincide.
      const train = make('synthetic', { frames: o.frames, resolution: o.resolution, seed: o.seed, sampling: 'train', length: 256 });
      const evalSet = make('synthetic', { frames: o.frames, resolution: o.resolution, seed: o.seed, sampling: 'eval', length: o.evalClips });
      return { train, eval: evalSet, evalOnTrain: false, config: { name: 'synthetic', frames: o.frames, resolution: o.resolution, seed: o.seed, evalClips: o.evalClips } };
    }
    case 'ucf101':
      return ucf101Data(o, video);
    case 'videos':
    case 'images': {
      if (!o.dataDir) throw new DatasetError(`--dataset ${o.dataset} needs --data-dir: the folder of ${o.dataset} to read`);
      const base = o.dataset === 'videos' ? { ...video, root: o.dataDir } : { resolution: o.resolution, seed: o.seed, root: o.dataDir };
      return folderData(o, base);
    }
  }
}

/** What a dataset read, for the leaderboard: listed, used, and why the others were not (see rowDataSchema). */
export type DataCounts = DataCountsRow;

export function dataCounts(s: DatasetStats): DataCounts {
  return { listed: s.listed, used: s.used, missing: s.missing, corrupt: s.corrupt, short: s.short };
}

/** One line per split for logs: "train: 9537 listed, 9530 used, 0 missing, 2 corrupt, 5 short". */
export function describeCounts(split: string, c: DataCounts): string {
  return `${split}: ${c.listed} listed, ${c.used} used, ${c.missing} missing, ${c.corrupt} corrupt, ${c.short} shorter than a clip`;
}
