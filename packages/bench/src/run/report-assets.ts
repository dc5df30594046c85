/**
 * Per-row artifacts of a run (`artifacts/<runId>/`: curves.json and the
 * sample clips as safetensors) and the report built from every row of an
 * output directory: leaderboard.md and index.html with reconstruction grids
 * (the original eval clips beside each tokenizer's reconstruction, PNG) and
 * training curves (SVG). Rebuilt after every finished tokenizer, and by
 * `zoo merge` from merged shards, so the page always matches the JSON.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HostTensor } from '@zoo/core';
import { readLeaderboard, LEADERBOARD_JSON } from '../report/leaderboard-file.js';
import type { LeaderboardRow } from '../report/leaderboard-row.js';
import { writeReconstructionGrid, type GridClip } from '../report/reconstruction-grid.js';
import type { CurvesFigure, GridFigure, ReportMeta } from '../report/html.js';
import { writeReport, type WrittenReport } from '../report/write-report.js';
import type { CurveSeries } from '../report/curves-svg.js';
import { readSafetensors, writeJsonAtomic, writeSafetensors } from '@zoo/core';
import type { CurvePoint } from '../train/checkpoint.js';

export interface RowArtifacts {
  curves: CurvePoint[];
  evals: CurvePoint[];
  /** [T, H, W] of the samples. */
  clipShape: [number, number, number];
  originals: Float32Array[];
  recons: Float32Array[];
}

export const artifactDir = (runId: string): string => `artifacts/${runId}`;

export async function saveArtifacts(outDir: string, runId: string, a: RowArtifacts): Promise<string> {
  const rel = artifactDir(runId);
  const dir = join(outDir, rel);
  await writeJsonAtomic(join(dir, 'curves.json'), { curves: a.curves, evals: a.evals, clipShape: a.clipShape });
  const tensors: Record<string, HostTensor> = {};
  const shape = [...a.clipShape, 3];
  a.originals.forEach((d, i) => (tensors[`original.${i}`] = new HostTensor(shape, d, 'float32')));
  a.recons.forEach((d, i) => (tensors[`recon.${i}`] = new HostTensor(shape, d, 'float32')));
  await writeSafetensors(join(dir, 'samples.safetensors'), tensors);
  return rel;
}

async function loadArtifacts(outDir: string, row: LeaderboardRow): Promise<RowArtifacts | undefined> {
  const rel = typeof row['artifacts'] === 'string' ? row['artifacts'] : undefined;
  if (!rel || !existsSync(join(outDir, rel, 'curves.json'))) return undefined;
  const c = JSON.parse(await readFile(join(outDir, rel, 'curves.json'), 'utf8')) as Pick<RowArtifacts, 'curves' | 'evals' | 'clipShape'>;
  const t = existsSync(join(outDir, rel, 'samples.safetensors')) ? await readSafetensors(join(outDir, rel, 'samples.safetensors')) : {};
  const list = (p: string): Float32Array[] =>
    Object.keys(t)
      .filter((k) => k.startsWith(p))
      .sort((a, b) => Number(a.slice(p.length)) - Number(b.slice(p.length)))
      .map((k) => t[k]!.data as Float32Array);
  return { ...c, originals: list('original.'), recons: list('recon.') };
}

const label = (r: LeaderboardRow): string => (r.baseline ? `${r.tokenizer}` : r.tokenizer);

/** Rewrites leaderboard.md, index.html and the grids from `outDir`'s leaderboard.json and artifacts. */
export async function writeRunReport(outDir: string, meta: ReportMeta = {}): Promise<WrittenReport> {
  const rows = await readLeaderboard(join(outDir, LEADERBOARD_JSON));
  const loaded: { row: LeaderboardRow; a: RowArtifacts }[] = [];
  for (const row of rows) {
    const a = await loadArtifacts(outDir, row);
    if (a) loaded.push({ row, a });
  }
  const grids: GridFigure[] = [];
  // Grids compare rows on the same clips: those of the newest row's dataset and clip shape.
  const newest = loaded.at(-1);
  if (newest) {
    const same = loaded.filter(({ row, a }) => row.dataset === newest.row.dataset && a.clipShape.join('x') === newest.a.clipShape.join('x'));
    const clipsCount = Math.min(...same.map(({ a }) => Math.min(a.originals.length || Infinity, a.recons.length)));
    const withOriginal = same.find(({ a }) => a.originals.length > 0);
    for (let i = 0; withOriginal && Number.isFinite(clipsCount) && i < clipsCount; i++) {
      const recons: GridClip[] = same.map(({ row, a }) => ({ name: label(row), data: a.recons[i]! }));
      const src = `grids/clip-${i}.png`;
      const layout = await writeReconstructionGrid(join(outDir, src), withOriginal.a.originals[i]!, recons, { shape: newest.a.clipShape });
      grids.push({ title: `Eval clip ${i}`, src, layout, caption: 'Top row: the original; below: each tokenizer\'s reconstruction (frames left to right).' });
    }
  }
  const series = (key: string, from: 'curves' | 'evals'): CurveSeries[] =>
    loaded
      .filter(({ a }) => a[from].some((p) => p[key] !== undefined))
      .map(({ row, a }) => ({ name: label(row), points: a[from].filter((p) => Number.isFinite(p[key])).map((p) => [p.step, p[key]!] as const) }));
  const curves: CurvesFigure[] = [];
  const rec = series('rec', 'curves');
  if (rec.length) curves.push({ title: 'Training reconstruction loss', series: rec, yLabel: 'pixel loss', logY: true });
  const q = series('qloss', 'curves');
  if (q.length) curves.push({ title: 'Quantizer loss', series: q, yLabel: 'aux loss' });
  const ev = series('psnr', 'evals');
  if (ev.length) curves.push({ title: 'Eval PSNR during training', series: ev, yLabel: 'dB' });
  return writeReport(outDir, { rows, grids, curves, meta });
}
