/**
 * UCF-101 (Soomro et al. 2012) read from its distributed layout:
 *
 *   <root>/UCF-101/<Class>/v_<Class>_gXX_cYY.avi        (UCF101.rar)
 *   <root>/ucfTrainTestlist/classInd.txt                  (UCF101TrainTestSplits-RecognitionTask.zip)
 *   <root>/ucfTrainTestlist/trainlist0{1,2,3}.txt         "Class/v_....avi <label>"
 *   <root>/ucfTrainTestlist/testlist0{1,2,3}.txt          "Class/v_....avi"
 *
 * Split files use CRLF line endings. Entries whose video is absent (a partial
 * copy) are counted as missing and skipped, never fatal. Videos are 320x240
 * (four are 400x226) at 25 or 29.97 fps; every frame is decoded and clips are
 * chosen by frame index, so the frame rate does not matter.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { logger } from '@zoo/core';
import { clipOptionFields } from './clip-options.js';
import { DatasetError } from './dataset.js';
import { VideoFileDataset, type WarnFn } from './video-file-dataset.js';

export const UCF101_DOWNLOAD = {
  videos: 'https://www.crcv.ucf.edu/data/UCF101/UCF101.rar',
  splits: 'https://www.crcv.ucf.edu/data/UCF101/UCF101TrainTestSplits-RecognitionTask.zip',
} as const;

export const ucf101Schema = z.object({
  /** Folder holding UCF-101/ and ucfTrainTestlist/ (default $ZOO_UCF101_ROOT or ./data/ucf101). */
  root: z.string().min(1).default(() => process.env.ZOO_UCF101_ROOT ?? 'data/ucf101'),
  /** Official split 1, 2 or 3 (default 1, the one papers report on). */
  split: z.union([z.literal(1), z.literal(2), z.literal(3)]).default(1),
  /** Which list: trainlist, testlist or both (default test). */
  subset: z.enum(['train', 'test', 'all']).default('test'),
  ...clipOptionFields,
});
export type Ucf101Config = z.infer<typeof ucf101Schema>;

export interface Ucf101Entry {
  /** Path as written in the split file, e.g. "ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01.avi". */
  relPath: string;
  /** 1-based class index from classInd.txt. */
  label: number;
}

function howToObtain(root: string): string {
  return (
    `Expected ${join(root, 'UCF-101')}/<Class>/v_<Class>_gXX_cYY.avi and ` +
    `${join(root, 'ucfTrainTestlist')}/{classInd,trainlist01..03,testlist01..03}.txt. ` +
    `Download ${UCF101_DOWNLOAD.videos} and ${UCF101_DOWNLOAD.splits}, then ` +
    `\`unrar x UCF101.rar ${root}/\` and \`unzip UCF101TrainTestSplits-RecognitionTask.zip -d ${root}/\` ` +
    `(or pass --root / root: the folder that holds both).`
  );
}

/** Accepts the folder holding both parts, or the UCF-101 folder itself when the lists sit next to it. */
export function locateUcf101Root(root: string): string {
  const abs = resolve(root);
  if (!existsSync(abs)) throw new DatasetError(`UCF-101 root ${abs} does not exist. ${howToObtain(abs)}`);
  if (!statSync(abs).isDirectory()) throw new DatasetError(`UCF-101 root ${abs} is not a directory. ${howToObtain(abs)}`);
  const has = (dir: string): boolean => existsSync(join(dir, 'UCF-101')) && existsSync(join(dir, 'ucfTrainTestlist'));
  if (has(abs)) return abs;
  if (basename(abs) === 'UCF-101' && has(dirname(abs))) return dirname(abs);
  const found = ['UCF-101', 'ucfTrainTestlist'].filter((d) => existsSync(join(abs, d)));
  throw new DatasetError(
    `${abs} has no UCF-101 layout (found: ${found.length ? found.join(', ') : 'neither UCF-101/ nor ucfTrainTestlist/'}). ` +
      howToObtain(abs),
  );
}

function readLines(path: string): string[] {
  if (!existsSync(path)) throw new DatasetError(`UCF-101 split file ${path} is missing; ${howToObtain(dirname(dirname(path)))}`);
  return readFileSync(path, 'utf8')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

/** classInd.txt: "1 ApplyEyeMakeup" per line -> class name to 1-based index. */
export function readClassIndex(listDir: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of readLines(join(listDir, 'classInd.txt'))) {
    const [idx, name] = line.split(/\s+/);
    const n = Number(idx);
    if (!name || !Number.isInteger(n)) throw new DatasetError(`classInd.txt: cannot parse line "${line}"`);
    out.set(name, n);
  }
  return out;
}

/** The entries of one split list; test lists carry no label, so it comes from the class folder. */
export function readSplit(listDir: string, split: 1 | 2 | 3, which: 'train' | 'test'): Ucf101Entry[] {
  const classes = readClassIndex(listDir);
  const file = join(listDir, `${which}list0${split}.txt`);
  return readLines(file).map((line) => {
    const [relPath, label] = line.split(/\s+/) as [string, string | undefined];
    const cls = relPath.split('/')[0] ?? '';
    const fromFolder = classes.get(cls);
    const n = label !== undefined ? Number(label) : fromFolder;
    if (n === undefined || !Number.isInteger(n)) {
      throw new DatasetError(`${file}: cannot find the class of "${line}" (class "${cls}" is not in classInd.txt)`);
    }
    return { relPath, label: n };
  });
}

export class Ucf101Dataset extends VideoFileDataset {
  readonly root: string;
  readonly entries: readonly Ucf101Entry[];

  constructor(config: Ucf101Config, warn?: WarnFn) {
    const root = locateUcf101Root(config.root);
    const listDir = join(root, 'ucfTrainTestlist');
    const subsets: ('train' | 'test')[] = config.subset === 'all' ? ['train', 'test'] : [config.subset];
    const listed = subsets.flatMap((s) => readSplit(listDir, config.split, s));
    const present: Ucf101Entry[] = [];
    for (const e of listed) if (existsSync(join(root, 'UCF-101', e.relPath))) present.push(e);
    const used = config.limit !== undefined ? present.slice(0, config.limit) : present;
    const files = used.map((e) => join(root, 'UCF-101', e.relPath));
    super('ucf101', files, { listed: listed.length, missing: listed.length - present.length }, config, warn);
    this.root = root;
    this.entries = used;
    if (present.length === 0) {
      throw new DatasetError(
        `none of the ${listed.length} videos of UCF-101 split ${config.split} (${config.subset}) is present under ` +
          `${join(root, 'UCF-101')}. ${howToObtain(root)}`,
      );
    }
    // Debug level: a partial copy is normal (tests, subsets); the counts are in stats() / summary() for reports.
    if (this.stats().missing > 0) {
      logger().debug({ root, split: config.split, subset: config.subset, missing: this.stats().missing }, this.summary());
    }
  }
}
