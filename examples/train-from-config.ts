/**
 * Training one tokenizer from a JSON config and exporting it to ONNX. The
 * config names registry components (encoder, quantizer, decoder, optional
 * discriminator) and the loss recipe; see configs/tiny-causal-lfq.json.
 * The export (encode.onnx, decode.onnx, tokenizer.json) follows the contract
 * in `zoo export --help` and can be benchmarked with
 * `--tokenizers onnx:encode.onnx,decode.onnx` (evaluate-onnx-tokenizer.ts).
 *
 *   pnpm tsx examples/train-from-config.ts OUT [config.json] [steps]
 */
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { readFileSync } from 'node:fs';
import { exampleArgs, zoo } from './cli-io.js';

export interface TrainFromConfigOptions {
  config?: string;
  /** Output folder (required). */
  out: string;
  steps?: number;
  frames?: number;
  resolution?: number;
  evalClips?: number;
  batch?: number;
  /** Token prior steps (prior bits/token column); default: the CLI's (60); 0 turns it off. */
  priorSteps?: number;
}

export const DEFAULT_CONFIG = join(dirname(fileURLToPath(import.meta.url)), 'configs', 'tiny-causal-lfq.json');

export async function main(o: TrainFromConfigOptions): Promise<{ encode: string; decode: string; out: string }> {
  const config = o.config ?? DEFAULT_CONFIG;
  const out = o.out;
  const name = (JSON.parse(readFileSync(config, 'utf8')) as { name: string }).name;
  await zoo([
    'tokenizers', '--config', config, '--steps', String(o.steps ?? 200), '--frames', String(o.frames ?? 9),
    '--resolution', String(o.resolution ?? 16), '--eval-clips', String(o.evalClips ?? 8), '--batch', String(o.batch ?? 4), '--out', out,
    ...(o.priorSteps === undefined ? [] : ['--prior-steps', String(o.priorSteps)]),
  ]);
  const exportDir = join(out, 'export');
  await zoo(['export', '--checkpoint', join(out, 'checkpoints', name), '--out', exportDir]);
  return { encode: join(exportDir, 'encode.onnx'), decode: join(exportDir, 'decode.onnx'), out };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [out, config, steps] = exampleArgs('train-from-config.ts OUT [config.json] [steps]', 1);
  await main({ out: out!, config: config ?? DEFAULT_CONFIG, steps: Number(steps ?? 200) });
}
