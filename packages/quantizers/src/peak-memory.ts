/**
 * Peak resident memory of one benchmark case. Linux keeps the process's
 * high-water mark in /proc/self/status (VmHWM) and resets it when "5" is
 * written to /proc/self/clear_refs, so a case's own peak (JS heap, wasm and
 * onnxruntime's native buffers alike) is read after a reset. Elsewhere, or
 * where /proc is not writable, it is undefined (the caller prints "n/a").
 */
import { readFileSync, writeFileSync } from 'node:fs';

function highWaterMiB(): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Runs `f` and returns its result with the process's peak RSS (MiB) during it. */
export async function withPeakMemory<T>(f: () => Promise<T>): Promise<{ value: T; peakMiB: number | undefined }> {
  let reset = true;
  try {
    writeFileSync('/proc/self/clear_refs', '5');
  } catch {
    reset = false;
  }
  const value = await f();
  return { value, peakMiB: reset ? highWaterMiB() : undefined };
}
