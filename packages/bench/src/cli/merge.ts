/**
 * `zoo merge`: combine the shards of a sweep (`--shard i/n` or `--shard auto`
 * runs) into one output directory: one complete sweep checked
 * (run/merge-shards.ts), rows deduplicated by run id (conflicting duplicates
 * are an error), artifacts copied, report rebuilt.
 */
import { cp } from 'node:fs/promises';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Argv } from 'yargs';
import { LEADERBOARD_JSON } from '../report/leaderboard-file.js';
import { collectSweep, type MergeOptions } from '../run/merge-shards.js';
import { writeJsonAtomic } from '@zoo/core';
import { writeRunReport } from '../run/report-assets.js';
import type { CliIo } from './io.js';

export async function mergeOutputs(inputs: readonly string[], out: string, opts: MergeOptions = {}): Promise<number> {
  const { rows, shards } = await collectSweep(inputs, opts);
  for (const input of inputs) {
    const dir = existsSync(input) && statSync(input).isDirectory() ? input : dirname(input);
    for (const row of rows) {
      const rel = typeof row['artifacts'] === 'string' ? row['artifacts'] : undefined;
      if (rel && existsSync(join(dir, rel)) && !existsSync(join(out, rel))) await cp(join(dir, rel), join(out, rel), { recursive: true });
    }
  }
  await writeJsonAtomic(join(out, LEADERBOARD_JSON), rows);
  const partial = shards && (shards.missing.length || shards.unfinished.length) ? ` — partial: ${shards.finished.length} of ${shards.count} shards finished` : '';
  await writeRunReport(out, { title: `Tokenizer leaderboard (merged${partial})` });
  return rows.length;
}

export function mergeCommand(y: Argv, io: CliIo): Argv {
  return y.command(
    'merge <inputs..>',
    "Combine a sweep's shards (output directories holding shards/ files or leaderboard.json, or leaderboard.json files) into one leaderboard",
    (b) =>
      b
        .positional('inputs', { type: 'string', array: true, describe: 'shard output directories or leaderboard.json files (one or more)', default: undefined })
        .option('out', { type: 'string', demandOption: true, describe: 'merged output directory (may be the shared output directory itself)' })
        .option('partial', { type: 'boolean', default: false, describe: 'merge even when shards are missing or unfinished (the title says partial)' })
        .example('$0 merge out-0 out-1 --out merged', 'merge two shards written to separate folders')
        .example('$0 merge /results/sweep --out /results/sweep', 'merge the shards of a cluster sweep in their shared folder'),
    async (args) => {
      const n = await mergeOutputs(args.inputs as string[], args.out, { partial: args.partial });
      io.out(`merged ${n} rows into ${join(args.out, LEADERBOARD_JSON)}`);
    },
  );
}
