import { HostTensor, Rng } from '@zoo/core';
import { CodebookUsage, CodebookUsageError } from '../src/host/usage.js';
import { hostTokens, kmeans } from '../src/host/kmeans.js';
import { QuantizerStateError } from '../src/types.js';
import { VectorQuantizer } from '../src/vq.js';
import { CosineVectorQuantizer } from '../src/cosine-vq.js';
import { ENGINES, makeEngine } from './support/engines.js';

/** n points around each of the given centres (2-D), noise 0.05, channels-last [1, M, 2]. */
function blobs(centres: number[][], n: number, seed: number): HostTensor<'float32'> {
  const rng = new Rng(seed);
  const data: number[] = [];
  for (let i = 0; i < n; i++) for (const c of centres) data.push(c[0]! + rng.normal(0, 0.05), c[1]! + rng.normal(0, 0.05));
  return HostTensor.from(data, [1, data.length / 2, 2]);
}

const CENTRES = [
  [3, 0],
  [-3, 0],
  [0, 3],
  [0, -3],
];

describe('codebook usage and perplexity', () => {
  it('uniform use of all codes gives perplexity K and usage 1', () => {
    const u = new CodebookUsage(4).update(HostTensor.int([0, 1, 2, 3, 3, 2, 1, 0], [8]));
    expect(u.summary()).toEqual({ tokens: 8, usedCodes: 4, usage: 1, perplexity: expect.closeTo(4, 10) });
  });

  it('a single code gives perplexity 1; a 3:1 histogram gives exp(H(0.75, 0.25))', () => {
    expect(new CodebookUsage(8).update([5, 5, 5]).summary()).toMatchObject({ usedCodes: 1, usage: 1 / 8, perplexity: 1 });
    const h = -(0.75 * Math.log(0.75) + 0.25 * Math.log(0.25));
    const s = new CodebookUsage(8).update([1, 1, 1, 6]).summary();
    expect(s.perplexity).toBeCloseTo(Math.exp(h), 12);
    expect(s.usedCodes).toBe(2);
  });

  it('accumulates over updates, skips dropped (-1) indices, resets, and rejects out-of-range codes', () => {
    const u = new CodebookUsage(4).update([0, -1]).update([1]);
    expect(u.summary().tokens).toBe(2);
    u.reset();
    expect(u.summary()).toEqual({ tokens: 0, usedCodes: 0, usage: 0, perplexity: 0 });
    expect(() => u.update([4])).toThrow(CodebookUsageError);
  });
});

describe('k-means (host)', () => {
  it('converges to a fixed point of Lloyd: each centre is the mean of the points nearest to it', () => {
    const t = hostTokens(blobs(CENTRES, 25, 1), 'test');
    const { means, counts } = kmeans(t, 4, 20, new Rng(0));
    const sums = new Float64Array(8);
    const n = new Float64Array(4);
    for (let i = 0; i < t.count; i++) {
      const x = [t.data[2 * i]!, t.data[2 * i + 1]!];
      let best = 0;
      for (let k = 1; k < 4; k++) {
        if (Math.hypot(x[0]! - means[2 * k]!, x[1]! - means[2 * k + 1]!) < Math.hypot(x[0]! - means[2 * best]!, x[1]! - means[2 * best + 1]!)) best = k;
      }
      n[best]! += 1;
      sums[2 * best]! += x[0]!;
      sums[2 * best + 1]! += x[1]!;
    }
    expect(Array.from(counts)).toEqual(Array.from(n));
    for (let k = 0; k < 4; k++) {
      if (n[k] === 0) continue;
      expect(means[2 * k]!).toBeCloseTo(sums[2 * k]! / n[k]!, 4);
      expect(means[2 * k + 1]!).toBeCloseTo(sums[2 * k + 1]! / n[k]!, 4);
    }
    expect(counts.reduce((a, b) => a + b, 0)).toBe(100);
  });

  it('flattens channels-first image batches to token rows', () => {
    // [B=1, C=2, H=1, W=2]: tokens (0, 2) and (1, 3)
    const t = hostTokens(HostTensor.from([0, 1, 2, 3], [1, 2, 1, 2]), 'test');
    expect({ count: t.count, dim: t.dim, data: Array.from(t.data) }).toEqual({ count: 2, dim: 2, data: [0, 2, 1, 3] });
  });
});

describe.each(ENGINES)('k-means init and dead-code restart on %s', (engineName) => {
  it('forward refuses to run before kmeans init, then the k-means codebook quantizes each blob to its own code', async () => {
    const engine = await makeEngine(engineName);
    const vq = new VectorQuantizer({ dim: 2, codebookSize: 4, kmeansInit: true, kmeansIters: 10 }).eval();
    const batch = blobs(CENTRES, 10, 2);
    const fn = engine.compile((ops, { z }) => ({ idx: vq.forward(ops, z!).indices }));
    await expect(fn.run({ z: batch })).rejects.toThrow(QuantizerStateError);
    vq.kmeansInit(batch);
    expect(vq._codebook.isInitialized).toBe(true);
    expect(Array.from(vq._codebook.clusterSize.value.data)).toEqual([10, 10, 10, 10]);
    const idx = Array.from((await engine.compile((ops, { z }) => ({ idx: vq.forward(ops, z!).indices })).run({ z: batch })).idx!.data);
    // points are interleaved centre by centre: every 4th point shares a code, and the 4 codes differ
    for (let c = 0; c < 4; c++) expect(new Set(idx.filter((_, i) => i % 4 === c)).size).toBe(1);
    expect(new Set(idx).size).toBe(4);
    await engine.dispose();
  });

  it('EMA steps starve an unused code below the threshold; restartDeadCodes moves it onto a batch vector', async () => {
    const engine = await makeEngine(engineName);
    const vq = new VectorQuantizer({ dim: 2, codebookSize: 3, decay: 0.5, thresholdEmaDeadCode: 0.5, rotationTrick: false });
    // codes 0 and 1 sit on the data, code 2 far away and never chosen
    vq._codebook.setCodes(HostTensor.from([3, 0, -3, 0, 100, 100], [3, 2]));
    const batch = blobs([CENTRES[0]!, CENTRES[1]!], 8, 3);
    const step = engine.compile((ops, { z }) => ({ idx: vq.forward(ops, z!).indices }));
    for (let i = 0; i < 3; i++) await step.run({ z: batch });
    await engine.sync();
    const cs = Array.from(vq._codebook.clusterSize.value.data);
    expect(cs[2]).toBeLessThan(0.5); // 1 · 0.5^3
    expect(cs[0]).toBeGreaterThan(0.5);
    const restarted = vq.restartDeadCodes(batch);
    expect(restarted).toEqual([2]);
    const code2 = Array.from(vq._codebook.embed.value.data.slice(4, 6));
    const rows = Array.from({ length: 16 }, (_, i) => Array.from(batch.data.slice(2 * i, 2 * i + 2)));
    expect(rows).toContainEqual(code2);
    expect(vq._codebook.clusterSize.value.data[2]).toBe(0.5);
    expect(Array.from(vq._codebook.embedAvg.value.data.slice(4, 6))).toEqual(code2.map((v) => Math.fround(v * 0.5)));
    expect(vq.restartDeadCodes(batch)).toEqual([]);
    await engine.dispose();
  });

  it('cosine-vq k-means init keeps unit-norm codes', () => {
    const vq = new CosineVectorQuantizer({ dim: 2, codebookSize: 4, kmeansInit: true });
    vq.kmeansInit(blobs(CENTRES, 10, 4));
    const e = vq._codebook.embed.value.data;
    for (let k = 0; k < 4; k++) expect(Math.hypot(e[2 * k]!, e[2 * k + 1]!)).toBeCloseTo(1, 6);
  });
});
