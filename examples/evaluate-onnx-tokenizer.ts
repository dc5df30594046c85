/**
 * Evaluating an external ONNX tokenizer (exported from PyTorch, or by
 * `zoo export`) under the zoo's protocol, next to the mean-frame baseline.
 * The graphs must follow the contract of `zoo export --help`:
 * encode.onnx: float32 [B, 3, T, H, W] in [-1, 1] -> int indices [B, ...];
 * decode.onnx: those indices -> float32 [B, 3, T, H, W] in [-1, 1];
 * optional tokenizer.json beside them: { name, codebookSize, levels, batch }.
 *
 *   pnpm tsx examples/evaluate-onnx-tokenizer.ts encode.onnx decode.onnx OUT
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readLeaderboard, type LeaderboardRow } from '@zoo/bench';
import { exampleArgs, zoo } from './cli-io.js';

export interface EvaluateOnnxOptions {
  encode: string;
  decode: string;
  /** Output folder (required). */
  out: string;
  frames?: number;
  resolution?: number;
  evalClips?: number;
  batch?: number;
  /** Token prior steps (prior bits/token column); default: the CLI's (60); 0 turns it off. */
  priorSteps?: number;
  dataset?: string;
  dataDir?: string;
}

export async function main(o: EvaluateOnnxOptions): Promise<LeaderboardRow[]> {
  const out = o.out;
  await zoo([
    'tokenizers', '--tokenizers', `onnx:${o.encode},${o.decode}`, '--dataset', o.dataset ?? 'synthetic',
    ...(o.dataDir ? ['--data-dir', o.dataDir] : []),
    '--frames', String(o.frames ?? 9), '--resolution', String(o.resolution ?? 16), '--eval-clips', String(o.evalClips ?? 8),
    '--batch', String(o.batch ?? 4), '--out', out,
    ...(o.priorSteps === undefined ? [] : ['--prior-steps', String(o.priorSteps)]),
  ]);
  return readLeaderboard(join(out, 'leaderboard.json'));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [encode, decode, out] = exampleArgs('evaluate-onnx-tokenizer.ts ENCODE.onnx DECODE.onnx OUT', 3);
  await main({ encode: encode!, decode: decode!, out: out! });
}
