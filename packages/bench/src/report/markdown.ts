/**
 * `leaderboard.md`: the leaderboard as a GitHub-flavoured Markdown table,
 * ranked by one metric, with the mean-frame baseline marked so readers see
 * the floor every tokenizer must beat.
 */
import type { LeaderboardRow } from './leaderboard-row.js';
import { dataSummaries } from './data-summary.js';
import { sweepLines } from './sweep.js';
import { buildTable, type TableOptions } from './table.js';

export interface MarkdownOptions extends TableOptions {
  /** Heading of the document (default 'Tokenizer leaderboard'). */
  title?: string;
}

/**
 * Escapes text for a table cell: pipes would split cells, newlines end the
 * row, and emphasis/code characters in names would garble the row's markup.
 */
export function escapeMarkdownCell(text: string): string {
  return text.replace(/[\\|*_`]/g, (c) => `\\${c}`).replace(/\r?\n/g, ' ');
}

export function renderMarkdown(rows: readonly LeaderboardRow[], opts: MarkdownOptions = {}): string {
  const table = buildTable(rows, opts);
  const lines: string[] = [`# ${opts.title ?? 'Tokenizer leaderboard'}`, ''];
  if (table.rows.length === 0) {
    lines.push('No runs yet.', '');
    return lines.join('\n');
  }
  const datasets = [...new Set(rows.map((r) => r.dataset))];
  lines.push(
    `${rows.length} run${rows.length === 1 ? '' : 's'} on ${datasets.map(escapeMarkdownCell).join(', ')}; ` +
      `sorted by ${table.sortDescription}. ` +
      '"n/a": metric unavailable for that run. _Italic_: the trivial baseline, not ranked.',
    '',
  );
  lines.push(`| ${table.columns.map((c) => escapeMarkdownCell(c.label)).join(' | ')} |`);
  lines.push(`|${table.columns.map((c) => (c.align === 'right' ? ' ---: ' : ' :--- ')).join('|')}|`);
  for (const r of table.rows) {
    const cells = r.cells.map(escapeMarkdownCell);
    const shown = r.baseline ? cells.map((c) => `_${c}_`) : cells;
    lines.push(`| ${shown.join(' | ')} |`);
  }
  lines.push('');
  const sweep = sweepLines(rows);
  if (sweep.length) {
    const f = (v: number | null, d: number): string => (v === null ? 'n/a' : v.toFixed(d));
    lines.push(
      '## Vocabulary sweep',
      '',
      'Reconstruction and generation against codebook size (MAGVIT-v2 Fig. 1): PSNR higher is better, prior bits/token lower is better; means over seeds.',
      '',
      '| Tokenizer | Codebook | PSNR (dB) | Prior bits/token | Runs |',
      '| :--- | ---: | ---: | ---: | ---: |',
      ...sweep.flatMap((l) => l.points.map((p) => `| ${escapeMarkdownCell(l.name)} | ${p.codebookSize} | ${f(p.psnr, 2)} | ${f(p.priorBitsPerToken, 3)} | ${p.runs} |`)),
      '',
    );
  }
  const data = dataSummaries(rows);
  if (data.length) {
    lines.push('## Data', '');
    for (const d of data) lines.push(`**${escapeMarkdownCell(d.label)}**`, '', ...d.lines.map((l) => `- ${escapeMarkdownCell(l)}`), '');
  }
  return lines.join('\n');
}
