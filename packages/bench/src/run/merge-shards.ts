/**
 * `zoo merge`: the rows of every shard (and any leaderboard.json) found in
 * the inputs, checked to be one complete sweep: every shard state in them
 * has the same run config, and shards 0..n-1 are all present and finished.
 * Otherwise it refuses, naming the differing options or the missing and
 * unfinished shards (`partial` merges what is there, for a look mid-sweep).
 */
import { existsSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { join } from 'node:path';
import { LEADERBOARD_JSON, LeaderboardMergeError, mergeLeaderboards } from '../report/leaderboard-file.js';
import type { LeaderboardRow } from '../report/leaderboard-row.js';
import { describeConfigDifference } from './config-diff.js';
import { shardFilesIn, type ShardState } from './shard-files.js';

export interface MergeOptions {
  /** Merge an incomplete set of shards (the report's title says so). Default false. */
  partial?: boolean;
}

export interface MergedSweep {
  rows: LeaderboardRow[];
  /** Shards expected and the indices present and finished (undefined without shard states). */
  shards?: { count: number; finished: number[]; missing: number[]; unfinished: number[] };
}

function checkOneSweep(states: { path: string; state: ShardState }[]): void {
  const [first, ...rest] = states;
  for (const s of rest) {
    if (s.state.runConfigKey !== first!.state.runConfigKey || s.state.shard.count !== first!.state.shard.count) {
      const what = s.state.shard.count !== first!.state.shard.count
        ? `shard counts ${first!.state.shard.count} vs ${s.state.shard.count}`
        : describeConfigDifference(first!.state.runConfig, s.state.runConfig);
      throw new LeaderboardMergeError(
        `${first!.path} and ${s.path} are shards of different runs (${what}); merge only the shards of one sweep`,
      );
    }
  }
}

export async function collectSweep(inputs: readonly string[], opts: MergeOptions = {}): Promise<MergedSweep> {
  const files: string[] = [];
  const states: { path: string; state: ShardState }[] = [];
  for (const input of inputs) {
    if (!existsSync(input)) throw new LeaderboardMergeError(`cannot merge ${input}: no such file or directory`);
    if (!statSync(input).isDirectory()) {
      files.push(input);
      continue;
    }
    const found = await shardFilesIn(input);
    states.push(...found.states);
    if (existsSync(join(input, LEADERBOARD_JSON))) files.push(join(input, LEADERBOARD_JSON));
    files.push(...found.rowFiles);
    if (!found.rowFiles.length && !found.states.length && !existsSync(join(input, LEADERBOARD_JSON))) {
      throw new LeaderboardMergeError(`cannot merge ${input}: it holds neither ${LEADERBOARD_JSON} nor shard files (shards/shard-I-of-N.*)`);
    }
  }
  let shards: MergedSweep['shards'];
  if (states.length) {
    checkOneSweep(states);
    const count = states[0]!.state.shard.count;
    const byIndex = new Map(states.map((s) => [s.state.shard.index, s.state]));
    const idx = Array.from({ length: count }, (_, i) => i);
    const missing = idx.filter((i) => !byIndex.has(i));
    const unfinished = idx.filter((i) => byIndex.has(i) && !byIndex.get(i)!.finishedAt);
    shards = { count, missing, unfinished, finished: idx.filter((i) => byIndex.get(i)?.finishedAt) };
    if ((missing.length || unfinished.length) && !opts.partial) {
      const parts = [
        missing.length ? `shard${missing.length > 1 ? 's' : ''} ${missing.join(', ')} of ${count} missing (no state file in ${inputs.map((i) => basename(i)).join(', ')})` : '',
        unfinished.length ? `shard${unfinished.length > 1 ? 's' : ''} ${unfinished.join(', ')} of ${count} did not finish (rerun ${unfinished.length > 1 ? 'their commands' : 'its command'} with --resume)` : '',
      ].filter(Boolean);
      throw new LeaderboardMergeError(`incomplete sweep: ${parts.join('; ')}. Pass --partial to merge what is there.`);
    }
  }
  const rows = await mergeLeaderboards(files);
  return shards ? { rows, shards } : { rows };
}
