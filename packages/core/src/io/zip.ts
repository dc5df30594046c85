/**
 * A minimal ZIP reader for torch.save archives: the central directory
 * (ZIP64 included, as torch writes for large files), stored entries (what
 * torch's writer emits, with padding in the local extra field to align
 * storages) and deflated ones (for archives repacked by other tools).
 * Entries are read on demand from a file handle, so a multi-GB checkpoint is
 * never held in memory twice. CRCs are not checked; sizes and bounds are.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { inflateRawSync } from 'node:zlib';

export class ZipError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ZipError';
  }
}

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

/** Random access to the archive's bytes. */
export interface ByteSource {
  readonly size: number;
  read(pos: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

export function bytesSource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    read: async (pos, length) => bytes.subarray(pos, pos + length),
    close: async () => {},
  };
}

export async function fileSource(path: string): Promise<ByteSource> {
  const fh: FileHandle = await open(path, 'r');
  const { size } = await fh.stat();
  return {
    size,
    read: async (pos, length) => {
      const buf = new Uint8Array(length);
      const { bytesRead } = await fh.read(buf, 0, length, pos);
      return buf.subarray(0, bytesRead);
    },
    close: () => fh.close(),
  };
}

const SIG_EOCD = 0x06054b50;
const SIG_EOCD64 = 0x06064b50;
const SIG_LOC64 = 0x07064b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_LOCAL = 0x04034b50;

export class ZipReader {
  private constructor(
    private readonly src: ByteSource,
    readonly entries: Map<string, ZipEntry>,
    private readonly label: string,
  ) {}

  /** Reads the central directory; ZipError if `src` is not a complete ZIP archive. */
  static async open(src: ByteSource, label = 'zip'): Promise<ZipReader> {
    const fail = (what: string): never => {
      throw new ZipError(`${label}: ${what}`);
    };
    if (src.size < 22) fail(`${src.size} bytes is too short for a ZIP archive`);
    const tailLen = Math.min(src.size, 22 + 0xffff);
    const tailStart = src.size - tailLen;
    const tail = await src.read(tailStart, tailLen);
    const tv = dv(tail);
    let eocd = -1;
    for (let i = tail.length - 22; i >= 0; i--) {
      if (tv.getUint32(i, true) === SIG_EOCD) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) fail('no end-of-central-directory record (truncated, or not a ZIP archive)');
    let count = tv.getUint16(eocd + 10, true);
    let cdSize = tv.getUint32(eocd + 12, true);
    let cdOffset = tv.getUint32(eocd + 16, true);
    if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
      const loc = eocd - 20;
      if (loc < 0 || tv.getUint32(loc, true) !== SIG_LOC64) fail('ZIP64 locator missing');
      const e64pos = num64(tv, loc + 8);
      const e64 = await src.read(e64pos, 56);
      const ev = dv(e64);
      if (e64.length < 56 || ev.getUint32(0, true) !== SIG_EOCD64) fail('ZIP64 end-of-central-directory record missing');
      count = num64(ev, 32);
      cdSize = num64(ev, 40);
      cdOffset = num64(ev, 48);
    }
    if (cdOffset + cdSize > src.size) fail(`central directory [${cdOffset}, +${cdSize}) lies outside the ${src.size}-byte file (truncated?)`);
    const cd = await src.read(cdOffset, cdSize);
    const cv = dv(cd);
    const entries = new Map<string, ZipEntry>();
    const dec = new TextDecoder('utf-8');
    let p = 0;
    for (let k = 0; k < count; k++) {
      if (p + 46 > cd.length || cv.getUint32(p, true) !== SIG_CENTRAL) fail(`central directory entry ${k} is corrupt`);
      const method = cv.getUint16(p + 10, true);
      let compressedSize = cv.getUint32(p + 20, true);
      let size = cv.getUint32(p + 24, true);
      const nameLen = cv.getUint16(p + 28, true);
      const extraLen = cv.getUint16(p + 30, true);
      const commentLen = cv.getUint16(p + 32, true);
      let localHeaderOffset = cv.getUint32(p + 42, true);
      const name = dec.decode(cd.subarray(p + 46, p + 46 + nameLen));
      // ZIP64 extra field (id 1): the 64-bit values of the fields saturated above, in this order.
      let e = p + 46 + nameLen;
      const eEnd = e + extraLen;
      while (e + 4 <= eEnd) {
        const id = cv.getUint16(e, true);
        const len = cv.getUint16(e + 2, true);
        if (id === 1) {
          let q = e + 4;
          if (size === 0xffffffff) (size = num64(cv, q)), (q += 8);
          if (compressedSize === 0xffffffff) (compressedSize = num64(cv, q)), (q += 8);
          if (localHeaderOffset === 0xffffffff) localHeaderOffset = num64(cv, q);
        }
        e += 4 + len;
      }
      entries.set(name, { name, method, compressedSize, size, localHeaderOffset });
      p = eEnd + commentLen;
    }
    return new ZipReader(src, entries, label);
  }

  /** The uncompressed bytes of entry `name`. */
  async read(name: string): Promise<Uint8Array> {
    const e = this.entries.get(name);
    if (!e) throw new ZipError(`${this.label}: no entry ${name}`);
    const head = await this.src.read(e.localHeaderOffset, 30);
    const hv = dv(head);
    if (head.length < 30 || hv.getUint32(0, true) !== SIG_LOCAL) throw new ZipError(`${this.label}: local header of ${name} is corrupt`);
    const start = e.localHeaderOffset + 30 + hv.getUint16(26, true) + hv.getUint16(28, true);
    if (start + e.compressedSize > this.src.size) {
      throw new ZipError(`${this.label}: ${name} needs bytes up to ${start + e.compressedSize}, the file has ${this.src.size} (truncated)`);
    }
    const raw = await this.src.read(start, e.compressedSize);
    let out: Uint8Array;
    if (e.method === 0) out = raw;
    else if (e.method === 8) {
      try {
        out = new Uint8Array(inflateRawSync(raw));
      } catch (err) {
        throw new ZipError(`${this.label}: ${name} does not inflate (${(err as Error).message})`);
      }
    } else throw new ZipError(`${this.label}: ${name} uses compression method ${e.method}; only stored (0) and deflate (8) are read`);
    if (out.length !== e.size) throw new ZipError(`${this.label}: ${name} has ${out.length} bytes, the directory says ${e.size}`);
    return out;
  }

  close(): Promise<void> {
    return this.src.close();
  }
}

function dv(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

function num64(v: DataView, at: number): number {
  const x = v.getBigUint64(at, true);
  if (x > BigInt(Number.MAX_SAFE_INTEGER)) throw new ZipError(`zip: 64-bit field ${x} too large`);
  return Number(x);
}
