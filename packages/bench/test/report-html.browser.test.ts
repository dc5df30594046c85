/**
 * Opens a generated report in a real browser (Debian's chromium, driven by
 * playwright-core) and checks what a reader would see: the table rows, every
 * image decoded, every curve drawn, and each grid label beside its row.
 *
 * Needs /usr/bin/chromium (Debian package `chromium`); CI installs it.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { GridFigure } from '../src/report/html.js';
import { writeReconstructionGif, writeReconstructionGrid } from '../src/report/reconstruction-grid.js';
import { writeReport } from '../src/report/write-report.js';
import { makeRow } from './report-support.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// launching chromium on a busy 2-core machine can take tens of seconds
const LAUNCH_TIMEOUT_MS = 90_000;

// The few DOM shapes the page callbacks use (the bench compiles without lib.dom).
interface ImageLike {
  getAttribute(name: string): string | null;
  complete: boolean;
  naturalWidth: number;
  naturalHeight: number;
}
interface GraphicsLike {
  getBBox(): { width: number; height: number };
}

const T = 4;
const H = 8;
const W = 8;

function clip(seed: number): Float32Array {
  const a = new Float32Array(T * H * W * 3);
  for (let i = 0; i < a.length; i++) a[i] = (Math.sin(i * 0.37 + seed) + 1) / 2;
  return a;
}

describe('index.html in chromium', () => {
  let dir: string;
  let userDataDir: string;
  let context: BrowserContext | undefined;
  let page: Page;
  let sweepPage: Page;
  let sweepDir: string;
  // A vocabulary sweep: 2 quantizers x 3 codebook sizes, lfq at 1024 with two seeds (averaged into one point).
  const sweepRows = [
    ...[256, 1024, 4096].map((k, i) =>
      makeRow({ tokenizer: `vqgan+vq-K${k}`, quantizer: 'vq', codebookSize: k, metrics: { psnr: 20 + i, priorBitsPerToken: 4 + i } })),
    ...[256, 1024, 4096].map((k, i) =>
      makeRow({ tokenizer: `vqgan+lfq-K${k}-s0`, quantizer: 'lfq', codebookSize: k, metrics: { psnr: 19 + 2 * i, priorBitsPerToken: 5 + 2 * i } })),
    makeRow({ tokenizer: 'vqgan+lfq-K1024-s1', quantizer: 'lfq', codebookSize: 1024, metrics: { psnr: 22, priorBitsPerToken: 8 } }),
    makeRow({ tokenizer: 'mean-frame', baseline: true, quantizer: 'none', codebookSize: 0, metrics: { psnr: 12 } }),
  ];
  const rows = [
    makeRow({ tokenizer: 'vqgan', metrics: { psnr: 22.5, lpips: 0.3 } }),
    makeRow({ tokenizer: 'mean-frame', baseline: true, quantizer: 'none', metrics: { psnr: 12, lpips: null } }),
    makeRow({ tokenizer: 'magvit2-lfq', quantizer: 'lfq', metrics: { psnr: 25, lpips: 0.2 } }),
  ];
  const grids: GridFigure[] = [];
  const curves = [
    {
      title: 'reconstruction loss',
      logY: true,
      series: rows.map((r, i) => ({ name: r.tokenizer, points: Array.from({ length: 30 }, (_, s) => [s * 10, (i + 1) / (s + 1)] as const) })),
    },
    { title: 'codebook usage', series: [{ name: 'vqgan', points: [[0, 0.1], [100, 0.6], [200, 0.9]] as const }] },
  ];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium not found at ${CHROMIUM}. This browser test needs Debian's chromium: ` +
          'run `apt-get update && apt-get install -y chromium` (CI installs it before the tests).',
      );
    }
    dir = await mkdtemp(join(tmpdir(), 'zoo-browser-report-'));
    userDataDir = await mkdtemp(join(tmpdir(), 'zoo-chromium-profile-'));
    const recons = [
      { name: 'vqgan', data: clip(1) },
      { name: 'magvit2-lfq', data: clip(2) },
    ];
    const png = await writeReconstructionGrid(join(dir, 'grids', 'clip 0.png'), clip(0), recons, { shape: [T, H, W], gap: 2 });
    const gif = await writeReconstructionGif(join(dir, 'grids', 'clip0.gif'), clip(0), recons, { shape: [T, H, W], gap: 2 });
    grids.push({ title: 'clip 0 (frames)', src: 'grids/clip 0.png', layout: png }, { title: 'clip 0 (animated)', src: 'grids/clip0.gif', layout: gif });
    const { htmlPath } = await writeReport(dir, { rows, grids, curves, meta: { facts: { dataset: 'synthetic' } } });

    // launch() refuses --user-data-dir in args; a persistent context on a fresh directory is the same thing
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
    });
    page = context.pages()[0] ?? (await context.newPage());
    await page.goto(pathToFileURL(htmlPath).href, { waitUntil: 'load' });
    sweepDir = await mkdtemp(join(tmpdir(), 'zoo-browser-sweep-'));
    const sweep = await writeReport(sweepDir, { rows: sweepRows });
    sweepPage = await context.newPage();
    await sweepPage.goto(pathToFileURL(sweep.htmlPath).href, { waitUntil: 'load' });
  }, LAUNCH_TIMEOUT_MS);

  afterAll(async () => {
    await context?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
    if (sweepDir) await rm(sweepDir, { recursive: true, force: true });
    if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
  });

  it('shows one table row per run, ranked by PSNR, baseline marked', async () => {
    const shown = await page.$$eval('table.leaderboard tbody tr', (trs) =>
      trs.map((tr) => ({ id: tr.getAttribute('data-run-id'), name: tr.children[1]?.textContent, baseline: tr.classList.contains('baseline') })),
    );
    expect(shown).toEqual([
      { id: rows[2]!.runId, name: 'magvit2-lfq', baseline: false },
      { id: rows[0]!.runId, name: 'vqgan', baseline: false },
      { id: rows[1]!.runId, name: 'mean-frame (baseline)', baseline: true },
    ]);
  });

  it('decodes every image at its natural size', async () => {
    const imgs = await page.$$eval('img', (els) =>
      (els as unknown as ImageLike[]).map((i) => ({ src: i.getAttribute('src'), complete: i.complete, w: i.naturalWidth, h: i.naturalHeight })),
    );
    expect(imgs).toHaveLength(grids.length);
    imgs.forEach((img, i) => {
      expect(img.complete).toBe(true);
      expect(img.w).toBeGreaterThan(0);
      expect([img.w, img.h]).toEqual([grids[i]!.layout.width, grids[i]!.layout.height]);
    });
  });

  it('renders each curve as a path with a non-empty bounding box', async () => {
    const widths = await page.$$eval('svg.curves path.curve', (paths) =>
      (paths as unknown as GraphicsLike[]).map((p) => ({ w: p.getBBox().width, h: p.getBBox().height })),
    );
    expect(widths).toHaveLength(curves.reduce((n, c) => n + c.series.length, 0));
    for (const b of widths) expect(b.w).toBeGreaterThan(0);
  });

  it('places each grid label beside its row of the image', async () => {
    const figures = await page.$$eval('figure.reconstruction', (figs) =>
      figs.map((f) => {
        const img = f.querySelector('img')!.getBoundingClientRect();
        const labels = [...f.querySelectorAll('.grid-labels span')].map((s) => {
          const r = s.getBoundingClientRect();
          return { top: r.top - img.top, bottom: r.bottom - img.top, right: r.right, text: s.textContent };
        });
        return { imgLeft: img.left, labels };
      }),
    );
    expect(figures).toHaveLength(grids.length);
    figures.forEach((f, i) => {
      const { cellHeight, gap, rows: names } = grids[i]!.layout;
      expect(f.labels.map((l) => l.text)).toEqual(names);
      f.labels.forEach((l, row) => {
        expect(l.top).toBeCloseTo(row * (cellHeight + gap), 0);
        expect(l.bottom).toBeCloseTo(row * (cellHeight + gap) + cellHeight, 0);
        expect(l.right).toBeLessThanOrEqual(f.imgLeft);
      });
    });
  });

  it('has no sweep section for a run of one codebook size', async () => {
    expect(await page.$$('figure.sweep')).toHaveLength(0);
  });

  it('plots PSNR and prior bits/token against log2 codebook size, one drawn line per quantizer', async () => {
    const charts = await sweepPage.$$eval('figure.sweep', (figs) =>
      figs.map((f) => ({
        metric: f.getAttribute('data-metric'),
        lines: [...f.querySelectorAll('path.curve')].map((p) => {
          const b = (p as unknown as GraphicsLike).getBBox();
          return { name: p.getAttribute('data-series'), w: b.width, h: b.height, points: (p.getAttribute('d') ?? '').split(/[ML]/).filter((x: string) => x.trim()).length };
        }),
      })),
    );
    expect(charts.map((c) => c.metric)).toEqual(['psnr', 'priorBitsPerToken']);
    for (const c of charts) {
      expect(c.lines.map((l) => l.name)).toEqual(['vqgan+lfq', 'vqgan+vq']);
      for (const l of c.lines) {
        expect(l.points).toBe(3); // 256, 1024, 4096
        expect(l.w).toBeGreaterThan(50);
        expect(l.h).toBeGreaterThan(5); // the values rise with K in this data
      }
    }
  });
});
