/**
 * PyTorch checkpoints (`torch.save`: the zip format of PyTorch >= 1.6, and
 * the legacy format before it) read without
 * Python: `<root>/data.pkl` is unpickled with a fixed allow-list of globals
 * (tensor rebuild functions, storage types, dtypes, OrderedDict, and a few
 * inert Lightning names), and each tensor's bytes are read from
 * `<root>/data/<key>` only when the state dict asks for it. A Lightning
 * checkpoint's `state_dict` is found inside it.
 *
 * Dtypes follow HostTensor, like the safetensors reader: float64/16 and
 * bfloat16 → float32; int64/32/16/8 and uint8 → int32 (int64 outside the
 * int32 range is an error); bool → bool. Non-contiguous tensors are gathered
 * by their strides.
 *
 * Every failure (not a zip, truncated, a hostile or unknown global, a
 * missing storage) is a TorchCheckpointError naming the file; its `cause` is
 * the ZipError / PickleError underneath.
 */
import { createHash } from 'node:crypto';
import { HostTensor, sizeOf, type DType, type HostData } from '../tensor.js';
import { PickleError, PickleGlobalError, PyDict, PyTuple, opaqueGlobal, unpickle, unpickleAt, type PyGlobal } from './pickle.js';
import { bf16ToFloat, halfToFloat } from './safetensors.js';
import { ZipError, ZipReader, bytesSource, fileSource, type ByteSource } from './zip.js';

export class TorchCheckpointError extends Error {
  /** The refused global, when that is what went wrong. */
  readonly refusedGlobal: string | undefined;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TorchCheckpointError';
    this.refusedGlobal = options?.cause instanceof PickleGlobalError ? options.cause.global : undefined;
  }
}

type TorchDType = 'float32' | 'float64' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';
const BYTES: Record<TorchDType, number> = { float32: 4, float64: 8, float16: 2, bfloat16: 2, int64: 8, int32: 4, int16: 2, int8: 1, uint8: 1, bool: 1 };
const STORAGE_TYPES: Record<string, TorchDType> = {
  FloatStorage: 'float32',
  DoubleStorage: 'float64',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
};
const DTYPE_NAMES = ['float32', 'float', 'float64', 'double', 'float16', 'half', 'bfloat16', 'int64', 'long', 'int32', 'int', 'int16', 'int8', 'uint8', 'bool'];

/**
 * Globals that are allowed but kept opaque (never interpreted): what
 * PyTorch Lightning 1.x pickles beside the state dict (callback classes as
 * dict keys, hyper-parameter containers). Extend with `opaqueGlobals`.
 */
export const DEFAULT_OPAQUE_GLOBALS: readonly string[] = [
  'pytorch_lightning.callbacks.model_checkpoint.ModelCheckpoint',
  'pytorch_lightning.callbacks.early_stopping.EarlyStopping',
  'pytorch_lightning.callbacks.lr_monitor.LearningRateMonitor',
  'lightning.pytorch.callbacks.model_checkpoint.ModelCheckpoint',
  'argparse.Namespace',
];
const DICT_GLOBALS = ['collections.OrderedDict', 'pytorch_lightning.utilities.parsing.AttributeDict', 'lightning.fabric.utilities.data.AttributeDict'];

class StorageType implements PyGlobal {
  constructor(
    readonly name: string,
    readonly dtype: TorchDType,
  ) {}
  call(): never {
    throw new PickleError(`${this.name} cannot be called`);
  }
}

interface StorageRef {
  key: string;
  dtype: TorchDType;
  numel: number;
}

/** A tensor in the pickle, not yet read: its storage and view. */
export class TorchTensorRef {
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly shape: number[],
    readonly stride: number[],
  ) {}
  get dtype(): string {
    return this.storage.dtype;
  }
}

export interface TorchLoadOptions {
  /** Extra "module.Name" globals to accept as inert objects (never interpreted). Default none beyond DEFAULT_OPAQUE_GLOBALS. */
  opaqueGlobals?: readonly string[];
}

export interface TorchCheckpoint {
  /** The unpickled object: PyDict for dicts, PyTuple, arrays, TorchTensorRef for tensors. */
  object: unknown;
  /** The state dict: `state_dict` of a Lightning checkpoint, else the top-level dict of tensors. */
  stateDict: Record<string, HostTensor>;
  /** sha256 of the whole file, hex. */
  sha256: string;
}

/** Reads a torch.save file (path or bytes) and materializes its state dict. */
export async function readTorchCheckpoint(src: string | Uint8Array, opts: TorchLoadOptions = {}): Promise<TorchCheckpoint> {
  const label = typeof src === 'string' ? src : 'torch checkpoint';
  let source: ByteSource;
  try {
    source = typeof src === 'string' ? await fileSource(src) : bytesSource(src);
  } catch (e) {
    throw new TorchCheckpointError(`${label}: cannot open (${(e as Error).message})`, { cause: e });
  }
  try {
    const sha256 = await hashSource(source);
    const head = await source.read(0, LEGACY_MAGIC.length);
    if (head.length === LEGACY_MAGIC.length && head.every((b, i) => b === LEGACY_MAGIC[i])) {
      const { object, stateDict } = readLegacy(await source.read(0, source.size), label, opts);
      return { object, stateDict, sha256 };
    }
    const zip = await ZipReader.open(source, label);
    const pkl = [...zip.entries.keys()].find((n) => /^[^/]+\/data\.pkl$/.test(n));
    if (!pkl) throw new TorchCheckpointError(`${label}: a ZIP archive without <root>/data.pkl is not a torch.save checkpoint`);
    const root = pkl.slice(0, -'data.pkl'.length);
    const byteorder = zip.entries.has(`${root}byteorder`) ? new TextDecoder().decode(await zip.read(`${root}byteorder`)).trim() : 'little';
    if (byteorder !== 'little') throw new TorchCheckpointError(`${label}: byteorder '${byteorder}' is not supported (only little-endian)`);
    const object = unpickle(await zip.read(pkl), {
      source: label,
      findGlobal: allowList(opts.opaqueGlobals ?? []),
      persistentLoad: (pid) => storageRef(pid),
    });
    const refs = findStateDict(object, label);
    const storages = new Map<string, Uint8Array>();
    const stateDict: Record<string, HostTensor> = {};
    for (const [k, ref] of refs) {
      let bytes = storages.get(ref.storage.key);
      if (!bytes) {
        const name = `${root}data/${ref.storage.key}`;
        if (!zip.entries.has(name)) throw new TorchCheckpointError(`${label}: storage ${name} of ${k} is missing`);
        bytes = await zip.read(name);
        storages.set(ref.storage.key, bytes);
      }
      stateDict[k] = materialize(ref, bytes, `${label}: ${k}`);
    }
    return { object, stateDict, sha256 };
  } catch (e) {
    if (e instanceof TorchCheckpointError) throw e;
    if (e instanceof ZipError || e instanceof PickleError) throw new TorchCheckpointError(e.message, { cause: e });
    throw e;
  } finally {
    await source.close();
  }
}

/** pickle of torch's legacy MAGIC_NUMBER 0x1950a86a20f9469cfc6c (protocol 2, LONG1, STOP). */
const LEGACY_MAGIC = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e];

/**
 * The pre-1.6 format (`_use_new_zipfile_serialization=False`): pickles of
 * the magic number, protocol version 1001 and sys_info, then the object,
 * then the sorted list of storage keys; then each storage as an int64
 * element count and its raw bytes, in that order.
 */
function readLegacy(bytes: Uint8Array, label: string, opts: TorchLoadOptions): { object: unknown; stateDict: Record<string, HostTensor> } {
  const base = { source: label, findGlobal: allowList(opts.opaqueGlobals ?? []) };
  let pos = LEGACY_MAGIC.length;
  const version = unpickleAt(bytes, pos, base);
  if (version.value !== 1001) throw new TorchCheckpointError(`${label}: legacy torch.save protocol ${String(version.value)}, expected 1001`);
  pos = unpickleAt(bytes, version.end, base).end; // sys_info
  // Every storage the object names, with its dtype: storages outside the state dict (optimizer state) must be skipped by size.
  const dtypeOf = new Map<string, TorchDType>();
  const main = unpickleAt(bytes, pos, {
    ...base,
    persistentLoad: (pid) => {
      const r = storageRef(pid);
      dtypeOf.set(r.key, r.dtype);
      return r;
    },
  });
  const keys = unpickleAt(bytes, main.end, base);
  if (!Array.isArray(keys.value) || !keys.value.every((k) => typeof k === 'string')) throw new TorchCheckpointError(`${label}: legacy storage key list is malformed`);
  const refs = findStateDict(main.value, label);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const storages = new Map<string, Uint8Array>();
  pos = keys.end;
  for (const key of keys.value as string[]) {
    if (pos + 8 > bytes.length) throw new TorchCheckpointError(`${label}: truncated: storage ${key} starts past the end of the file`);
    const numel = Number(view.getBigInt64(pos, true));
    const dtype = dtypeOf.get(key);
    if (!dtype) throw new TorchCheckpointError(`${label}: legacy storage ${key} is not referenced by the object`);
    const size = numel * BYTES[dtype];
    if (pos + 8 + size > bytes.length) throw new TorchCheckpointError(`${label}: truncated: storage ${key} needs ${size} bytes at ${pos + 8}, the file has ${bytes.length}`);
    storages.set(key, bytes.subarray(pos + 8, pos + 8 + size));
    pos += 8 + size;
  }
  const stateDict: Record<string, HostTensor> = {};
  for (const [k, ref] of refs) {
    const b = storages.get(ref.storage.key);
    if (!b) throw new TorchCheckpointError(`${label}: storage ${ref.storage.key} of ${k} is missing`);
    stateDict[k] = materialize(ref, b, `${label}: ${k}`);
  }
  return { object: main.value, stateDict };
}

async function hashSource(src: ByteSource): Promise<string> {
  const h = createHash('sha256');
  const chunk = 1 << 24;
  for (let p = 0; p < src.size; p += chunk) h.update(await src.read(p, Math.min(chunk, src.size - p)));
  return h.digest('hex');
}

function allowList(extraOpaque: readonly string[]): (q: string) => PyGlobal | undefined {
  const opaque = new Set([...DEFAULT_OPAQUE_GLOBALS, ...extraOpaque]);
  return (q) => {
    if (q === 'torch._utils._rebuild_tensor_v2' || q === 'torch._utils._rebuild_tensor') return { name: q, call: rebuildTensor };
    if (q === 'torch._utils._rebuild_parameter' || q === 'torch._utils._rebuild_parameter_with_state') {
      return { name: q, call: (args) => args[0] };
    }
    if (DICT_GLOBALS.includes(q)) return { name: q, call: (args) => dictFrom(args[0]) };
    if (q === 'torch.device') return { name: q, call: (args) => String(args[0]) };
    const m = /^torch\.(\w+)$/.exec(q);
    if (m && STORAGE_TYPES[m[1]!]) return new StorageType(q, STORAGE_TYPES[m[1]!]!);
    if (m && DTYPE_NAMES.includes(m[1]!)) return { name: q, call: () => m[1] };
    if (opaque.has(q)) return opaqueGlobal(q);
    return undefined;
  };
}

function dictFrom(items: unknown): PyDict {
  const d = new PyDict();
  if (Array.isArray(items)) {
    for (const kv of items) if (Array.isArray(kv) && kv.length === 2) d.set(kv[0], kv[1]);
  }
  return d;
}

function storageRef(pid: unknown): StorageRef {
  if (!(pid instanceof PyTuple) || pid[0] !== 'storage') throw new PickleError(`unknown persistent id ${JSON.stringify(pid)}`);
  const [, type, key, , numel] = pid;
  if (!(type instanceof StorageType)) throw new PickleError('storage persistent id without a storage type');
  if (typeof key !== 'string' || !/^\w+$/.test(key) || typeof numel !== 'number') throw new PickleError(`malformed storage persistent id for key ${String(key)}`);
  return { key, dtype: type.dtype, numel };
}

function rebuildTensor(args: unknown[]): TorchTensorRef {
  const [storage, offset, size, stride] = args;
  const ints = (x: unknown): x is number[] => Array.isArray(x) && x.every((v) => Number.isInteger(v) && v >= 0);
  if (typeof storage !== 'object' || storage === null || !('key' in storage) || !Number.isInteger(offset) || !ints(size) || !ints(stride) || size.length !== stride.length) {
    throw new PickleError('_rebuild_tensor_v2 with malformed arguments');
  }
  return new TorchTensorRef(storage as StorageRef, offset as number, [...size], [...stride]);
}

function findStateDict(obj: unknown, label: string): [string, TorchTensorRef][] {
  const tensorsOf = (d: PyDict): [string, TorchTensorRef][] | undefined => {
    const out: [string, TorchTensorRef][] = [];
    for (const [k, v] of d) {
      if (typeof k !== 'string' || !(v instanceof TorchTensorRef)) return undefined;
      out.push([k, v]);
    }
    return out;
  };
  if (obj instanceof PyDict) {
    const inner = obj.get('state_dict');
    if (inner instanceof PyDict) {
      const t = tensorsOf(inner);
      if (t) return t;
    }
    const t = tensorsOf(obj);
    if (t && t.length) return t;
    const keys = [...obj.keys()].map(String).slice(0, 20);
    throw new TorchCheckpointError(`${label}: found no state dict: the top-level dict (keys ${keys.join(', ')}) is neither a dict of tensors nor has a 'state_dict' entry of tensors`);
  }
  throw new TorchCheckpointError(`${label}: the checkpoint holds ${describe(obj)}, not a dict (a state dict or a Lightning checkpoint)`);
}

function describe(x: unknown): string {
  if (x instanceof TorchTensorRef) return 'a single tensor';
  if (Array.isArray(x)) return 'a list or tuple';
  return typeof x;
}

function materialize(ref: TorchTensorRef, bytes: Uint8Array, where: string): HostTensor {
  const { dtype, numel } = ref.storage;
  const eb = BYTES[dtype];
  if (bytes.length !== numel * eb) throw new TorchCheckpointError(`${where}: storage has ${bytes.length} bytes, expected ${numel} x ${eb}`);
  const n = sizeOf(ref.shape);
  // A stride-0 view may name more elements than its storage holds; past 2^31 it is garbage, not a model.
  if (n > 2 ** 31 - 1) throw new TorchCheckpointError(`${where}: shape [${ref.shape.join(', ')}] has ${n} elements, more than a tensor can hold here`);
  let maxIndex = ref.offset;
  ref.shape.forEach((d, i) => (maxIndex += d > 0 ? (d - 1) * ref.stride[i]! : 0));
  if (n > 0 && maxIndex >= numel) throw new TorchCheckpointError(`${where}: view reaches element ${maxIndex} of a ${numel}-element storage`);
  const out: DType = dtype === 'bool' ? 'bool' : dtype.startsWith('float') || dtype === 'bfloat16' ? 'float32' : 'int32';
  if ((dtype === 'float32' || dtype === 'int32') && isContiguous(ref)) {
    // The common case, copied as bytes (also keeps NaN payloads).
    const copy = bytes.slice(ref.offset * 4, (ref.offset + n) * 4);
    const arr = dtype === 'float32' ? new Float32Array(copy.buffer) : new Int32Array(copy.buffer);
    return new HostTensor(ref.shape, arr as Float32Array, out);
  }
  const data: HostData = out === 'float32' ? new Float32Array(n) : out === 'int32' ? new Int32Array(n) : new Uint8Array(n);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const get = reader(dtype, view, where);
  // Walk the view in row-major order via an odometer over its strides.
  const rank = ref.shape.length;
  const idx = new Array<number>(rank).fill(0);
  let src = ref.offset;
  for (let i = 0; i < n; i++) {
    data[i] = get(src);
    for (let a = rank - 1; a >= 0; a--) {
      idx[a]!++;
      src += ref.stride[a]!;
      if (idx[a]! < ref.shape[a]!) break;
      src -= idx[a]! * ref.stride[a]!;
      idx[a] = 0;
    }
  }
  return new HostTensor(ref.shape, data as Float32Array, out);
}

function isContiguous(ref: TorchTensorRef): boolean {
  let expect = 1;
  for (let a = ref.shape.length - 1; a >= 0; a--) {
    if (ref.shape[a]! !== 1 && ref.stride[a] !== expect) return false;
    expect *= ref.shape[a]!;
  }
  return true;
}

function reader(dtype: TorchDType, v: DataView, where: string): (i: number) => number {
  switch (dtype) {
    case 'float32': return (i) => v.getFloat32(4 * i, true);
    case 'float64': return (i) => v.getFloat64(8 * i, true);
    case 'float16': return (i) => halfToFloat(v.getUint16(2 * i, true));
    case 'bfloat16': return (i) => bf16ToFloat(v.getUint16(2 * i, true));
    case 'int32': return (i) => v.getInt32(4 * i, true);
    case 'int16': return (i) => v.getInt16(2 * i, true);
    case 'int8': return (i) => v.getInt8(i);
    case 'uint8': return (i) => v.getUint8(i);
    case 'bool': return (i) => (v.getUint8(i) ? 1 : 0);
    case 'int64': return (i) => {
      const x = v.getBigInt64(8 * i, true);
      if (x > 2147483647n || x < -2147483648n) throw new TorchCheckpointError(`${where}: int64 value ${x} does not fit int32`);
      return Number(x);
    };
  }
}
