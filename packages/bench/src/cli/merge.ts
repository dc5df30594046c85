/**
 * `zoo merge`: combine the leaderboards of several shards (`--shard i/n`
 * runs) into one output directory: rows deduplicated by run id (conflicting
 * duplicates are an error), artifacts copied, report rebuilt.
 */
import { cp } from 'node:fs/promises';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Argv } from 'yargs';
import { LEADERBOARD_JSON, mergeLeaderboards } from '../report/leaderboard-file.js';
import { writeJsonAtomic } from '@zoo/core';
import { writeRunReport } from '../run/report-assets.js';
import type { CliIo } from './io.js';

export async function mergeOutputs(inputs: readonly string[], out: string): Promise<number> {
  const rows = await mergeLeaderboards(inputs);
  for (const input of inputs) {
    const dir = existsSync(input) && statSync(input).isDirectory() ? input : dirname(input);
    for (const row of rows) {
      const rel = typeof row['artifacts'] === 'string' ? row['artifacts'] : undefined;
      if (rel && existsSync(join(dir, rel)) && !existsSync(join(out, rel))) await cp(join(dir, rel), join(out, rel), { recursive: true });
    }
  }
  await writeJsonAtomic(join(out, LEADERBOARD_JSON), rows);
  await writeRunReport(out, { title: 'Tokenizer leaderboard (merged)' });
  return rows.length;
}

export function mergeCommand(y: Argv, io: CliIo): Argv {
  return y.command(
    'merge <inputs..>',
    "Combine several shards' outputs (directories or leaderboard.json files) into one leaderboard",
    (b) =>
      b
        .positional('inputs', { type: 'string', array: true, describe: 'shard output directories or leaderboard.json files (one or more)', default: undefined })
        .option('out', { type: 'string', demandOption: true, describe: 'merged output directory' })
        .example('$0 merge out-0 out-1 --out merged', 'merge two shards'),
    async (args) => {
      const n = await mergeOutputs(args.inputs as string[], args.out);
      io.out(`merged ${n} rows into ${join(args.out, LEADERBOARD_JSON)}`);
    },
  );
}
