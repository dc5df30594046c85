/**
 * Atomic file writes: the target path either keeps its old content or gets
 * the complete new content, never a partial file, even if the process dies or
 * the writer throws midway. Data goes to a temp file in the same directory
 * (so the final rename stays on one filesystem and is atomic on POSIX), is
 * fsynced, then renamed over the target; the directory is fsynced afterwards
 * so the rename itself survives a crash.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm, mkdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Streaming producer: called with a `write` that appends a chunk to the temp file. */
export type AtomicWriter = (write: (chunk: string | Uint8Array) => Promise<void>) => Promise<void>;

export interface AtomicWriteOptions {
  /** File mode of the new file (default 0o644, as a plain `writeFile`). */
  mode?: number;
  /** Create the parent directory if missing (default true). */
  mkdirs?: boolean;
}

/** Prefix of temp files, so a crash leftover is recognisable (`.name.tmp-<hex>`). */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${randomBytes(6).toString('hex')}`);
}

/**
 * Writes `data` to `path` atomically. `data` is the whole content or an
 * {@link AtomicWriter} that streams it; if the writer throws, the temp file
 * is removed, `path` is left as it was, and the error is rethrown.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array | AtomicWriter,
  opts: AtomicWriteOptions = {},
): Promise<void> {
  const dir = dirname(path);
  if (opts.mkdirs ?? true) await mkdir(dir, { recursive: true });
  const tmp = tempPathFor(path);
  const handle = await open(tmp, 'wx', opts.mode ?? 0o644);
  let renamed = false;
  try {
    const write = async (chunk: string | Uint8Array): Promise<void> => {
      await handle.write(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
    };
    if (typeof data === 'function') await data(write);
    else await write(data);
    await handle.sync();
    await handle.close();
    await rename(tmp, path);
    renamed = true;
    await syncDirectory(dir);
  } finally {
    if (!renamed) {
      await handle.close().catch(() => undefined);
      await rm(tmp, { force: true });
    }
  }
}

/** JSON with two-space indent and a trailing newline, written atomically. */
export async function writeJsonAtomic(path: string, value: unknown, opts: AtomicWriteOptions = {}): Promise<void> {
  const text = JSON.stringify(value, null, 2);
  if (text === undefined) throw new TypeError(`writeJsonAtomic(${path}): value is not JSON-serialisable`);
  await writeFileAtomic(path, `${text}\n`, opts);
}

// Directory fsync makes the rename durable; some filesystems refuse it
// (EISDIR/EINVAL/EPERM), in which case the rename is still atomic, only not
// yet durable, so the error is ignored.
async function syncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // see above
  } finally {
    await handle?.close().catch(() => undefined);
  }
}
