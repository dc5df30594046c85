/**
 * `zoo export`: a trained checkpoint (or a published one, `--pretrained
 * KIND:PATH`) -> encode.onnx + decode.onnx +
 * tokenizer.json, under the contract of onnx-codec.ts ([B, 3, T, H, W] in
 * [-1, 1] in, int32 indices between, the same out), weights baked in.
 *
 * The graphs are traced by @zoo/core's `exportOnnx`: the same evaluation
 * graphs the onnx engine runs for `tokenizerCodec`, minus the dataset-layout
 * conversion, with every variable as an initializer.
 */
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { CHECKPOINT_FILES, exportOnnx, writeJsonAtomic, type Ops, type Tensor } from '@zoo/core';
import { loadPretrained, parsePretrainedArg, PRETRAINED_PREFIX } from '../pretrained/load.js';
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
  const batch = o.batch ?? meta.train?.batch ?? 1;
  return writeGraphs(tokenizer, tokenizer.spec.name, { batch, frames: meta.data.frames, resolution: meta.data.resolution }, o.out);
}

export interface PretrainedExportOptions {
  /** `KIND:PATH` (as after `pretrained:` in --tokenizers). */
  pretrained: string;
  out: string;
  /** Fixed batch size of the graphs. Default 1. */
  batch?: number;
  /** Frames per clip. Default 1 (an image tokenizer). */
  frames?: number;
  /** Clip height and width. Default 256 (the resolution the public checkpoints were trained at). */
  resolution?: number;
}

/** A published checkpoint (`pretrained:KIND:PATH`) as encode.onnx + decode.onnx + tokenizer.json. */
export async function exportPretrained(o: PretrainedExportOptions): Promise<ExportResult> {
  const ref = parsePretrainedArg(`${PRETRAINED_PREFIX}${o.pretrained}`);
  const { model } = await loadPretrained(ref);
  const shape = { batch: o.batch ?? 1, frames: o.frames ?? 1, resolution: o.resolution ?? 256 };
  return writeGraphs(model, `${ref.kind}:${basename(ref.path)}`, shape, o.out);
}

interface GraphModel {
  encode(ops: Ops, x: Tensor): Tensor;
  decode(ops: Ops, indices: Tensor): Tensor;
  rateOf(indexShape: readonly number[]): { codebookSizes: number[] };
  eval(): unknown;
}

async function writeGraphs(
  model: GraphModel,
  name: string,
  shape: { batch: number; frames: number; resolution: number },
  out: string,
): Promise<ExportResult> {
  model.eval();
  const { batch, frames, resolution } = shape;
  const encode = join(out, 'encode.onnx');
  const decode = join(out, 'decode.onnx');
  const { indices } = await exportOnnx(
    (ops, inp) => ({ indices: model.encode(ops, inp['video']!) }),
    { video: [batch, 3, frames, resolution, resolution] },
    encode,
  );
  // Clamped in-graph so the file meets the [-1, 1] output contract on its own.
  await exportOnnx((ops, inp) => ({ video: ops.clip(model.decode(ops, inp['indices']!), -1, 1) }), { indices: indices! }, decode);
  const rate = model.rateOf(indices!.shape);
  const info = { name, codebookSize: rate.codebookSizes[0]!, levels: rate.codebookSizes.length, batch, frames, resolution };
  await writeJsonAtomic(join(out, ONNX_SIDECAR), info);
  return { encode, decode, info };
}
