/**
 * `zoo tokenizers` end to end at a tiny budget, split over two shards and
 * merged: every output is written, each row carries usage and perplexity,
 * the baseline row is there, and the merged page renders in chromium (table
 * rows, reconstruction grid, curves).
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { cliSuite, runZoo } from './cli-support.js';
import type { LeaderboardRow } from '../src/report/leaderboard-row.js';

const CHROMIUM = '/usr/bin/chromium';

const run = runZoo;

interface ImageLike {
  complete: boolean;
  naturalWidth: number;
}
interface GraphicsLike {
  getBBox(): { width: number };
}

describe('zoo tokenizers on synthetic clips (tiny budget, 2 shards, merged)', () => {
  const suite = cliSuite('zoo-e2e-');
  const tiny = ['--frames', '2', '--resolution', '16', '--steps', '4', '--batch', '2', '--eval-clips', '2', '--quantizers', 'vq,lfq', '--checkpoint-every', '2', '--disc-start', '100', '--prior-steps', '3', '--prior-config', '{"dim":16,"heads":2,"layers":1}', '--log-level', 'silent'];

  it('writes the three outputs per shard and merges them', async () => {
    const a = await run('tokenizers', ...tiny, '--shard', '0/2', '--out', join(suite.dir, 's0'));
    expect(a.err).not.toMatch(/^error/m);
    expect(a.code).toBe(0);
    const b = await run('tokenizers', ...tiny, '--shard', '1/2', '--out', join(suite.dir, 's1'));
    expect(b.code).toBe(0);
    // Shards write their own files under shards/ and leave the report to the merge.
    for (const [s, i] of [['s0', 0], ['s1', 1]] as const) {
      for (const f of [`shard-${i}-of-2.leaderboard.json`, `shard-${i}-of-2.json`]) expect(existsSync(join(suite.dir, s, 'shards', f))).toBe(true);
      for (const f of ['leaderboard.json', 'leaderboard.md', 'index.html']) expect(existsSync(join(suite.dir, s, f))).toBe(false);
    }
    const s0 = JSON.parse(readFileSync(join(suite.dir, 's0', 'shards', 'shard-0-of-2.leaderboard.json'), 'utf8')) as LeaderboardRow[];
    // Shard 0 writes the baseline and the first tokenizer; shard 1 the second.
    expect(s0.map((r) => r.tokenizer)).toEqual(['mean-frame', 'vqgan+vq']);
    expect(a.out).toMatch(/vqgan\+vq/);

    const m = await run('merge', join(suite.dir, 's0'), join(suite.dir, 's1'), '--out', join(suite.dir, 'merged'));
    expect(m.code).toBe(0);
    const rows = JSON.parse(readFileSync(join(suite.dir, 'merged', 'leaderboard.json'), 'utf8')) as LeaderboardRow[];
    expect(rows.map((r) => r.tokenizer).sort()).toEqual(['mean-frame', 'vqgan+lfq', 'vqgan+vq']);
    const base = rows.find((r) => r.baseline)!;
    expect(base.metrics['psnr']).toBeGreaterThan(0);
    for (const r of rows.filter((x) => !x.baseline)) {
      expect(r.steps).toBe(4);
      expect(r.metrics['codebookUsage']).toBeGreaterThan(0);
      expect(r.metrics['codebookUsage']).toBeLessThanOrEqual(1);
      expect(r.metrics['perplexity']).toBeGreaterThanOrEqual(1);
      expect(Number.isFinite(r.metrics['psnr'])).toBe(true);
      expect(r.metrics['fvd']).toBeNull();
      // 2 frames of 16x16 at the preset's f2 below 32 px: 2 x 8 x 8 tokens.
      expect(r.tokensPerClip).toBe(2 * 8 * 8);
      expect(r.engine).toBe('onnx');
      expect((r.config['spec'] as { quantizer: { name: string } }).quantizer.name).toBe(r.quantizer);
      // the token prior column: a code length per token between 0 and the fixed-length log2(K) plus a
      // margin (3 steps from a near-uniform init sit close to log2 K), per video = per token x tokens
      const bits = r.metrics['priorBitsPerToken']!;
      expect(bits).toBeGreaterThan(0);
      expect(bits).toBeLessThan(Math.log2(r.codebookSize) + 1);
      expect(r.metrics['priorBitsPerVideo']).toBeCloseTo(bits * r.tokensPerClip, 3);
      expect(r.metrics['priorBitsPerPixel']).toBeCloseTo(r.metrics['priorBitsPerVideo']! / (2 * 16 * 16), 6);
      expect(r.config['prior']).toMatchObject({ steps: 3, stepsRun: 3, seed: 0, vocab: r.codebookSize, grid: [2, 8, 8], config: { dim: 16, heads: 2, layers: 1, batch: 4 } });
    }
    expect(base.metrics['priorBitsPerToken']).toBeUndefined();
    const md = readFileSync(join(suite.dir, 'merged', 'leaderboard.md'), 'utf8');
    expect(md).toMatch(/vqgan\+lfq/);
    expect(md).toMatch(/Prior bits\/token ↓ \| Prior bits\/video ↓ \| Prior bpp ↓/);
    expect(a.out).toMatch(/prior bits\/token/);
    for (const f of ['leaderboard.json', 'leaderboard.md', 'index.html']) expect(existsSync(join(suite.dir, 'merged', f))).toBe(true);
  }, 600_000);

  it('renders the merged page in chromium: rows, grid image, curves', async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium (CI installs it)`);
    const profile = await mkdtemp(join(tmpdir(), 'zoo-e2e-chromium-'));
    let context: BrowserContext | undefined;
    try {
      context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
      const page = context.pages()[0] ?? (await context.newPage());
      await page.goto(pathToFileURL(join(suite.dir, 'merged', 'index.html')).href, { waitUntil: 'load' });
      const names = await page.$$eval('table.leaderboard tbody tr', (trs) => trs.map((tr) => tr.children[1]?.textContent ?? ''));
      expect(names.sort()).toEqual(['mean-frame (baseline)', 'vqgan+lfq', 'vqgan+vq']);
      const imgs = await page.$$eval('img', (els) => (els as unknown as ImageLike[]).map((i) => ({ ok: i.complete, w: i.naturalWidth })));
      expect(imgs.length).toBeGreaterThan(0);
      for (const i of imgs) expect(i.ok && i.w > 0).toBe(true);
      const curves = await page.$$eval('svg.curves path.curve', (ps) => (ps as unknown as GraphicsLike[]).map((p) => p.getBBox().width));
      expect(curves.length).toBeGreaterThanOrEqual(2);
      for (const w of curves) expect(w).toBeGreaterThan(0);
    } finally {
      await context?.close();
      await rm(profile, { recursive: true, force: true });
    }
  }, 120_000);
});
