/**
 * What the leaderboard's numbers stand on: per data config of the rows, the
 * train and eval counts (listed, used, missing, corrupt, shorter than a clip),
 * the eval clips requested and scored, and the run's data caveats. Shared by
 * the Markdown and HTML renderers; the per-row caveats also reach the table.
 */
import type { DataCountsRow, LeaderboardRow } from './leaderboard-row.js';

export interface DataSummary {
  /** e.g. 'ucf101 (split 1, 17x64x64)'. */
  label: string;
  /** One line per set: 'train: 9537 listed, 9530 used, ...'. */
  lines: string[];
}

/** Caveats of one row, shown beside its tokenizer: optimistic or altered scores. */
export function rowNotes(row: LeaderboardRow): string[] {
  const notes: string[] = [];
  if (row.data?.evalOnTrain) notes.push('evaluated on training clips');
  if (row.data?.padShort && (row.data.eval.short > 0 || row.data.train.short > 0)) notes.push('short clips padded');
  if (row.data && row.data.evalClips < row.data.evalClipsRequested) notes.push(`${row.data.evalClips} of ${row.data.evalClipsRequested} eval clips`);
  return notes;
}

function countsLine(split: string, c: DataCountsRow): string {
  return `${split}: ${c.listed} listed, ${c.used} used, ${c.missing} missing, ${c.corrupt} corrupt, ${c.short} shorter than a clip`;
}

function labelOf(row: LeaderboardRow): string {
  const d = row.config['data'];
  if (!d || typeof d !== 'object') return row.dataset;
  const c = d as Record<string, unknown>;
  const parts = [c['split'] !== undefined ? `split ${String(c['split'])}` : '', c['frames'] !== undefined ? `${String(c['frames'])}x${String(c['resolution'])}x${String(c['resolution'])}` : '']
    .filter(Boolean);
  return `${row.dataset}${parts.length ? ` (${parts.join(', ')})` : ''}`;
}

const max = (a: DataCountsRow, b: DataCountsRow): DataCountsRow => ({
  listed: Math.max(a.listed, b.listed), used: Math.max(a.used, b.used), missing: Math.max(a.missing, b.missing),
  corrupt: Math.max(a.corrupt, b.corrupt), short: Math.max(a.short, b.short),
});

/**
 * One summary per distinct data config. Rows of one run see the same files;
 * later rows have visited more training files, so each count is the largest
 * any row of that config reports.
 */
export function dataSummaries(rows: readonly LeaderboardRow[]): DataSummary[] {
  const groups = new Map<string, { label: string; train: DataCountsRow; eval: DataCountsRow; requested: number; scored: number; onTrain: boolean; padded: boolean }>();
  for (const r of rows) {
    if (!r.data) continue;
    const key = JSON.stringify(r.config['data'] ?? r.dataset);
    const g = groups.get(key);
    if (!g) {
      groups.set(key, { label: labelOf(r), train: r.data.train, eval: r.data.eval, requested: r.data.evalClipsRequested, scored: r.data.evalClips, onTrain: r.data.evalOnTrain, padded: r.data.padShort });
    } else {
      g.train = max(g.train, r.data.train);
      g.eval = max(g.eval, r.data.eval);
      g.scored = Math.max(g.scored, r.data.evalClips);
    }
  }
  return [...groups.values()].map((g) => ({
    label: g.label,
    lines: [
      countsLine('train', g.train),
      countsLine('eval', g.eval),
      `eval clips: ${g.scored} scored of ${g.requested} requested`,
      ...(g.onTrain ? ['eval clips are training clips (--allow-eval-on-train): scores are optimistic'] : []),
      ...(g.padded ? ['videos shorter than a clip were padded by repeating their last frame (--pad-short)'] : []),
    ],
  }));
}
