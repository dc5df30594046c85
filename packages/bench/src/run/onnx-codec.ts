/**
 * External tokenizers (`--tokenizers onnx:encode.onnx,decode.onnx`), run by
 * onnxruntime-node under this contract, which `zoo export` also writes:
 *
 * - encode.onnx: input 0 is float32 [B, 3, T, H, W], RGB in [-1, 1]
 *   (channels-first, frames on axis 2; images are T = 1); output 0 is the
 *   token indices, int32 or int64, [B, ...token grid] with an optional
 *   trailing axis of codebooks / residual levels.
 * - decode.onnx: input 0 takes encode's output 0 unchanged; output 0 is
 *   float32 [B, 3, T, H, W] in [-1, 1] (clamped before scoring).
 * - tokenizer.json beside encode.onnx (optional): { "name", "codebookSize",
 *   "levels", "batch" } — codebook size, the number of trailing codebook
 *   entries per position, and the graphs' fixed batch size; without it the
 *   codebook size is `--codebook-size` and the batch is free.
 *
 * Graphs with a fixed batch size are fed a padded last batch.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { ensureXdgRuntimeDir, HostTensor, providersOf, type OnnxDevice } from '@zoo/core';
import { TokenizerSpecError } from '../tokenizer/spec.js';
import type { Codec } from './codec.js';

export interface OnnxTokenizerInfo {
  name?: string;
  /** Fixed batch size of the graphs (inputs are fed in chunks of it); default: any. */
  batch?: number;
  codebookSize: number;
  /** Codebook entries per token position (a trailing index axis when > 1). Default 1. */
  levels?: number;
}

export const ONNX_SIDECAR = 'tokenizer.json';

function toModelLayout(x: HostTensor): Float32Array {
  const [b, t, h, w, c] = x.shape as [number, number, number, number, number];
  const out = new Float32Array(x.size);
  const src = x.data;
  for (let n = 0; n < b; n++)
    for (let f = 0; f < t; f++)
      for (let i = 0; i < h * w; i++)
        for (let k = 0; k < c; k++) out[(((n * c + k) * t + f) * h * w) + i] = src[((n * t + f) * h * w + i) * c + k]! * 2 - 1;
  return out;
}

function toPixelLayout(y: Float32Array, dims: readonly number[]): HostTensor {
  const [batch, c, t, h, w] = dims as [number, number, number, number, number];
  const out = new Float32Array(batch * t * h * w * c);
  for (let n = 0; n < batch; n++)
    for (let f = 0; f < t; f++)
      for (let i = 0; i < h * w; i++)
        for (let k = 0; k < c; k++) {
          const v = (y[(((n * c + k) * t + f) * h * w) + i]! + 1) * 0.5;
          out[((n * t + f) * h * w + i) * c + k] = Math.min(1, Math.max(0, v));
        }
  return new HostTensor([batch, t, h, w, c], out, 'float32');
}

/**
 * Typed arrays of onnxruntime's realm: under jest's VM modules a test-realm
 * Float32Array fails ort's instanceof checks, so buffers are re-viewed.
 */
const ORT_F32 = new ort.Tensor('float32', [0]).data.constructor as Float32ArrayConstructor;
const ORT_I32 = new ort.Tensor('int32', [0]).data.constructor as Int32ArrayConstructor;
const ORT_I64 = new ort.Tensor('int64', [0n]).data.constructor as BigInt64ArrayConstructor;

/**
 * Runs a graph of fixed batch `size` (any batch when undefined) over the `b`
 * equal-sized items of `input`: chunks of `size`, the last one
 * padded with copies of its last item, and the outputs of the real items
 * joined into `make(total)`.
 */
async function runInChunks<T extends Float32Array | Int32Array>(
  input: Float32Array | Int32Array,
  b: number,
  size: number | undefined,
  run: (chunk: Float32Array | Int32Array, n: number) => Promise<ort.Tensor>,
  make: (length: number) => T,
): Promise<{ data: T; dims: number[] }> {
  const per = input.length / b;
  const chunkSize = size ?? b;
  const outputs: { data: ArrayLike<number | bigint>; n: number }[] = [];
  let dims: readonly number[] = [];
  for (let i = 0; i < b; i += chunkSize) {
    const n = Math.min(chunkSize, b - i);
    const chunk = new (input.constructor as Float32ArrayConstructor)(per * chunkSize) as Float32Array | Int32Array;
    chunk.set(input.subarray(i * per, (i + n) * per));
    for (let j = n; j < chunkSize; j++) chunk.set(input.subarray((i + n - 1) * per, (i + n) * per), j * per);
    const y = await run(chunk, chunkSize);
    dims = y.dims;
    outputs.push({ data: y.data as ArrayLike<number | bigint>, n });
  }
  const outPer = dims.slice(1).reduce((a, d) => a * d, 1);
  const data = make(b * outPer);
  let at = 0;
  // Number() also narrows int64 indices, which the contract allows.
  for (const o of outputs) for (let i = 0; i < o.n * outPer; i++) data[at++] = Number(o.data[i]!);
  return { data, dims: [b, ...dims.slice(1)] };
}

function readSidecar(path: string): OnnxTokenizerInfo {
  let info: Partial<OnnxTokenizerInfo>;
  try {
    info = JSON.parse(readFileSync(path, 'utf8')) as Partial<OnnxTokenizerInfo>;
  } catch (e) {
    throw new TokenizerSpecError(`${path} is not valid JSON (${(e as Error).message})`);
  }
  const positiveInt = (v: unknown): boolean => Number.isInteger(v) && (v as number) > 0;
  if (!positiveInt(info.codebookSize) || (info.levels !== undefined && !positiveInt(info.levels)) || (info.batch !== undefined && !positiveInt(info.batch))) {
    throw new TokenizerSpecError(`${path}: codebookSize must be a positive integer, and levels and batch positive integers when given`);
  }
  return info as OnnxTokenizerInfo;
}

export async function loadOnnxCodec(encodePath: string, decodePath: string, opts: { device?: OnnxDevice; codebookSize: number }): Promise<Codec> {
  for (const p of [encodePath, decodePath]) if (!existsSync(p)) throw new TokenizerSpecError(`external tokenizer graph ${p} does not exist`);
  const sidecar = join(dirname(encodePath), ONNX_SIDECAR);
  const info = existsSync(sidecar) ? readSidecar(sidecar) : { codebookSize: opts.codebookSize };
  if (opts.device === 'webgpu') ensureXdgRuntimeDir();
  const providers = providersOf(opts.device ?? 'cpu');
  const enc = await ort.InferenceSession.create(encodePath, { executionProviders: providers });
  const dec = await ort.InferenceSession.create(decodePath, { executionProviders: providers });
  let indexType: 'int32' | 'int64' = 'int32';
  const levels = info.levels ?? 1;
  return {
    name: info.name ?? 'external',
    codebookSizes: () => new Array<number>(levels).fill(info.codebookSize),
    tokenShape: (s) => (levels > 1 ? s.slice(1, -1) : s.slice(1)),
    async encode(clips) {
      const [b, t, h, w, c] = clips.shape as [number, number, number, number, number];
      const { data, dims } = await runInChunks(toModelLayout(clips), b, info.batch, async (x, n) => {
        const feed = new ort.Tensor('float32', new ORT_F32(x.buffer as ArrayBuffer, x.byteOffset, x.length), [n, c, t, h, w]);
        const out = (await enc.run({ [enc.inputNames[0]!]: feed }))[enc.outputNames[0]!]!;
        indexType = out.type === 'int64' ? 'int64' : 'int32';
        return out;
      }, (len) => new Int32Array(len));
      return new HostTensor(dims, data, 'int32');
    },
    async decode(indices) {
      const { data, dims } = await runInChunks(indices.data as Int32Array, indices.shape[0]!, info.batch, async (ix, n) => {
        const shape = [n, ...indices.shape.slice(1)];
        const feed = indexType === 'int64'
          ? new ort.Tensor('int64', ORT_I64.from(ix as Int32Array, (v: number) => BigInt(v)), shape)
          : new ort.Tensor('int32', new ORT_I32(ix.buffer as ArrayBuffer, ix.byteOffset, ix.length), shape);
        return (await dec.run({ [dec.inputNames[0]!]: feed }))[dec.outputNames[0]!]!;
      }, (len) => new Float32Array(len));
      return toPixelLayout(data, dims);
    },
  };
}
