/**
 * The leaderboard as a table model shared by the Markdown and HTML renderers:
 * which columns, in which order, rows sorted by a chosen metric, every cell
 * already formatted. Renderers only escape and lay out.
 */
import { formatDuration } from '../util/duration.js';
import { rowNotes } from './data-summary.js';
import type { LeaderboardRow } from './leaderboard-row.js';

export type SortDirection = 'asc' | 'desc';

export interface TableOptions {
  /**
   * Metric (a key of `row.metrics`) or numeric row field (`compressionRatio`,
   * `bitsPerPixel`, `tokensPerClip`, `codebookSize`, `wallTimeSec`, `steps`)
   * to rank by (default 'psnr', the headline reconstruction metric of VQGAN
   * and MAGVIT tables).
   */
  sortBy?: string;
  /** Default: ascending for lower-is-better metrics (see {@link LOWER_IS_BETTER}), else descending. */
  direction?: SortDirection;
  /** Metric columns to show, in order (default: every metric present, known ones first). */
  metrics?: readonly string[];
}

/** Metrics shown first, in this order, when present. */
export const METRIC_ORDER = [
  'psnr', 'ssim', 'lpips', 'fvd', 'fid', 'codebookUsage', 'perplexity', 'priorBitsPerToken', 'priorBitsPerVideo', 'priorBitsPerPixel',
] as const;

/** Metrics and fields where a smaller value is better; everything else ranks descending. */
export const LOWER_IS_BETTER: ReadonlySet<string> = new Set([
  'lpips',
  'fvd',
  'fid',
  'rfid',
  'mse',
  'l1',
  'l2',
  'bitsPerPixel',
  'wallTimeSec',
  // token prior code lengths: fewer bits = tokens easier to model
  'priorBitsPerToken',
  'priorBitsPerVideo',
  'priorBitsPerPixel',
]);

const METRIC_LABELS: Readonly<Record<string, string>> = {
  psnr: 'PSNR (dB)',
  ssim: 'SSIM',
  lpips: 'LPIPS',
  fvd: 'FVD',
  fid: 'FID',
  codebookUsage: 'Codebook usage',
  perplexity: 'Perplexity',
  priorBitsPerToken: 'Prior bits/token',
  priorBitsPerVideo: 'Prior bits/video',
  priorBitsPerPixel: 'Prior bpp',
};

/** Fixed decimals for metrics whose papers report them that way. */
const METRIC_DECIMALS: Readonly<Record<string, number>> = {
  psnr: 2, ssim: 4, lpips: 4, fvd: 1, fid: 2, perplexity: 1, priorBitsPerToken: 3, priorBitsPerVideo: 0, priorBitsPerPixel: 4,
};

const NUMERIC_FIELDS = ['compressionRatio', 'bitsPerPixel', 'tokensPerClip', 'codebookSize', 'wallTimeSec', 'steps'] as const;

export interface TableColumn {
  key: string;
  label: string;
  /** Numbers are right-aligned. */
  align: 'left' | 'right';
}

export interface TableRowModel {
  /** 1-based rank among non-baseline rows with a value for the sort key; undefined otherwise. */
  rank: number | undefined;
  baseline: boolean;
  cells: string[];
  row: LeaderboardRow;
}

export interface TableModel {
  columns: TableColumn[];
  rows: TableRowModel[];
  sortBy: string;
  direction: SortDirection;
  /** e.g. 'PSNR (dB), highest first'. */
  sortDescription: string;
}

export function metricDirection(name: string): SortDirection {
  return LOWER_IS_BETTER.has(name) ? 'asc' : 'desc';
}

export function metricLabel(name: string): string {
  return METRIC_LABELS[name] ?? name;
}

/** Every metric present in `rows`: known ones in {@link METRIC_ORDER}, then the rest alphabetically. */
export function metricColumns(rows: readonly LeaderboardRow[]): string[] {
  const present = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r.metrics)) present.add(k);
  const known = METRIC_ORDER.filter((m) => present.has(m));
  const rest = [...present].filter((m) => !(METRIC_ORDER as readonly string[]).includes(m)).sort();
  return [...known, ...rest];
}

/** A metric value for display; `null`/missing is 'n/a'. */
export function formatMetric(name: string, v: number | null | undefined): string {
  if (v === null || v === undefined) return 'n/a';
  if (!Number.isFinite(v)) return String(v);
  const fixed = METRIC_DECIMALS[name];
  if (fixed !== undefined) return v.toFixed(fixed);
  const a = Math.abs(v);
  if (a >= 1000) return v.toFixed(0);
  if (a >= 100) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v === 0 ? '0' : String(Number(v.toPrecision(3)));
}

function sortValue(row: LeaderboardRow, key: string): number | undefined {
  const m = row.metrics[key];
  if (m !== undefined) return m === null || Number.isNaN(m) ? undefined : m;
  if ((NUMERIC_FIELDS as readonly string[]).includes(key)) {
    return row[key as (typeof NUMERIC_FIELDS)[number]];
  }
  return undefined;
}

/**
 * Rows sorted by `sortBy`; rows without a value for it go last. Ties (and the
 * unsorted tail) keep a stable order by tokenizer name, then run id.
 */
export function sortRows(rows: readonly LeaderboardRow[], opts: TableOptions = {}): LeaderboardRow[] {
  const key = opts.sortBy ?? 'psnr';
  const sign = (opts.direction ?? metricDirection(key)) === 'asc' ? 1 : -1;
  return [...rows].sort((a, b) => {
    const va = sortValue(a, key);
    const vb = sortValue(b, key);
    if (va !== undefined && vb !== undefined && va !== vb) return sign * (va - vb);
    if (va === undefined && vb !== undefined) return 1;
    if (vb === undefined && va !== undefined) return -1;
    return a.tokenizer.localeCompare(b.tokenizer) || a.runId.localeCompare(b.runId);
  });
}

function formatRatio(v: number): string {
  return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)}×`;
}

export function buildTable(rows: readonly LeaderboardRow[], opts: TableOptions = {}): TableModel {
  const sortBy = opts.sortBy ?? 'psnr';
  const direction = opts.direction ?? metricDirection(sortBy);
  const metrics = opts.metrics ? [...opts.metrics] : metricColumns(rows);
  const arrow = (m: string): string => (metricDirection(m) === 'asc' ? ' ↓' : ' ↑');
  const columns: TableColumn[] = [
    { key: 'rank', label: '#', align: 'right' },
    { key: 'tokenizer', label: 'Tokenizer', align: 'left' },
    { key: 'quantizer', label: 'Quantizer', align: 'left' },
    { key: 'codebookSize', label: 'Codebook', align: 'right' },
    { key: 'tokensPerClip', label: 'Tokens/clip', align: 'right' },
    { key: 'compressionRatio', label: 'Compression', align: 'right' },
    { key: 'bitsPerPixel', label: 'bpp', align: 'right' },
    ...metrics.map((m): TableColumn => ({ key: `metrics.${m}`, label: metricLabel(m) + arrow(m), align: 'right' })),
    { key: 'evalClips', label: 'Eval clips', align: 'right' },
    { key: 'steps', label: 'Steps', align: 'right' },
    { key: 'wallTimeSec', label: 'Wall time', align: 'right' },
    { key: 'trainStepsPerSec', label: 'Steps/s', align: 'right' },
    { key: 'engine', label: 'Engine', align: 'left' },
  ];
  const withNotes = rows.some((r) => rowNotes(r).length > 0);
  if (withNotes) columns.push({ key: 'notes', label: 'Notes', align: 'left' });
  let rank = 0;
  const tableRows = sortRows(rows, { sortBy, direction }).map((row): TableRowModel => {
    const baseline = row.baseline === true;
    const ranked = !baseline && sortValue(row, sortBy) !== undefined;
    const r = ranked ? ++rank : undefined;
    const cells = [
      r === undefined ? '–' : String(r),
      baseline ? `${row.tokenizer} (baseline)` : row.tokenizer,
      row.quantizer,
      row.codebookSize > 0 ? String(row.codebookSize) : '–',
      String(row.tokensPerClip),
      formatRatio(row.compressionRatio),
      row.bitsPerPixel.toFixed(3),
      ...metrics.map((m) => formatMetric(m, row.metrics[m])),
      row.data ? String(row.data.evalClips) : '–',
      String(row.steps),
      formatDuration(row.wallTimeSec * 1000),
      row.throughput.trainStepsPerSec.toFixed(2),
      `${row.engine}/${row.device}`,
      ...(withNotes ? [rowNotes(row).join('; ') || '–'] : []),
    ];
    return { rank: r, baseline, cells, row };
  });
  const label = METRIC_LABELS[sortBy] ?? sortBy;
  const sortDescription = `${label}, ${direction === 'asc' ? 'lowest' : 'highest'} first`;
  return { columns, rows: tableRows, sortBy, direction, sortDescription };
}
