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

export interface PeakMemory {
  /** Peak RSS while `f` ran (MiB). */
  peakMiB: number;
  /** Peak minus the RSS when `f` started: what the case itself added (memory earlier cases left resident is in peakMiB, not here). */
  addedMiB: number;
}

/**
 * Runs `f` and returns its result with the process's peak RSS during it.
 * The reset also lowers what getrusage reports as the process's max RSS.
 */
export async function withPeakMemory<T>(f: () => Promise<T>): Promise<{ value: T; memory: PeakMemory | undefined }> {
  let start: number | undefined;
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    start = highWaterMiB();
  } catch {
    start = undefined;
  }
  const value = await f();
  const peak = start === undefined ? undefined : highWaterMiB();
  return { value, memory: start === undefined || peak === undefined ? undefined : { peakMiB: peak, addedMiB: peak - start } };
}
