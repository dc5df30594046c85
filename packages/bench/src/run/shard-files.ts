/**
 * What a shard of a sweep writes, so that every shard can share one output
 * folder (a cluster volume) without clobbering another:
 *
 *   OUT/shards/shard-<i>-of-<n>.leaderboard.json   its rows (append-only, atomic)
 *   OUT/shards/shard-<i>-of-<n>.json               its state: the run config, its units,
 *                                                  started / finished times
 *
 * Checkpoints (`OUT/checkpoints/<unit>`) and artifacts (`OUT/artifacts/<runId>`)
 * are per unit and per run already. Shards write no leaderboard.json, .md or
 * index.html: `zoo merge` builds those once every shard has finished, and
 * refuses shards of different run configs or an incomplete set.
 * An unsharded run (n = 1) writes OUT/leaderboard.json directly, as before.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJsonAtomic } from '@zoo/core';
import { LEADERBOARD_JSON } from '../report/leaderboard-file.js';
import type { RunOptions } from './options.js';
import type { Shard } from './shard.js';

export const SHARDS_DIR = 'shards';

export interface ShardState {
  schemaVersion: 1;
  shard: { index: number; count: number };
  /** The options every shard of one sweep must share (shard, output and cache paths left out). */
  runConfig: Record<string, unknown>;
  /** sha256 of runConfig, compared by `zoo merge`. */
  runConfigKey: string;
  /** The work units this shard runs, in order. */
  units: string[];
  startedAt: string;
  /** null until the shard finished every unit. */
  finishedAt: string | null;
  gitRevision: string;
}

const tag = (s: Pick<Shard, 'index' | 'count'>): string => `shard-${s.index}-of-${s.count}`;

/** Where a run's rows go: OUT/leaderboard.json unsharded, the shard's own file otherwise. */
export function rowsPathOf(out: string, s: Pick<Shard, 'index' | 'count'>): string {
  return s.count === 1 ? join(out, LEADERBOARD_JSON) : join(out, SHARDS_DIR, `${tag(s)}.leaderboard.json`);
}

export function statePathOf(out: string, s: Pick<Shard, 'index' | 'count'>): string {
  return join(out, SHARDS_DIR, `${tag(s)}.json`);
}

const NOT_RUN_CONFIG = new Set(['shard', 'shardCount', 'out', 'resume', 'cacheDir']);

/** The options that make two shards parts of the same sweep. */
export function runConfigOf(o: RunOptions): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([k, v]) => !NOT_RUN_CONFIG.has(k) && v !== undefined).sort(([a], [b]) => (a < b ? -1 : 1)));
}

export function runConfigKey(runConfig: Record<string, unknown>): string {
  return createHash('sha256').update(JSON.stringify(runConfig)).digest('hex').slice(0, 16);
}

export async function readShardState(path: string): Promise<ShardState | undefined> {
  if (!existsSync(path)) return undefined;
  return JSON.parse(await readFile(path, 'utf8')) as ShardState;
}

export function writeShardState(path: string, state: ShardState): Promise<void> {
  return writeJsonAtomic(path, state);
}

/** The shard states and row files found in an output folder. */
export async function shardFilesIn(dir: string): Promise<{ states: { path: string; state: ShardState }[]; rowFiles: string[] }> {
  const sd = join(dir, SHARDS_DIR);
  if (!existsSync(sd)) return { states: [], rowFiles: [] };
  const names = (await readdir(sd)).sort();
  const states: { path: string; state: ShardState }[] = [];
  for (const n of names.filter((x) => /^shard-\d+-of-\d+\.json$/.test(x))) {
    const state = await readShardState(join(sd, n));
    if (state) states.push({ path: join(sd, n), state });
  }
  return { states, rowFiles: names.filter((x) => /^shard-\d+-of-\d+\.leaderboard\.json$/.test(x)).map((x) => join(sd, x)) };
}
