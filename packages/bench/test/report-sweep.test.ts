/**
 * The vocabulary sweep in the Markdown report: one line per quantizer, points
 * sorted by codebook size, seeds averaged, absent without a sweep; the prior
 * columns rank lower-is-better.
 */
import { renderMarkdown } from '../src/report/markdown.js';
import { sweepLineName, sweepLines } from '../src/report/sweep.js';
import { buildTable } from '../src/report/table.js';
import { makeRow } from './report-support.js';

const sweepRows = [
  makeRow({ tokenizer: 'vqgan+vq-K1024', quantizer: 'vq', codebookSize: 1024, metrics: { psnr: 21, priorBitsPerToken: 5 } }),
  makeRow({ tokenizer: 'vqgan+vq-K256', quantizer: 'vq', codebookSize: 256, metrics: { psnr: 20, priorBitsPerToken: 4 } }),
  makeRow({ tokenizer: 'vqgan+lfq-K256-s0', quantizer: 'lfq', codebookSize: 256, metrics: { psnr: 19, priorBitsPerToken: 6 } }),
  makeRow({ tokenizer: 'vqgan+lfq-K256-s1', quantizer: 'lfq', codebookSize: 256, metrics: { psnr: 20, priorBitsPerToken: 7 } }),
  makeRow({ tokenizer: 'vqgan+lfq-K1024-s0', quantizer: 'lfq', codebookSize: 1024, metrics: { psnr: 22, priorBitsPerToken: null } }),
  makeRow({ tokenizer: 'mean-frame', baseline: true, quantizer: 'none', codebookSize: 0, metrics: { psnr: 12 } }),
];

describe('vocabulary sweep', () => {
  it('strips the -K<size> and -s<seed> suffixes of sweep units', () => {
    expect(sweepLineName('vqgan+lfq-K4096-s12')).toBe('vqgan+lfq');
    expect(sweepLineName('vqgan+vq-K256')).toBe('vqgan+vq');
    expect(sweepLineName('magvit2')).toBe('magvit2');
  });

  it('groups by line, sorts by codebook size, averages seeds and keeps a missing prior as null', () => {
    expect(sweepLines(sweepRows)).toEqual([
      { name: 'vqgan+lfq', points: [
        { codebookSize: 256, psnr: 19.5, priorBitsPerToken: 6.5, runs: 2 },
        { codebookSize: 1024, psnr: 22, priorBitsPerToken: null, runs: 1 },
      ] },
      { name: 'vqgan+vq', points: [
        { codebookSize: 256, psnr: 20, priorBitsPerToken: 4, runs: 1 },
        { codebookSize: 1024, psnr: 21, priorBitsPerToken: 5, runs: 1 },
      ] },
    ]);
    expect(sweepLines(sweepRows.filter((r) => r.codebookSize !== 1024))).toEqual([]);
  });

  it('writes the same numbers as a Markdown table, and none without a sweep', () => {
    const md = renderMarkdown(sweepRows);
    const at = md.indexOf('## Vocabulary sweep');
    expect(at).toBeGreaterThan(0);
    const table = md.slice(at).split('\n').filter((l) => l.startsWith('|'));
    expect(table.slice(2)).toEqual([
      '| vqgan+lfq | 256 | 19.50 | 6.500 | 2 |',
      '| vqgan+lfq | 1024 | 22.00 | n/a | 1 |',
      '| vqgan+vq | 256 | 20.00 | 4.000 | 1 |',
      '| vqgan+vq | 1024 | 21.00 | 5.000 | 1 |',
    ]);
    expect(renderMarkdown(sweepRows.slice(0, 1))).not.toContain('Vocabulary sweep');
  });

  it('ranks by prior bits/token lowest first, labelled and with 3 decimals', () => {
    const t = buildTable(sweepRows, { sortBy: 'priorBitsPerToken' });
    expect(t.sortDescription).toBe('Prior bits/token, lowest first');
    expect(t.rows.filter((r) => r.rank !== undefined).map((r) => r.row.tokenizer)).toEqual(['vqgan+vq-K256', 'vqgan+vq-K1024', 'vqgan+lfq-K256-s0', 'vqgan+lfq-K256-s1']);
    const col = t.columns.findIndex((c) => c.key === 'metrics.priorBitsPerToken');
    expect(t.columns[col]!.label).toBe('Prior bits/token ↓');
    expect(t.rows[0]!.cells[col]).toBe('4.000');
  });
});
