/**
 * Comparing two quantizers on the synthetic data: the same encoder/decoder
 * (the vqgan preset), only the bottleneck differs, trained and scored under
 * one protocol, each with the token prior's bits/token (how hard its tokens
 * are to model) beside PSNR. Writes leaderboard.json/.md and index.html to OUT (required:
 * the example never picks a folder for you).
 *
 *   pnpm tsx examples/compare-quantizers.ts OUT [steps]
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readLeaderboard, type LeaderboardRow } from '@zoo/bench';
import { exampleArgs, zoo } from './cli-io.js';

export interface CompareOptions {
  /** Output folder (required). */
  out: string;
  quantizers?: readonly string[];
  steps?: number;
  frames?: number;
  resolution?: number;
  evalClips?: number;
  batch?: number;
  /** Token prior steps per tokenizer (prior bits/token column); default: the CLI's (60); 0 turns it off. */
  priorSteps?: number;
}

export async function main(o: CompareOptions): Promise<LeaderboardRow[]> {
  const out = o.out;
  await zoo([
    'tokenizers', '--dataset', 'synthetic', '--tokenizers', 'vqgan',
    '--quantizers', (o.quantizers ?? ['lfq', 'fsq']).join(','),
    '--steps', String(o.steps ?? 200), '--frames', String(o.frames ?? 8), '--resolution', String(o.resolution ?? 16),
    '--eval-clips', String(o.evalClips ?? 16), '--batch', String(o.batch ?? 4), '--out', out,
    ...(o.priorSteps === undefined ? [] : ['--prior-steps', String(o.priorSteps)]),
  ]);
  const rows = await readLeaderboard(join(out, 'leaderboard.json'));
  for (const r of rows) {
    console.log(`${r.tokenizer.padEnd(16)} PSNR ${r.metrics['psnr']?.toFixed(2)} dB  usage ${r.metrics['codebookUsage']?.toFixed(2) ?? 'n/a'}  perplexity ${r.metrics['perplexity']?.toFixed(1) ?? 'n/a'}  prior ${r.metrics['priorBitsPerToken']?.toFixed(3) ?? 'n/a'} bits/token`);
  }
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [out, steps] = exampleArgs('compare-quantizers.ts OUT [steps]', 1);
  await main({ out: out!, steps: Number(steps ?? 200) });
}
