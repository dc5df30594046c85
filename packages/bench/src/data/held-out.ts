/**
 * A deterministic train / eval split by file for folders without split files
 * (`videos`, `images`): the `heldOut` files with the smallest SHA-256 of their
 * path relative to the root are the eval part, every other file the train
 * part. A file's side depends only on its own name and the count, not on
 * the machine, the listing order or the clip options, so two runs over the
 * same folder score on the same files, and no eval file is ever trained on.
 */
import { createHash } from 'node:crypto';
import { relative, sep } from 'node:path';
import { z } from 'zod';
import { DatasetError } from './dataset.js';

export const heldOutFields = {
  /** Files held out as the eval part (default 0: no split). */
  heldOut: z.number().int().min(0).default(0),
  /** Which part to read: `all` files, the `train` part or the held-out `eval` part (default all). */
  part: z.enum(['all', 'train', 'eval']).default('all'),
};
export type FolderPart = 'all' | 'train' | 'eval';

function rank(root: string, file: string): string {
  return createHash('sha256').update(relative(root, file).split(sep).join('/')).digest('hex');
}

/** The files of `part` (in the given order), holding out `heldOut` of them for evaluation. */
export function heldOutPart(files: readonly string[], root: string, heldOut: number, part: FolderPart): string[] {
  if (part === 'all') return [...files];
  if (heldOut < 1 || heldOut >= files.length) {
    throw new DatasetError(
      `cannot hold out ${heldOut} of the ${files.length} files under ${root} for evaluation: ` +
        'need at least one file on each side (heldOut between 1 and the file count - 1)',
    );
  }
  const evalSet = new Set([...files].sort((a, b) => (rank(root, a) < rank(root, b) ? -1 : 1)).slice(0, heldOut));
  return files.filter((f) => evalSet.has(f) === (part === 'eval'));
}
