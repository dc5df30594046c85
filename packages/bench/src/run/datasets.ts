/**
 * The train and eval datasets of a run, built from the CLI's `--dataset`
 * and `--data-dir`: train clips are drawn with `train` sampling (shuffled,
 * random offsets, reseeded per epoch), eval clips with `eval` sampling
 * (fixed, centered) and limited to `--eval-clips`, so every tokenizer of a
 * run, and of any later run with the same options, is scored on the same
 * clips.
 */
import { createDynamic, logger } from '@zoo/core';
import '../data/index.js';
import { DatasetError, type Dataset } from '../data/dataset.js';

export const DATASET_NAMES = ['synthetic', 'ucf101', 'videos', 'images'] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

export interface DataOptions {
  dataset: DatasetName;
  dataDir?: string | undefined;
  frames: number;
  resolution: number;
  evalClips: number;
  seed: number;
  /** Decode cache root (video datasets); default the datasets' own. */
  cacheDir?: string | undefined;
}

export interface RunData {
  train: Dataset;
  eval: Dataset;
  /** The resolved dataset configs, for the leaderboard row. */
  config: Record<string, unknown>;
}

function make(name: DatasetName, config: Record<string, unknown>): Dataset {
  return createDynamic('dataset', name, config) as Dataset;
}

export function buildRunData(o: DataOptions): RunData {
  const clip = { resolution: o.resolution, seed: o.seed, ...(o.cacheDir ? { cacheDir: o.cacheDir } : {}) };
  const video = { ...clip, frames: o.frames };
  switch (o.dataset) {
    case 'synthetic': {
      // 256 train clips per epoch: fresh clips every epoch, so the length only sets the reshuffle period.
      const train = make('synthetic', { frames: o.frames, resolution: o.resolution, seed: o.seed, sampling: 'train', length: 256 });
      const evalSet = make('synthetic', { frames: o.frames, resolution: o.resolution, seed: o.seed, sampling: 'eval', length: o.evalClips });
      return { train, eval: evalSet, config: { name: 'synthetic', frames: o.frames, resolution: o.resolution, seed: o.seed, evalClips: o.evalClips } };
    }
    case 'ucf101': {
      const root = o.dataDir ? { root: o.dataDir } : {};
      const evalSet = make('ucf101', { ...root, ...video, subset: 'test', sampling: 'eval', limit: o.evalClips });
      let train: Dataset;
      try {
        train = make('ucf101', { ...root, ...video, subset: 'train', sampling: 'train' });
      } catch (e) {
        // A partial copy holding only test videos (e.g. a fixture): train on those rather than refuse to run.
        if (!(e instanceof DatasetError) || !/none of the/.test(e.message)) throw e;
        logger().warn('no UCF-101 train-list video is present; training on the test-list videos that are');
        train = make('ucf101', { ...root, ...video, subset: 'test', sampling: 'train' });
      }
      return { train, eval: evalSet, config: { name: 'ucf101', ...root, frames: o.frames, resolution: o.resolution, split: 1, seed: o.seed, evalClips: o.evalClips } };
    }
    case 'videos':
    case 'images': {
      if (!o.dataDir) throw new DatasetError(`--dataset ${o.dataset} needs --data-dir: the folder of ${o.dataset} to read`);
      const base = o.dataset === 'videos' ? { ...video, root: o.dataDir } : { ...clip, root: o.dataDir };
      const train = make(o.dataset, { ...base, sampling: 'train' });
      const evalSet = make(o.dataset, { ...base, sampling: 'eval', limit: o.evalClips });
      return { train, eval: evalSet, config: { name: o.dataset, root: o.dataDir, frames: o.dataset === 'videos' ? o.frames : 1, resolution: o.resolution, seed: o.seed, evalClips: o.evalClips } };
    }
  }
}
