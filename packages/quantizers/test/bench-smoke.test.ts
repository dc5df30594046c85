import { HostTensor } from '@zoo/core';
import { benchQuantizers } from '../src/bench/index.js';
import { CosineVectorQuantizer } from '../src/cosine-vq.js';
import { ENGINES, makeEngine } from './support/engines.js';

describe.each(ENGINES)('extras on %s', (engineName) => {
  it('benchQuantizers runs both cases at tiny sizes and reports what it timed', async () => {
    const engine = await makeEngine(engineName);
    const r = await benchQuantizers(engine, {
      repeats: 1,
      vq: { tokens: 64, dim: 4, codes: 16, chunkSize: 16 },
      peakSize: 32,
      lfq: { tokens: 16, codebookBits: 6, factorizedBits: [3, 3] },
    });
    expect(r.engine).toBe(engineName);
    expect(r.vqLookup).toMatchObject({ tokens: 64, dim: 4, codes: 16, runs: 1 });
    expect(r.lfqTrain).toMatchObject({ tokens: 16, codebookSize: 64, factorizedBits: [3, 3], entropyDot: 'matmul' });
    expect(r.vqLookup.seconds).toBeGreaterThan(0);
    expect(r.vqLookup.fedCodebookSeconds).toBeGreaterThan(0);
    expect(r.vqLookup.matmulFloorSeconds).toBeGreaterThan(0);
    // GFLOP/s are the flop count over the seconds asserted above (recomputing that formula here would only repeat it).
    expect(Number.isFinite(r.vqLookup.gflops) && r.vqLookup.gflops > 0).toBe(true);
    expect(r.peak).toMatchObject({ size: 32 });
    if (process.platform === 'linux') {
      expect(r.cpuSteal).toBeGreaterThanOrEqual(0);
      expect(r.cpuSteal).toBeLessThanOrEqual(1);
    }
    expect(Number.isFinite(r.peak.gflops) && r.peak.gflops > 0).toBe(true);
    expect(r.lfqTrain.seconds).toBeGreaterThan(0);
    // a real peak where Linux exposes one: at least the resident memory now
    if (r.lfqTrain.memory) {
      expect(r.lfqTrain.memory.peakMiB).toBeGreaterThanOrEqual(process.memoryUsage().rss / 2 ** 20 - 64);
      expect(r.lfqTrain.memory.addedMiB).toBeGreaterThanOrEqual(0);
    }
    await engine.dispose();
  });

  it('cosine-vq with a gradient-trained codebook: unit-norm output, gradient reaches the codebook', async () => {
    const engine = await makeEngine(engineName);
    const vq = new CosineVectorQuantizer({ dim: 3, codebookSize: 4, learnableCodebook: true, seed: 2 });
    const z = HostTensor.from(Array.from({ length: 18 }, (_, i) => Math.cos(i * 1.3) * 2), [1, 6, 3]);
    const out = await engine
      .valueAndGrad(
        (ops, { z: zin }) => {
          const o = vq.forward(ops, zin!);
          return { loss: o.loss, q: o.quantized };
        },
        { inputs: ['z'], variables: [vq._codebook.embed] },
      )
      .run({ z });
    for (let t = 0; t < 6; t++) expect(Math.hypot(...Array.from(out.q!.data.slice(3 * t, 3 * t + 3)))).toBeCloseTo(1, 5);
    expect(Array.from(out['grad:_codebook.embed']!.data).some((g) => g !== 0)).toBe(true);
    await engine.dispose();
  });
});
