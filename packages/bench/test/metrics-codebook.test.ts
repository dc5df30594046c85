import { HostTensor, create } from '@zoo/core';
import {
  CodebookRangeError,
  CodebookStats,
  bitsPerPixel,
  bitsPerToken,
  codebookPerplexity,
  codebookUsage,
  compressionRatio,
  measureThroughput,
  tokensPerClip,
} from '../src/metrics/index.js';

describe('codebook usage and perplexity', () => {
  it('uniform use of k codes out of K: usage k/K, perplexity k', () => {
    const idx = HostTensor.int(Array.from({ length: 64 }, (_, i) => (i % 8) * 2), [4, 16]);
    expect(codebookUsage(idx, 32)).toBeCloseTo(8 / 32, 12);
    expect(codebookPerplexity(idx, 32)).toBeCloseTo(8, 10);
  });

  it('a collapsed codebook has perplexity 1; a skewed one exp(H) of its frequencies', () => {
    expect(codebookPerplexity([3, 3, 3, 3], 16)).toBeCloseTo(1, 12);
    const p = [0.5, 0.25, 0.25];
    const h = -p.reduce((s, q) => s + q * Math.log(q), 0);
    expect(codebookPerplexity([0, 0, 1, 2], 4)).toBeCloseTo(Math.exp(h), 12);
  });

  it('streams over batches and is registered as metric:codebook', () => {
    const s = create('metric', 'codebook', { codebookSize: 4 });
    expect(s).toBeInstanceOf(CodebookStats);
    expect(s.result().usage.available).toBe(false);
    s.update([0, 1]);
    s.update(HostTensor.int([1, 2], [2]));
    expect(s.tokens).toBe(4);
    expect(s.usage()).toBe(0.75);
    const r = s.result();
    expect(r.perplexity.available && r.perplexity.value).toBeCloseTo(Math.exp(-(0.25 * Math.log(0.25) * 2 + 0.5 * Math.log(0.5))), 12);
    s.reset();
    expect(s.tokens).toBe(0);
  });

  it('rejects indices outside the codebook and bad configs', () => {
    expect(() => codebookUsage([0, 16], 16)).toThrow(CodebookRangeError);
    expect(() => codebookUsage([0.5], 16)).toThrow(CodebookRangeError);
    expect(() => create('metric', 'codebook', { codebookSize: 0 })).toThrow(/codebookSize/);
  });
});

describe('rate and throughput helpers', () => {
  it('MAGVIT-v2 style 17x128x128 clip at 4x8x8 with an 18-bit LFQ codebook', () => {
    const rate = { tokenShape: [5, 16, 16], codebookSizes: [2 ** 18], clipShape: [17, 128, 128] as [number, number, number] };
    expect(tokensPerClip(rate.tokenShape)).toBe(1280);
    expect(bitsPerToken(rate.codebookSizes)).toBeCloseTo(18, 12);
    const bpp = (1280 * 18) / (17 * 128 * 128);
    expect(bitsPerPixel(rate)).toBeCloseTo(bpp, 12);
    expect(compressionRatio(rate)).toBeCloseTo(24 / bpp, 9);
  });

  it('several codebooks per position add their bits', () => {
    expect(bitsPerToken([1024, 1024, 1024])).toBeCloseTo(30, 12);
    expect(() => bitsPerToken([])).toThrow(RangeError);
  });

  it('measureThroughput runs warm-up plus repeats and reports items per second', async () => {
    let calls = 0;
    const r = await measureThroughput(
      async () => {
        calls++;
        await new Promise((res) => setTimeout(res, 1));
      },
      { itemsPerCall: 4, warmup: 2, repeats: 3 },
    );
    expect(calls).toBe(5);
    expect(r.repeats).toBe(3);
    expect(r.itemsPerSecond).toBeCloseTo(4 / r.secondsPerCall, 9);
    expect(Number.isFinite(r.itemsPerSecond) && r.itemsPerSecond > 0).toBe(true);
  });
});
