/**
 * `videos`: every video file under a folder (recursively), one clip per file
 * per epoch, decoded with ffmpeg like UCF-101. For a custom or Kinetics-style
 * collection without split files; `heldOut` / `part` split it by file into
 * disjoint train and eval parts (see held-out.ts).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { z } from 'zod';
import { clipOptionFields } from './clip-options.js';
import { DatasetError } from './dataset.js';
import { heldOutFields, heldOutPart } from './held-out.js';
import { VideoFileDataset, type WarnFn } from './video-file-dataset.js';

/** Container extensions picked up (lower-case comparison). */
export const VIDEO_EXTENSIONS = ['.mp4', '.avi', '.webm', '.mkv', '.mov', '.m4v'] as const;

export const videoFolderSchema = z.object({
  /** Folder searched recursively for video files (required). */
  root: z.string().min(1),
  ...clipOptionFields,
  ...heldOutFields,
});
export type VideoFolderConfig = z.infer<typeof videoFolderSchema>;

/** Files under `dir` whose extension is in `exts`, sorted so the order is the same on every machine. */
export function listFiles(dir: string, exts: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const ent of readdirSync(d, { withFileTypes: true })) {
      if (ent.name.startsWith('.')) continue;
      const p = join(d, ent.name);
      if (ent.isDirectory()) walk(p);
      else if (exts.includes(extname(ent.name).toLowerCase())) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

export function checkFolder(root: string, what: string): string {
  const abs = resolve(root);
  if (!existsSync(abs) || !statSync(abs).isDirectory()) {
    throw new DatasetError(`${what} folder ${abs} does not exist or is not a directory`);
  }
  return abs;
}

export class VideoFolderDataset extends VideoFileDataset {
  constructor(config: VideoFolderConfig, warn?: WarnFn) {
    const abs = checkFolder(config.root, 'videos');
    const all = listFiles(abs, VIDEO_EXTENSIONS);
    if (all.length === 0) {
      throw new DatasetError(`no video files (${VIDEO_EXTENSIONS.join(', ')}) under ${abs}`);
    }
    const mine = heldOutPart(all, abs, config.heldOut, config.part);
    super('videos', config.limit !== undefined ? mine.slice(0, config.limit) : mine, { listed: mine.length, missing: 0 }, config, warn);
  }
}
