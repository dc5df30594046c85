/**
 * The vocabulary sweep (`--codebook-size 256,1024,...`) as MAGVIT-v2's
 * Fig. 1 shape: reconstruction PSNR and token-prior bits per token against
 * codebook size, one line per quantizer (per tokenizer and quantizer when a
 * run has several tokenizers). Seeds of the same point are averaged. Shared
 * by the Markdown table and the HTML plot.
 */
import type { CurveSeries } from './curves-svg.js';
import type { LeaderboardRow } from './leaderboard-row.js';

export interface SweepPoint {
  codebookSize: number;
  /** Means over the runs (seeds) of this point; null when no run has the metric. */
  psnr: number | null;
  priorBitsPerToken: number | null;
  runs: number;
}

export interface SweepLine {
  /** e.g. 'vqgan+lfq': the unit name without its -K<size> / -s<seed> sweep suffixes. */
  name: string;
  points: SweepPoint[];
}

/** The unit name of a sweep row without the codebook-size and seed suffixes entries.ts adds. */
export function sweepLineName(tokenizer: string): string {
  return tokenizer.replace(/-s\d+$/, '').replace(/-K\d+$/, '');
}

function meanOf(xs: readonly (number | null | undefined)[]): number | null {
  const ok = xs.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  return ok.length ? ok.reduce((a, b) => a + b, 0) / ok.length : null;
}

/** Lines of the sweep, or [] when the rows hold fewer than two codebook sizes (no sweep to plot). */
export function sweepLines(rows: readonly LeaderboardRow[]): SweepLine[] {
  const runs = rows.filter((r) => !r.baseline && r.codebookSize > 0);
  if (new Set(runs.map((r) => r.codebookSize)).size < 2) return [];
  const byLine = new Map<string, Map<number, LeaderboardRow[]>>();
  for (const r of runs) {
    const name = sweepLineName(r.tokenizer);
    const line = byLine.get(name) ?? new Map<number, LeaderboardRow[]>();
    line.set(r.codebookSize, [...(line.get(r.codebookSize) ?? []), r]);
    byLine.set(name, line);
  }
  return [...byLine.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, line]) => ({
      name,
      points: [...line.entries()]
        .sort(([a], [b]) => a - b)
        .map(([codebookSize, rs]) => ({
          codebookSize,
          psnr: meanOf(rs.map((r) => r.metrics['psnr'])),
          priorBitsPerToken: meanOf(rs.map((r) => r.metrics['priorBitsPerToken'])),
          runs: rs.length,
        })),
    }));
}

/** One chart's series: x = log2(codebook size), points without the metric left out. */
export function sweepSeries(lines: readonly SweepLine[], metric: 'psnr' | 'priorBitsPerToken'): CurveSeries[] {
  return lines
    .map((l) => ({
      name: l.name,
      points: l.points.filter((p) => p[metric] !== null).map((p) => [Math.log2(p.codebookSize), p[metric]!] as const),
    }))
    .filter((s) => s.points.length > 0);
}
