/**
 * `index.html`: the static report page. One self-contained file with inline
 * CSS and no script: the leaderboard table, reconstruction grids (images
 * referenced by relative path, written alongside), training curves (inline
 * SVG) and each run's details. Opening it from disk (file://) or any static
 * host shows the same thing.
 */
import { renderCurvesSvg, type CurveSeries, type CurvesSvgOptions } from './curves-svg.js';
import { escapeXml } from './escape.js';
import type { LeaderboardRow } from './leaderboard-row.js';
import type { GridLayout } from './reconstruction-grid.js';
import { dataSummaries } from './data-summary.js';
import { sweepLines, sweepSeries } from './sweep.js';
import { buildTable, type TableOptions } from './table.js';

export interface GridFigure {
  title: string;
  /** Path of the PNG/GIF relative to index.html, e.g. 'grids/clip0.png'. */
  src: string;
  /** As returned by writeReconstructionGrid / writeReconstructionGif. */
  layout: GridLayout;
  caption?: string;
}

export interface CurvesFigure extends Omit<CurvesSvgOptions, 'title'> {
  title: string;
  series: readonly CurveSeries[];
}

export interface ReportMeta {
  /** Page title (default 'Tokenizer leaderboard'). */
  title?: string;
  /** Shown as key/value lines under the title: dataset, protocol, command, git revision, time... */
  facts?: Readonly<Record<string, string | number>>;
}

export interface HtmlReportInput {
  rows: readonly LeaderboardRow[];
  grids?: readonly GridFigure[];
  curves?: readonly CurvesFigure[];
  meta?: ReportMeta;
  table?: TableOptions;
}

export class ReportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReportError';
  }
}

/**
 * Checks that `src` is a relative path (the page must work when the output
 * directory is copied or served anywhere) and percent-encodes each segment.
 */
export function relativeSrc(src: string): string {
  if (src === '' || src.startsWith('/') || src.includes('\\') || /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(src)) {
    throw new ReportError(
      `image src must be a relative path with '/' separators, written next to index.html (e.g. 'grids/clip0.png'), got '${src}'`,
    );
  }
  return src.split('/').map(encodeURIComponent).join('/');
}

const CSS = `
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:1200px;padding:0 1rem;color:#222}
h1{margin-bottom:.3rem}h2{margin-top:2.2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.1rem 1rem;font-size:.9rem;color:#555}
dl.facts dt{font-weight:600}dl.facts dd{margin:0;font-family:ui-monospace,monospace}
.table-wrap{overflow-x:auto}
table.leaderboard{border-collapse:collapse;font-size:.88rem;white-space:nowrap}
table.leaderboard th,table.leaderboard td{padding:.3rem .6rem;border-bottom:1px solid #e3e3e3}
table.leaderboard th{background:#f4f4f4;position:sticky;top:0}
table.leaderboard td.num,table.leaderboard th.num{text-align:right;font-variant-numeric:tabular-nums}
table.leaderboard tr.baseline td{font-style:italic;color:#777;background:#fafafa}
table.leaderboard th.sorted{text-decoration:underline}
figure{margin:1.2rem 0}figcaption{font-size:.85rem;color:#555;margin-top:.3rem}
.grid{display:flex;gap:.6rem;align-items:flex-start;overflow-x:auto}
.grid-labels{display:flex;flex-direction:column;font-size:.8rem;text-align:right}
.grid-labels span{display:flex;align-items:center;justify-content:flex-end}
.grid img{image-rendering:pixelated;flex:none}
.curves-list{display:flex;flex-wrap:wrap;gap:1rem}
details{margin:.4rem 0}pre{background:#f6f6f6;padding:.6rem;overflow-x:auto;font-size:.8rem}
`;

function renderFacts(meta: ReportMeta | undefined): string {
  const facts = Object.entries(meta?.facts ?? {});
  if (facts.length === 0) return '';
  const items = facts.map(([k, v]) => `<dt>${escapeXml(k)}</dt><dd>${escapeXml(String(v))}</dd>`).join('');
  return `<dl class="facts">${items}</dl>`;
}

function renderTable(input: HtmlReportInput): string {
  if (input.rows.length === 0) return '<p class="empty">No runs yet.</p>';
  const t = buildTable(input.rows, input.table);
  const head = t.columns
    .map((c) => {
      const cls = [c.align === 'right' ? 'num' : '', c.key === t.sortBy || c.key === `metrics.${t.sortBy}` ? 'sorted' : '']
        .filter(Boolean)
        .join(' ');
      return `<th scope="col"${cls ? ` class="${cls}"` : ''}>${escapeXml(c.label)}</th>`;
    })
    .join('');
  const body = t.rows
    .map((r) => {
      const cells = r.cells
        .map((cell, i) => {
          const col = t.columns[i];
          const cls = col?.align === 'right' ? ' class="num"' : '';
          // an unavailable metric says why on hover
          const metric = col?.key.startsWith('metrics.') ? col.key.slice('metrics.'.length) : undefined;
          const reason = metric !== undefined ? r.row.metricsUnavailable?.[metric] : undefined;
          const title = reason !== undefined && r.row.metrics[metric ?? ''] === null ? ` title="${escapeXml(reason)}"` : '';
          return `<td${cls}${title}>${escapeXml(cell)}</td>`;
        })
        .join('');
      return `<tr data-run-id="${escapeXml(r.row.runId)}"${r.baseline ? ' class="baseline"' : ''}>${cells}</tr>`;
    })
    .join('\n');
  return (
    `<p>Sorted by ${escapeXml(t.sortDescription)}. <em>Italic</em>: the trivial baseline, not ranked. ` +
    '"n/a": metric unavailable for that run.</p>\n' +
    `<div class="table-wrap"><table class="leaderboard"><thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody></table></div>`
  );
}

function renderData(rows: readonly LeaderboardRow[]): string {
  return dataSummaries(rows)
    .map((d) => `<section class="data"><h3>${escapeXml(d.label)}</h3><ul>${d.lines.map((l) => `<li>${escapeXml(l)}</li>`).join('')}</ul></section>`)
    .join('\n');
}

/** PSNR and prior bits/token against log2 codebook size, one line per quantizer (MAGVIT-v2 Fig. 1); '' without a sweep. */
function renderSweep(rows: readonly LeaderboardRow[]): string {
  const lines = sweepLines(rows);
  if (!lines.length) return '';
  const xLabel = 'log2 codebook size';
  const charts = [
    { metric: 'psnr' as const, title: 'Reconstruction PSNR (dB) vs codebook size', yLabel: 'PSNR (dB)' },
    { metric: 'priorBitsPerToken' as const, title: 'Token prior bits/token vs codebook size', yLabel: 'bits/token' },
  ]
    .map((c) => ({ ...c, series: sweepSeries(lines, c.metric) }))
    .filter((c) => c.series.length > 0)
    .map((c) => `<figure class="sweep" data-metric="${c.metric}">${renderCurvesSvg(c.series, { title: c.title, xLabel, yLabel: c.yLabel })}</figure>`);
  return (
    '<p>MAGVIT-v2 (Fig. 1) found reconstruction improving with vocabulary size while generation got worse; these charts show ' +
    'the same two quantities for this run. Higher PSNR is better, fewer prior bits per token is better. Means over seeds; ' +
    'the Markdown report has the same numbers as a table.</p>' +
    `<div class="curves-list">${charts.join('')}</div>`
  );
}

function renderGrid(g: GridFigure): string {
  const { layout } = g;
  // labels are laid out with the image's own row pitch so each sits beside its row
  const labels = layout.rows
    .map(
      (name, i) =>
        `<span style="height:${layout.cellHeight}px${i > 0 ? `;margin-top:${layout.gap}px` : ''}">${escapeXml(name)}</span>`,
    )
    .join('');
  const frames = `frames ${layout.frames.join(', ')}`;
  const caption = g.caption ? `${escapeXml(g.caption)} — ${frames}` : frames;
  return (
    `<figure class="reconstruction"><h3>${escapeXml(g.title)}</h3><div class="grid">` +
    `<div class="grid-labels">${labels}</div>` +
    `<img src="${escapeXml(relativeSrc(g.src))}" width="${layout.width}" height="${layout.height}" ` +
    `alt="${escapeXml(`${g.title}: ${layout.rows.join(', ')}`)}">` +
    `</div><figcaption>${caption}</figcaption></figure>`
  );
}

function renderRunDetails(rows: readonly LeaderboardRow[]): string {
  return rows
    .map((r) => {
      const env = `run ${r.runId} · ${r.createdAt} · git ${r.gitRevision} · ${r.engine}/${r.device}`;
      const json = JSON.stringify(
        { metrics: r.metrics, metricsUnavailable: r.metricsUnavailable, throughput: r.throughput, data: r.data, config: r.config },
        null,
        2,
      );
      return `<details><summary>${escapeXml(r.tokenizer)} — ${escapeXml(env)}</summary><pre>${escapeXml(json)}</pre></details>`;
    })
    .join('\n');
}

/** The complete page as a string; write it with writeFileAtomic next to its images. */
export function renderHtml(input: HtmlReportInput): string {
  const title = input.meta?.title ?? 'Tokenizer leaderboard';
  const parts: string[] = [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeXml(title)}</title>`,
    `<style>${CSS}</style></head><body>`,
    `<h1>${escapeXml(title)}</h1>`,
    renderFacts(input.meta),
    '<h2>Leaderboard</h2>',
    renderTable(input),
  ];
  const sweep = renderSweep(input.rows);
  if (sweep) parts.push('<h2>Vocabulary sweep</h2>', sweep);
  const data = renderData(input.rows);
  if (data) parts.push('<h2>Data</h2>', data);
  if (input.grids && input.grids.length > 0) {
    parts.push('<h2>Reconstructions</h2>', ...input.grids.map(renderGrid));
  }
  if (input.curves && input.curves.length > 0) {
    parts.push('<h2>Training curves</h2>', '<div class="curves-list">');
    for (const c of input.curves) {
      const { series, ...opts } = c;
      parts.push(`<figure class="curves">${renderCurvesSvg(series, opts)}</figure>`);
    }
    parts.push('</div>');
  }
  if (input.rows.length > 0) parts.push('<h2>Runs</h2>', renderRunDetails(input.rows));
  parts.push('</body></html>', '');
  return parts.join('\n');
}
