import { renderMarkdown, escapeMarkdownCell } from '../src/report/markdown.js';
import { buildTable, formatMetric, metricColumns, sortRows } from '../src/report/table.js';
import { makeRow } from './report-support.js';

const rows = [
  makeRow({ tokenizer: 'vqgan', metrics: { psnr: 24.123, ssim: 0.71234, lpips: 0.21 } }),
  makeRow({ tokenizer: 'mean-frame', baseline: true, quantizer: 'none', codebookSize: 0, metrics: { psnr: 14.5, ssim: 0.2, lpips: null } }),
  makeRow({ tokenizer: 'magvit2', quantizer: 'lfq', metrics: { psnr: 27.9, ssim: 0.8, lpips: 0.12, fvd: 300.25 } }),
  makeRow({ tokenizer: 'broken', metrics: { psnr: null, ssim: 0.1 } }),
];

function tableLines(md: string): string[] {
  return md.split('\n').filter((l) => l.startsWith('|'));
}

describe('renderMarkdown', () => {
  it('sorts by PSNR descending by default, ranks non-baseline rows and puts missing values last', () => {
    const lines = tableLines(renderMarkdown(rows));
    expect(lines).toHaveLength(2 + rows.length);
    const names = lines.slice(2).map((l) => l.split('|')[2]?.trim());
    expect(names).toEqual(['magvit2', 'vqgan', '_mean-frame (baseline)_', 'broken']);
    const ranks = lines.slice(2).map((l) => l.split('|')[1]?.trim());
    expect(ranks).toEqual(['1', '2', '_–_', '–']);
  });

  it('marks the baseline row and formats metrics with their usual precision', () => {
    const md = renderMarkdown(rows);
    const vq = tableLines(md).find((l) => l.includes('vqgan'));
    expect(vq).toContain('| 24.12 |');
    expect(vq).toContain('| 0.7123 |');
    expect(vq).toContain('| 0.2100 |');
    expect(vq).toContain('| 48.0× |');
    expect(vq).toContain('| 12.5s |');
    const base = tableLines(md).find((l) => l.includes('baseline'));
    expect(base).toContain('| _n/a_ |');
    expect(md).toContain('sorted by PSNR (dB), highest first');
  });

  it('has a header with known metrics first and a right-aligned separator for numbers', () => {
    const [header, sep] = tableLines(renderMarkdown(rows));
    expect(header).toContain('| PSNR (dB) ↑ | SSIM ↑ | LPIPS ↓ | FVD ↓ |');
    expect(sep).toMatch(/^\| ---: \| :--- \|/);
  });

  it('sorts ascending for lower-is-better metrics and honours an explicit direction', () => {
    const byLpips = tableLines(renderMarkdown(rows, { sortBy: 'lpips' })).slice(2).map((l) => l.split('|')[2]?.trim());
    expect(byLpips.slice(0, 2)).toEqual(['magvit2', 'vqgan']);
    const worstFirst = sortRows(rows, { sortBy: 'psnr', direction: 'asc' }).map((r) => r.tokenizer);
    expect(worstFirst).toEqual(['mean-frame', 'vqgan', 'magvit2', 'broken']);
    expect(buildTable(rows, { sortBy: 'compressionRatio' }).sortDescription).toBe('compressionRatio, highest first');
  });

  it('escapes characters that would break the table', () => {
    expect(escapeMarkdownCell('a|b_c\nd')).toBe('a\\|b\\_c d');
    const md = renderMarkdown([makeRow({ tokenizer: 'x|y' })]);
    expect(tableLines(md)[2]?.split(/(?<!\\)\|/)).toHaveLength(tableLines(md)[0]!.split('|').length);
  });

  it('says so when there are no runs', () => {
    expect(renderMarkdown([])).toContain('No runs yet.');
  });
});

describe('table helpers', () => {
  it('lists metrics known-first then alphabetically', () => {
    expect(metricColumns([makeRow({ tokenizer: 'a', metrics: { zeta: 1, psnr: 2, alpha: 3, lpips: 4 } })])).toEqual([
      'psnr',
      'lpips',
      'alpha',
      'zeta',
    ]);
  });
  it.each([
    ['psnr', 31.456, '31.46'],
    ['fvd', 512.34, '512.3'],
    ['custom', 1234.5, '1235'],
    ['custom', 0.000123456, '0.000123'],
    ['custom', null, 'n/a'],
  ] as const)('formatMetric(%s, %p) = %p', (name, v, s) => {
    expect(formatMetric(name, v)).toBe(s);
  });
});
