import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { relativeSrc, renderHtml, ReportError, type GridFigure } from '../src/report/html.js';
import { writeReport } from '../src/report/write-report.js';
import { makeRow } from './report-support.js';

const rows = [
  makeRow({ tokenizer: 'vqgan', metrics: { psnr: 22.5, lpips: 0.3 } }),
  makeRow({ tokenizer: 'mean-frame', baseline: true, metrics: { psnr: 12, lpips: null }, metricsUnavailable: { lpips: 'no <weights>' } }),
  makeRow({ tokenizer: 'evil <script>alert(1)</script>', runId: 'run-evil', metrics: { psnr: 25 } }),
];
const grid: GridFigure = {
  title: 'clip 0',
  src: 'grids/clip 0.png',
  layout: { width: 100, height: 50, cellWidth: 32, cellHeight: 16, gap: 1, frames: [0, 3], rows: ['original', 'vqgan', 'lfq'] },
};
const curves = [
  { title: 'loss', series: [{ name: 'vqgan', points: [[0, 1], [10, 0.5]] as const }, { name: 'lfq', points: [[0, 2], [10, 1]] as const }] },
];

describe('renderHtml', () => {
  const html = renderHtml({ rows, grids: [grid], curves, meta: { title: 'UCF-101 run', facts: { dataset: 'ucf101', 'git revision': 'abc' } } });

  it('contains one table row per run, sorted, with the baseline marked', () => {
    const body = html.slice(html.indexOf('<tbody>'), html.indexOf('</tbody>'));
    const ids = [...body.matchAll(/<tr data-run-id="([^"]+)"( class="baseline")?>/g)];
    expect(ids.map((m) => m[1])).toEqual([rows[2]!.runId, rows[0]!.runId, rows[1]!.runId]);
    expect(ids.map((m) => m[2] !== undefined)).toEqual([false, false, true]);
    expect(body).toContain('<td class="num">22.50</td>');
    expect(body).toContain('<td class="num">n/a</td>');
    expect(body).toContain('<td class="num" title="no &#60;weights&#62;">n/a</td>');
  });

  it('escapes every piece of text and contains no script or external resource', () => {
    expect(html).not.toContain('<script>');
    expect(html).toContain('evil &#60;script&#62;alert(1)&#60;/script&#62;');
    expect(html).not.toMatch(/<link|src="https?:|href="https?:|@import/);
    expect(html).toContain('<style>');
  });

  it('references grid images by encoded relative path and labels each row at the image row pitch', () => {
    expect(html).toContain('<img src="grids/clip%200.png" width="100" height="50"');
    expect(html).toContain('<span style="height:16px">original</span>');
    expect(html).toContain('<span style="height:16px;margin-top:1px">lfq</span>');
    expect(html).toContain('frames 0, 3');
  });

  it('inlines one SVG per curves figure with one path per series', () => {
    const svgs = html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
    expect(svgs).toHaveLength(1);
    expect(svgs[0]?.match(/<path /g)).toHaveLength(2);
  });

  it('shows the facts and each run config', () => {
    expect(html).toContain('<dt>dataset</dt><dd>ucf101</dd>');
    expect(html).toContain('&#34;lr&#34;: 0.0001');
  });

  it('renders an empty leaderboard without sections that would be empty', () => {
    const empty = renderHtml({ rows: [] });
    expect(empty).toContain('No runs yet.');
    expect(empty).not.toContain('<table');
    expect(empty).not.toContain('Reconstructions');
  });
});

describe('relativeSrc', () => {
  it.each(['/abs/x.png', 'file:///x.png', 'https://e.com/x.png', 'C:\\x.png', ''])('rejects %p', (src) => {
    expect(() => relativeSrc(src)).toThrow(ReportError);
  });
  it('encodes segments but keeps separators', () => {
    expect(relativeSrc('a b/c#d.png')).toBe('a%20b/c%23d.png');
  });
});

describe('writeReport', () => {
  it('writes leaderboard.md and index.html into the output directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'zoo-report-'));
    try {
      const written = await writeReport(dir, { rows, meta: { title: 'My board' } });
      expect((await readdir(dir)).sort()).toEqual(['index.html', 'leaderboard.md']);
      expect(await readFile(written.markdownPath, 'utf8')).toMatch(/^# My board\n/);
      const html = await readFile(written.htmlPath, 'utf8');
      for (const r of rows) expect(html).toContain(`data-run-id="${r.runId}"`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
