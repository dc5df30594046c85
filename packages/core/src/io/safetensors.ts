/**
 * The safetensors format (huggingface/safetensors), read and written without
 * native code:
 *   8 bytes  little-endian u64 N, the header length
 *   N bytes  UTF-8 JSON: { "__metadata__"?: {str: str},
 *                          name: { dtype, shape, data_offsets: [begin, end] } }
 *            padded with spaces so the data starts 8-byte aligned
 *   rest     the tensors' bytes, little-endian, offsets relative to here;
 *            the buffer must be covered exactly, without holes or overlaps.
 * Written like the reference (Rust) writer: tensors ordered by dtype size
 * (largest first) then name, so every tensor is naturally aligned, and the
 * header lists `__metadata__` first and the tensors in data order.
 *
 * HostTensor holds float32 / int32 / bool, so reading widens or narrows:
 * F16, BF16, F64 → float32; I8, I16, U8, U16, I64 → int32 (I64 values
 * outside the int32 range are an error, not a silent wrap); BOOL → bool.
 */
import { readFile } from 'node:fs/promises';
import { endianness } from 'node:os';
import { HostTensor, sizeOf, type DType } from '../tensor.js';
import { writeFileAtomic } from './atomic.js';

export class SafetensorsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SafetensorsError';
  }
}

export type SafetensorsMetadata = Record<string, string>;

/** Bytes per element of each safetensors dtype this reader understands. */
const DTYPE_BYTES = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U16: 2, U8: 1, BOOL: 1 } as const;
type StDType = keyof typeof DTYPE_BYTES;
const WRITE_DTYPE: Record<DType, StDType> = { float32: 'F32', int32: 'I32', bool: 'BOOL' };

/**
 * On little-endian hosts F32/I32 bytes are copied as is: faster, and NaN
 * payloads survive (a float read through DataView may be canonicalized).
 */
const LITTLE_ENDIAN = endianness() === 'LE';

/** The reference implementation's limit on header size (guards against garbage lengths). */
const MAX_HEADER_BYTES = 100_000_000;

interface Entry {
  dtype: StDType;
  shape: number[];
  data_offsets: [number, number];
}

export interface ParsedSafetensors {
  tensors: Record<string, HostTensor>;
  metadata: SafetensorsMetadata;
}

/** Parses a whole safetensors file held in memory. */
export function parseSafetensors(bytes: Uint8Array, source = 'safetensors data'): ParsedSafetensors {
  if (bytes.length < 8) throw new SafetensorsError(`${source}: ${bytes.length} bytes is too short for the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  if (n > MAX_HEADER_BYTES || 8 + n > bytes.length) {
    throw new SafetensorsError(`${source}: header length ${n} does not fit in a ${bytes.length}-byte file (limit ${MAX_HEADER_BYTES})`);
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    throw new SafetensorsError(`${source}: header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (!isRecord(header)) throw new SafetensorsError(`${source}: header must be a JSON object`);
  const dataStart = 8 + n;
  const dataLen = bytes.length - dataStart;
  const metadata = parseMetadata(header['__metadata__'], source);
  const entries = Object.entries(header)
    .filter(([k]) => k !== '__metadata__')
    .map(([name, e]) => [name, checkEntry(name, e, dataLen, source)] as const);
  checkCoverage(entries, dataLen, source);
  const tensors: Record<string, HostTensor> = {};
  for (const [name, e] of entries) {
    tensors[name] = decode(name, e, new DataView(bytes.buffer, bytes.byteOffset + dataStart + e.data_offsets[0], e.data_offsets[1] - e.data_offsets[0]), source);
  }
  return { tensors, metadata };
}

/** Reads a safetensors file (path) or buffer into HostTensors. */
export async function readSafetensors(src: string | Uint8Array): Promise<Record<string, HostTensor>> {
  return (await readSafetensorsWithMetadata(src)).tensors;
}

export async function readSafetensorsWithMetadata(src: string | Uint8Array): Promise<ParsedSafetensors> {
  if (typeof src !== 'string') return parseSafetensors(src);
  return parseSafetensors(await readFile(src), src);
}

/** Serializes tensors (and string metadata) to safetensors bytes. */
export function encodeSafetensors(tensors: Record<string, HostTensor>, metadata?: SafetensorsMetadata): Uint8Array {
  const names = Object.keys(tensors);
  if (names.includes('__metadata__')) throw new SafetensorsError("'__metadata__' is reserved and cannot be a tensor name");
  const order = names.sort((a, b) => {
    const d = DTYPE_BYTES[WRITE_DTYPE[tensors[b]!.dtype]] - DTYPE_BYTES[WRITE_DTYPE[tensors[a]!.dtype]];
    return d !== 0 ? d : a < b ? -1 : a > b ? 1 : 0;
  });
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header['__metadata__'] = parseMetadata(metadata, 'metadata');
  let offset = 0;
  for (const name of order) {
    const t = tensors[name]!;
    const size = t.size * DTYPE_BYTES[WRITE_DTYPE[t.dtype]];
    header[name] = { dtype: WRITE_DTYPE[t.dtype], shape: t.shape, data_offsets: [offset, offset + size] };
    offset += size;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = json.length + ((8 - (json.length % 8)) % 8);
  const out = new Uint8Array(8 + padded + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + padded);
  let p = 8 + padded;
  for (const name of order) {
    const t = tensors[name]!;
    if (LITTLE_ENDIAN && t.dtype !== 'bool') {
      out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), p);
      p += t.data.byteLength;
    } else if (t.dtype === 'float32') for (const v of t.data as Float32Array) (view.setFloat32(p, v, true), (p += 4));
    else if (t.dtype === 'int32') for (const v of t.data as Int32Array) (view.setInt32(p, v, true), (p += 4));
    else for (const v of t.data) out[p++] = v ? 1 : 0;
  }
  return out;
}

/** Writes a safetensors file atomically (temp file in the same dir, fsync, rename). */
export async function writeSafetensors(path: string, tensors: Record<string, HostTensor>, metadata?: SafetensorsMetadata): Promise<void> {
  await writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function parseMetadata(m: unknown, source: string): SafetensorsMetadata {
  if (m === undefined) return {};
  if (!isRecord(m) || Object.values(m).some((v) => typeof v !== 'string')) {
    throw new SafetensorsError(`${source}: __metadata__ must map strings to strings`);
  }
  return { ...(m as SafetensorsMetadata) };
}

function checkEntry(name: string, e: unknown, dataLen: number, source: string): Entry {
  const where = `${source}: tensor '${name}'`;
  if (!isRecord(e)) throw new SafetensorsError(`${where}: entry must be an object with dtype, shape, data_offsets`);
  const { dtype, shape, data_offsets: off } = e;
  if (typeof dtype !== 'string' || !(dtype in DTYPE_BYTES)) {
    throw new SafetensorsError(`${where}: unsupported dtype ${JSON.stringify(dtype)} (supported: ${Object.keys(DTYPE_BYTES).join(', ')})`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new SafetensorsError(`${where}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  if (!Array.isArray(off) || off.length !== 2 || !off.every((o) => Number.isInteger(o) && o >= 0) || off[0] > off[1] || off[1] > dataLen) {
    throw new SafetensorsError(`${where}: data_offsets ${JSON.stringify(off)} must be [begin, end] within the ${dataLen}-byte data buffer`);
  }
  const want = sizeOf(shape as number[]) * DTYPE_BYTES[dtype as StDType];
  if (off[1] - off[0] !== want) {
    throw new SafetensorsError(`${where}: ${dtype} [${shape.join(', ')}] needs ${want} bytes, data_offsets span ${off[1] - off[0]}`);
  }
  return { dtype: dtype as StDType, shape: shape as number[], data_offsets: [off[0], off[1]] };
}

/** The format forbids holes and overlaps: sorted by offset, the tensors tile the buffer. */
function checkCoverage(entries: readonly (readonly [string, Entry])[], dataLen: number, source: string): void {
  const sorted = [...entries].sort((a, b) => a[1].data_offsets[0] - b[1].data_offsets[0] || a[1].data_offsets[1] - b[1].data_offsets[1]);
  let at = 0;
  for (const [name, e] of sorted) {
    if (e.data_offsets[0] !== at) {
      throw new SafetensorsError(`${source}: tensor '${name}' starts at byte ${e.data_offsets[0]}, expected ${at} (data must be contiguous, without holes or overlaps)`);
    }
    at = e.data_offsets[1];
  }
  if (at !== dataLen) throw new SafetensorsError(`${source}: tensors cover ${at} of ${dataLen} data bytes (trailing bytes are not allowed)`);
}

function decode(name: string, e: Entry, v: DataView, source: string): HostTensor {
  const n = sizeOf(e.shape);
  if (LITTLE_ENDIAN && (e.dtype === 'F32' || e.dtype === 'I32')) {
    // Copy into a fresh, aligned buffer (the file's offsets need not be 4-byte aligned in memory).
    const raw = new Uint8Array(v.buffer, v.byteOffset, v.byteLength).slice();
    return e.dtype === 'F32' ? new HostTensor(e.shape, new Float32Array(raw.buffer), 'float32') : new HostTensor(e.shape, new Int32Array(raw.buffer), 'int32');
  }
  switch (e.dtype) {
    case 'F32':
    case 'F64':
    case 'F16':
    case 'BF16': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = readFloat(e.dtype, v, i);
      return new HostTensor(e.shape, out, 'float32');
    }
    case 'BOOL': {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = v.getUint8(i) ? 1 : 0;
      return new HostTensor(e.shape, out, 'bool');
    }
    default: {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = readInt(e.dtype, v, i, () => `${source}: tensor '${name}' (I64) element ${i}`);
      return new HostTensor(e.shape, out, 'int32');
    }
  }
}

function readFloat(dtype: 'F32' | 'F64' | 'F16' | 'BF16', v: DataView, i: number): number {
  if (dtype === 'F32') return v.getFloat32(4 * i, true);
  if (dtype === 'F64') return v.getFloat64(8 * i, true);
  if (dtype === 'F16') return halfToFloat(v.getUint16(2 * i, true));
  return bf16ToFloat(v.getUint16(2 * i, true));
}

function readInt(dtype: StDType, v: DataView, i: number, where: () => string): number {
  switch (dtype) {
    case 'I32':
      return v.getInt32(4 * i, true);
    case 'I16':
      return v.getInt16(2 * i, true);
    case 'I8':
      return v.getInt8(i);
    case 'U16':
      return v.getUint16(2 * i, true);
    case 'U8':
      return v.getUint8(i);
    default: {
      const b = v.getBigInt64(8 * i, true);
      if (b > 2147483647n || b < -2147483648n) throw new SafetensorsError(`${where()}: value ${b} is outside the int32 range`);
      return Number(b);
    }
  }
}

/** IEEE 754 binary16 → number (subnormals, infinities and NaN included). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

const bfScratch = new DataView(new ArrayBuffer(4));
/** bfloat16 is the top half of a float32. */
export function bf16ToFloat(b: number): number {
  bfScratch.setUint32(0, b << 16);
  return bfScratch.getFloat32(0);
}
