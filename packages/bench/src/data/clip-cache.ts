/**
 * On-disk cache of decoded uint8 frames, so a second run over the same videos
 * does not call ffmpeg again.
 *
 * Key: the source file's absolute path, size and mtime (so an edited or
 * replaced video is re-decoded) plus every parameter that changes the pixels
 * (resolution, clip length, stride, start frame, decoder filter). Entries are
 * written atomically (temp file + rename), so a killed run never leaves a
 * half-written entry that a later run would trust. A corrupt or mismatched
 * entry is treated as a miss and overwritten.
 *
 * File layout: 8-byte magic "ZOOCLIP1", then uint32 LE frames, height, width,
 * channels, flags (bit 0: clip was padded from a short video), then the
 * frames' bytes.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '@zoo/core';

const MAGIC = 'ZOOCLIP1';
const HEADER_BYTES = 8 + 20;

/** Default cache root: $ZOO_CACHE_DIR, else ~/.cache/tokenizer-zoo (XDG convention). */
export function defaultCacheDir(): string {
  return process.env.ZOO_CACHE_DIR ?? join(homedir(), '.cache', 'tokenizer-zoo');
}

export interface CachedFrames {
  /** uint8, [frames, height, width, channels]. */
  data: Uint8Array;
  frames: number;
  height: number;
  width: number;
  channels: number;
  /** The clip repeats the last frame of a video shorter than its span. */
  short?: boolean;
}

export class ClipCache {
  readonly dir: string;
  constructor(root: string = defaultCacheDir()) {
    this.dir = join(root, 'clips');
  }

  /** Cache key for `file` with the pixel-affecting `params`; stats the file (size, mtime). */
  async keyFor(file: string, params: Readonly<Record<string, string | number | boolean>>): Promise<string> {
    const abs = resolve(file);
    const st = await stat(abs);
    const ordered = Object.keys(params)
      .sort()
      .map((k) => `${k}=${String(params[k])}`)
      .join('&');
    return createHash('sha256').update(`${abs}\0${st.size}\0${st.mtimeMs}\0${ordered}`).digest('hex');
  }

  private pathFor(key: string): string {
    return join(this.dir, key.slice(0, 2), `${key}.clip`);
  }

  async get(key: string): Promise<CachedFrames | undefined> {
    let buf: Buffer;
    try {
      buf = await readFile(this.pathFor(key));
    } catch {
      return undefined;
    }
    if (buf.length < HEADER_BYTES || buf.toString('latin1', 0, 8) !== MAGIC) return undefined;
    const frames = buf.readUInt32LE(8);
    const height = buf.readUInt32LE(12);
    const width = buf.readUInt32LE(16);
    const channels = buf.readUInt32LE(20);
    const flags = buf.readUInt32LE(24);
    if (buf.length !== HEADER_BYTES + frames * height * width * channels) return undefined;
    return {
      data: new Uint8Array(buf.buffer, buf.byteOffset + HEADER_BYTES, buf.length - HEADER_BYTES),
      frames,
      height,
      width,
      channels,
      short: (flags & 1) === 1,
    };
  }

  async put(key: string, entry: CachedFrames): Promise<void> {
    const header = Buffer.alloc(HEADER_BYTES);
    header.write(MAGIC, 0, 'latin1');
    header.writeUInt32LE(entry.frames, 8);
    header.writeUInt32LE(entry.height, 12);
    header.writeUInt32LE(entry.width, 16);
    header.writeUInt32LE(entry.channels, 20);
    header.writeUInt32LE(entry.short ? 1 : 0, 24);
    await writeFileAtomic(this.pathFor(key), async (write) => {
      await write(header);
      await write(entry.data);
    });
  }
}
