/** Runs every example at a tiny size, checking what each one promises. */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main as quantizerExample } from '../quantizers-in-your-model.js';
import { main as compare } from '../compare-quantizers.js';
import { main as trainFromConfig } from '../train-from-config.js';
import { main as evaluateOnnx } from '../evaluate-onnx-tokenizer.js';

const quiet = { log: () => undefined };

describe('examples', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'zoo-examples-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each(['lfq', 'vq'] as const)('trains %s inside a user tfjs model', async (q) => {
    const r = await quantizerExample({ quantizer: q, steps: 40, ...quiet });
    expect(r.lastLoss).toBeLessThan(r.firstLoss);
    expect(r.usage).toBeGreaterThan(0);
    expect(r.perplexity).toBeGreaterThanOrEqual(1);
  }, 120_000);

  it('compares two quantizers on synthetic data', async () => {
    const rows = await compare({ out: join(dir, 'cmp'), quantizers: ['lfq', 'fsq'], steps: 2, frames: 2, resolution: 16, evalClips: 2, batch: 2, priorSteps: 2 });
    expect(rows.map((r) => r.tokenizer)).toEqual(['mean-frame', 'vqgan+lfq', 'vqgan+fsq']);
    for (const r of rows.slice(1)) expect(r.metrics['priorBitsPerToken']).toBeGreaterThan(0);
    expect(existsSync(join(dir, 'cmp', 'index.html'))).toBe(true);
  }, 300_000);

  it('trains from a JSON config, exports, and evaluates the export as an external tokenizer', async () => {
    const t = await trainFromConfig({ out: join(dir, 'cfg'), steps: 2, frames: 3, resolution: 16, evalClips: 2, batch: 2, priorSteps: 0 });
    expect(existsSync(t.encode) && existsSync(t.decode)).toBe(true);
    const rows = await evaluateOnnx({ encode: t.encode, decode: t.decode, out: join(dir, 'ext'), frames: 3, resolution: 16, evalClips: 2, batch: 2, priorSteps: 2 });
    const ext = rows.find((r) => !r.baseline)!;
    expect(ext.quantizer).toBe('external');
    expect(ext.codebookSize).toBe(16);
    expect(Number.isFinite(ext.metrics['psnr'])).toBe(true);
    expect(ext.metrics['priorBitsPerToken']).toBeGreaterThan(0); // the prior runs on external tokenizers' tokens too
  }, 300_000);
});
