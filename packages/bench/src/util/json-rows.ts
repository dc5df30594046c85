/**
 * Append-only JSON row files: a file holding one JSON array, one element per
 * finished run. Appending reads the array, adds the row and rewrites the file
 * atomically, so a crash mid-append leaves the previous complete file.
 *
 * A missing file is an empty list. A file that exists but is not a JSON array
 * (or whose rows fail validation) is refused with {@link CorruptFileError} and
 * left on disk untouched: rewriting it would destroy the finished runs it may
 * still hold.
 *
 * Appends from one process to the same path are serialised; separate
 * processes must write separate files (the bench gives each shard its own
 * `--out`, and `zoo merge` combines them).
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { writeJsonAtomic } from '@zoo/core';
import { CorruptFileError } from './errors.js';

/** Validates one row read back from disk; throws (any Error) to reject it. */
export type RowParser<T> = (value: unknown, index: number) => T;

/** Reads all rows; `[]` when the file does not exist. */
export async function readJsonRows<T = unknown>(path: string, parse?: RowParser<T>): Promise<T[]> {
  const raw = await readRawRows(path);
  return parse ? validateRows(path, raw, parse) : (raw as T[]);
}

async function readRawRows(path: string): Promise<unknown[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new CorruptFileError(path, `not valid JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(value)) {
    throw new CorruptFileError(path, `expected a JSON array of rows, got ${value === null ? 'null' : typeof value}`);
  }
  return value;
}

function validateRows<T>(path: string, raw: unknown[], parse: RowParser<T>): T[] {
  return raw.map((row, i) => {
    try {
      return parse(row, i);
    } catch (err) {
      throw new CorruptFileError(path, `row ${i} is invalid: ${(err as Error).message}`);
    }
  });
}

const pending = new Map<string, Promise<unknown>>();

/**
 * Appends `row` and returns every row now in the file (parsed). Existing rows
 * are validated with `parse` before anything is written, and so is the new
 * row (its error is thrown as is: the file is fine, the row is not). Rows are
 * written back exactly as read, so fields a newer writer added survive.
 */
export async function appendRowAtomic<T>(
  path: string,
  row: T,
  parse?: RowParser<T>,
  /** Checked against the rows already in the file; throws to refuse the append (nothing is written). */
  guard?: (existing: readonly T[], row: T) => void,
): Promise<T[]> {
  const key = resolve(path);
  const previous = pending.get(key) ?? Promise.resolve();
  const next = previous
    .catch(() => undefined)
    .then(async () => {
      const raw = await readRawRows(path);
      const parsed = parse ? validateRows(path, raw, parse) : (raw as T[]);
      const checked = parse ? parse(row, raw.length) : row;
      guard?.(parsed, checked);
      await writeJsonAtomic(path, [...raw, row]);
      return [...parsed, checked];
    });
  pending.set(key, next);
  try {
    return await next;
  } finally {
    if (pending.get(key) === next) pending.delete(key);
  }
}
