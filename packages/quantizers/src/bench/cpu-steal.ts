/**
 * CPU time the hypervisor took while a benchmark ran. On a shared VM the
 * "steal" column of /proc/stat counts ticks a vCPU was ready but not run;
 * at 50% steal every timing doubles, so a number printed without it cannot
 * be compared with another run's. Linux only; elsewhere undefined.
 */
import { readFileSync } from 'node:fs';

interface CpuTicks {
  total: number;
  steal: number;
}

function cpuTicks(): CpuTicks | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    // cpu  user nice system idle iowait irq softirq steal guest guest_nice
    const f = line.trim().split(/\s+/).slice(1, 9).map(Number);
    if (f[0] === undefined || f.length < 8 || f.some((v) => !Number.isFinite(v))) return undefined;
    return { total: f.reduce((a, b) => a + b, 0), steal: f[7]! };
  } catch {
    return undefined;
  }
}

/** Runs `f` and returns its result with the fraction (0-1) of CPU time stolen meanwhile. */
export async function withCpuSteal<T>(f: () => Promise<T>): Promise<{ value: T; steal: number | undefined }> {
  const start = cpuTicks();
  const value = await f();
  const end = cpuTicks();
  if (!start || !end || end.total < start.total) return { value, steal: undefined };
  // no tick elapsed (a run under the 10 ms clock tick): nothing was observed stolen
  return { value, steal: end.total === start.total ? 0 : (end.steal - start.steal) / (end.total - start.total) };
}
