/**
 * `zoo export`: a trained checkpoint -> encode.onnx + decode.onnx +
 * tokenizer.json, under the contract of onnx-codec.ts ([B, 3, T, H, W] in
 * [-1, 1] in, int32 indices between, the same out), weights baked in.
 *
 * The graphs are traced by @zoo/core's `exportOnnx`: the same evaluation
 * graphs the onnx engine runs for `tokenizerCodec`, minus the dataset-layout
 * conversion, with every variable as an initializer.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CHECKPOINT_FILES, exportOnnx, writeJsonAtomic } from '@zoo/core';
import { LATEST_CHECKPOINT, loadCheckpoint, loadLatestCheckpoint, type Checkpoint } from '../train/checkpoint.js';
import { importModelState } from '../train/model-state.js';
import { parseTokenizerSpec } from '../tokenizer/spec.js';
import { Tokenizer } from '../tokenizer/tokenizer.js';
import { ONNX_SIDECAR, type OnnxTokenizerInfo } from './onnx-codec.js';

export class ExportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExportError';
  }
}

export interface ExportOptions {
  /** A checkpoint folder (step-NNNNNNN) or a checkpoints folder holding latest.json. */
  checkpoint: string;
  out: string;
  /** Fixed batch size of the graphs. Default: the training batch (1 when the checkpoint does not record it). */
  batch?: number;
}

export interface ExportResult {
  encode: string;
  decode: string;
  info: OnnxTokenizerInfo & { batch: number; frames: number; resolution: number };
}

async function openCheckpoint(path: string): Promise<Checkpoint> {
  if (existsSync(join(path, LATEST_CHECKPOINT))) {
    const ck = await loadLatestCheckpoint(path);
    if (ck) return ck;
  }
  if (existsSync(join(path, CHECKPOINT_FILES.index))) return loadCheckpoint(path);
  throw new ExportError(
    `${path} is not a checkpoint: expected ${CHECKPOINT_FILES.index} (a step-NNNNNNN folder) or ${LATEST_CHECKPOINT} (a checkpoints folder)`,
  );
}

export async function exportTokenizer(o: ExportOptions): Promise<ExportResult> {
  const ck = await openCheckpoint(o.checkpoint);
  const meta = ck.meta as { spec?: unknown; train?: { batch?: number }; data?: { frames?: number; resolution?: number } };
  if (!meta.spec || !meta.data?.frames || !meta.data.resolution) {
    throw new ExportError(`checkpoint ${ck.dir} records no tokenizer spec or clip shape; it was not written by zoo tokenizers`);
  }
  const tokenizer = new Tokenizer(parseTokenizerSpec(meta.spec, `${ck.dir} spec`));
  importModelState(ck.model, tokenizer);
  tokenizer.eval();
  const batch = o.batch ?? meta.train?.batch ?? 1;
  const { frames, resolution } = meta.data;
  const encode = join(o.out, 'encode.onnx');
  const decode = join(o.out, 'decode.onnx');
  const { indices } = await exportOnnx(
    (ops, inp) => ({ indices: tokenizer.encode(ops, inp['video']!) }),
    { video: [batch, 3, frames, resolution, resolution] },
    encode,
  );
  // Clamped in-graph so the file meets the [-1, 1] output contract on its own.
  await exportOnnx((ops, inp) => ({ video: ops.clip(tokenizer.decode(ops, inp['indices']!), -1, 1) }), { indices: indices! }, decode);
  const rate = tokenizer.rateOf(indices!.shape);
  const info = { name: tokenizer.spec.name, codebookSize: rate.codebookSizes[0]!, levels: rate.codebookSizes.length, batch, frames, resolution };
  await writeJsonAtomic(join(o.out, ONNX_SIDECAR), info);
  return { encode, decode, info };
}
