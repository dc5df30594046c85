/**
 * `zoo export`: a trained checkpoint -> encode.onnx + decode.onnx +
 * tokenizer.json, under the contract of onnx-codec.ts ([B, 3, T, H, W] in
 * [-1, 1] in, int32 indices between, the same out), weights baked in.
 *
 * The graphs are the onnx engine's own traced evaluation graphs: @zoo/core
 * does not expose its serializer, so the model bytes the engine hands to
 * onnxruntime while compiling are captured (InferenceSession.create is
 * wrapped for the duration of one call), then the weights, which the engine
 * feeds as inputs, are added as initializers (onnx-bake.ts).
 */
import { existsSync } from 'node:fs';
import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { createEngine, HostTensor, type Engine, type Tensor } from '@zoo/core';
import { loadCheckpoint, loadLatestCheckpoint, type Checkpoint } from '../train/checkpoint.js';
import { importModelState } from '../train/model-state.js';
import { parseTokenizerSpec } from '../tokenizer/spec.js';
import { Tokenizer } from '../tokenizer/tokenizer.js';
import { writeJsonAtomic } from '@zoo/core';
import { addInitializers, graphInputNames } from './onnx-bake.js';
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
  /** Fixed batch size of the graphs. Default: the training batch. */
  batch?: number;
}

export interface ExportResult {
  encode: string;
  decode: string;
  info: OnnxTokenizerInfo & { batch: number; frames: number; resolution: number };
}

/** Runs `fn` while recording the ONNX models onnxruntime sessions are created from. */
async function captureModels(fn: () => Promise<unknown>): Promise<Uint8Array[]> {
  const cls = ort.InferenceSession as unknown as { create: (...a: unknown[]) => Promise<unknown> };
  const original = cls.create;
  const seen: Uint8Array[] = [];
  cls.create = (...args: unknown[]) => {
    if (args[0] instanceof Uint8Array || ArrayBuffer.isView(args[0])) seen.push(Uint8Array.from(args[0] as Uint8Array));
    return original.apply(cls, args);
  };
  try {
    await fn();
  } finally {
    cls.create = original;
  }
  return seen;
}

async function openCheckpoint(path: string): Promise<Checkpoint> {
  if (existsSync(join(path, 'latest.json'))) return (await loadLatestCheckpoint(path))!;
  if (existsSync(join(path, 'state.json'))) return loadCheckpoint(path);
  throw new ExportError(`${path} is not a checkpoint: expected state.json (a step-NNNNNNN folder) or latest.json (a checkpoints folder)`);
}

export async function exportTokenizer(o: ExportOptions, engine?: Engine): Promise<ExportResult> {
  const ck = await openCheckpoint(o.checkpoint);
  const meta = ck.meta as { spec?: unknown; train?: { batch?: number }; data?: { frames?: number; resolution?: number } };
  if (!meta.spec || !meta.data?.frames || !meta.data.resolution) {
    throw new ExportError(`checkpoint ${ck.dir} has no tokenizer spec or clip shape in its state.json; it was not written by zoo tokenizers`);
  }
  const tokenizer = new Tokenizer(parseTokenizerSpec(meta.spec, `${ck.dir}/state.json spec`));
  importModelState(ck.model, tokenizer);
  tokenizer.eval();
  const batch = o.batch ?? meta.train?.batch ?? 1;
  const { frames, resolution } = meta.data;
  const own = engine ?? (await createEngine({ engine: 'onnx' }));
  if (own.name !== 'onnx') throw new ExportError('export traces graphs with the onnx engine; got the tfjs engine');
  try {
    const video = HostTensor.zeros([batch, 3, frames, resolution, resolution]);
    const enc = own.compile<{ video: HostTensor }, { indices: Tensor }>((ops, inp) => ({ indices: tokenizer.encode(ops, inp.video) }));
    let indices: HostTensor | undefined;
    const [encModel] = await captureModels(async () => (indices = (await enc.run({ video })).indices));
    const dec = own.compile<{ indices: HostTensor }, { video: Tensor }>((ops, inp) => ({ video: ops.clip(tokenizer.decode(ops, inp.indices), -1, 1) }));
    const [decModel] = await captureModels(async () => dec.run({ indices: indices! }));
    if (!encModel || !decModel) throw new ExportError('the onnx engine compiled no new graph to capture (was this tokenizer exported in this process already?)');
    const weights = new Map(tokenizer.namedVariables().map(([k, v]) => [`var:${k}`, v.value as HostTensor] as const));
    await mkdir(o.out, { recursive: true });
    const encode = join(o.out, 'encode.onnx');
    const decode = join(o.out, 'decode.onnx');
    // Only the weights each graph reads: the others would be dead initializers.
    const bake = (model: Uint8Array): Uint8Array => {
      const inputs = new Set(graphInputNames(model));
      return addInitializers(model, new Map([...weights].filter(([k]) => inputs.has(k))));
    };
    await writeFile(encode, bake(encModel));
    await writeFile(decode, bake(decModel));
    const rate = tokenizer.rateOf(indices!.shape);
    const info = { name: tokenizer.spec.name, codebookSize: rate.codebookSizes[0]!, levels: rate.codebookSizes.length, batch, frames, resolution };
    await writeJsonAtomic(join(o.out, ONNX_SIDECAR), info);
    return { encode, decode, info };
  } finally {
    if (!engine) await own.dispose();
  }
}
