/**
 * safetensors (huggingface/safetensors format): 8-byte little-endian header
 * length, a JSON header {name: {dtype, shape, data_offsets}}, then the raw
 * little-endian tensor bytes. F32 and I32 only, which is all checkpoints
 * hold. Kept local to the trainer because @zoo/core's io module was empty
 * when the trainer was written; files are byte-compatible with PyTorch's
 * `safetensors.torch.load_file`.
 */
import { readFile } from 'node:fs/promises';
import { HostTensor } from '@zoo/core';
import { CorruptFileError } from '../util/errors.js';

interface HeaderEntry {
  dtype: 'F32' | 'I32';
  shape: number[];
  data_offsets: [number, number];
}

export function encodeSafetensors(tensors: Record<string, HostTensor>, metadata: Record<string, string> = {}): Uint8Array {
  const names = Object.keys(tensors).sort();
  const header: Record<string, HeaderEntry | Record<string, string>> = { __metadata__: metadata };
  let offset = 0;
  for (const n of names) {
    const t = tensors[n]!;
    if (t.dtype === 'bool') throw new TypeError(`safetensors: tensor '${n}' is bool; only float32 and int32 are written`);
    const bytes = t.data.byteLength;
    header[n] = { dtype: t.dtype === 'float32' ? 'F32' : 'I32', shape: [...t.shape], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  // Pad the header with spaces to an 8-byte boundary (the format recommends it for aligned reads).
  json += ' '.repeat((8 - ((Buffer.byteLength(json) + 8) % 8)) % 8);
  const head = Buffer.from(json, 'utf8');
  const out = new Uint8Array(8 + head.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let at = 8 + head.length;
  for (const n of names) {
    const t = tensors[n]!;
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
}

export function decodeSafetensors(bytes: Uint8Array, where = 'safetensors'): Record<string, HostTensor> {
  if (bytes.length < 8) throw new CorruptFileError(where, `only ${bytes.length} bytes, not a safetensors file`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (8 + headerLen > bytes.length) throw new CorruptFileError(where, `header length ${headerLen} exceeds the file size ${bytes.length}`);
  let header: Record<string, HeaderEntry | Record<string, string>>;
  try {
    header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + headerLen)).toString('utf8')) as typeof header;
  } catch (e) {
    throw new CorruptFileError(where, `header is not JSON: ${(e as Error).message}`);
  }
  const base = 8 + headerLen;
  const out: Record<string, HostTensor> = {};
  for (const [name, e] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const { dtype, shape, data_offsets: [a, b] } = e as HeaderEntry;
    if (base + b > bytes.length) throw new CorruptFileError(where, `tensor '${name}' runs past the end of the file`);
    const slice = bytes.slice(base + a, base + b);
    if (dtype === 'F32') out[name] = new HostTensor(shape, new Float32Array(slice.buffer), 'float32');
    else if (dtype === 'I32') out[name] = new HostTensor(shape, new Int32Array(slice.buffer), 'int32');
    else throw new CorruptFileError(where, `tensor '${name}' has dtype ${String(dtype)}; only F32 and I32 are read`);
  }
  return out;
}

export async function readSafetensorsFile(path: string): Promise<Record<string, HostTensor>> {
  return decodeSafetensors(new Uint8Array(await readFile(path)), path);
}
