/**
 * The leaderboard on disk: `leaderboard.json` in a run's `--out` directory,
 * a JSON array of {@link LeaderboardRow}, appended to once per finished run
 * and rewritten atomically (see util/json-rows.ts).
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { appendRowAtomic, readJsonRows } from '../util/json-rows.js';
import { parseLeaderboardRow, type LeaderboardRow } from './leaderboard-row.js';

/** File names inside an output directory. */
export const LEADERBOARD_JSON = 'leaderboard.json';
export const LEADERBOARD_MD = 'leaderboard.md';
export const REPORT_HTML = 'index.html';

/** Rows of a leaderboard file, validated; `[]` if it does not exist yet. */
export function readLeaderboard(path: string): Promise<LeaderboardRow[]> {
  return readJsonRows(path, parseLeaderboardRow);
}

/** Thrown when a row's run config (`config.key`) is already in the leaderboard. */
export class DuplicateRunError extends Error {
  constructor(
    readonly path: string,
    readonly tokenizer: string,
    readonly existingRunId: string,
  ) {
    super(`${path} already holds a row of this run config for ${tokenizer} (run ${existingRunId}); not appending a second one`);
    this.name = 'DuplicateRunError';
  }
}

/**
 * Appends one finished run. The row is validated first; an existing file
 * that is corrupt is refused (CorruptFileError) and kept as it is, and a row
 * whose run config key is already present is refused (DuplicateRunError), so
 * the leaderboard never holds the same run twice.
 */
export function appendLeaderboardRow(path: string, row: LeaderboardRow): Promise<LeaderboardRow[]> {
  return appendRowAtomic(path, row, parseLeaderboardRow, (existing, r) => {
    const key = r.config['key'];
    const twin = key === undefined ? undefined : existing.find((e) => e.config['key'] === key);
    if (twin) throw new DuplicateRunError(path, r.tokenizer, twin.runId);
  });
}

export class LeaderboardMergeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LeaderboardMergeError';
  }
}

// Key-order-independent JSON, so the same row written by two shards compares equal.
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

async function leaderboardPath(path: string): Promise<string> {
  try {
    return (await stat(path)).isDirectory() ? join(path, LEADERBOARD_JSON) : path;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new LeaderboardMergeError(`cannot merge ${path}: no such file or directory`);
    }
    throw err;
  }
}

/**
 * Combines the rows of several shards' leaderboards (files, or `--out`
 * directories holding a leaderboard.json), in the order given. A run that
 * appears in several inputs with identical content is kept once; the same
 * runId with different content is a conflict and throws, naming both files,
 * since silently picking one would hide a real discrepancy; so do two runs
 * of the same run config (config.key), which a leaderboard never holds twice.
 */
export async function mergeLeaderboards(paths: readonly string[]): Promise<LeaderboardRow[]> {
  const seen = new Map<string, { file: string; key: string }>();
  const byConfig = new Map<string, { file: string; runId: string }>();
  const merged: LeaderboardRow[] = [];
  for (const input of paths) {
    const file = await leaderboardPath(input);
    const rows = await readJsonRows(file, parseLeaderboardRow);
    if (rows.length === 0) {
      // readJsonRows tolerates a missing file; for an explicit merge input that is an error
      await stat(file).catch(() => {
        throw new LeaderboardMergeError(`cannot merge ${input}: ${file} does not exist`);
      });
    }
    for (const row of rows) {
      const key = canonical(row);
      const prev = seen.get(row.runId);
      if (prev) {
        if (prev.key !== key) {
          throw new LeaderboardMergeError(
            `run ${row.runId} appears in ${prev.file} and ${file} with different contents; ` +
              'resolve it by removing one of the two rows',
          );
        }
        continue;
      }
      const configKey = row.config['key'];
      if (typeof configKey === 'string') {
        const twin = byConfig.get(configKey);
        if (twin) {
          throw new LeaderboardMergeError(
            `${row.tokenizer}: runs ${twin.runId} (${twin.file}) and ${row.runId} (${file}) have the same run config; ` +
              'the same unit ran twice (overlapping shards?): keep one of the two rows',
          );
        }
        byConfig.set(configKey, { file, runId: row.runId });
      }
      seen.set(row.runId, { file, key });
      merged.push(row);
    }
  }
  return merged;
}
