import { HostTensor, type Engine } from '@zoo/core';
import { LFQ } from '../src/lfq.js';
import { ENGINES, makeEngine } from './support/engines.js';
import { expectClose, expectExact, entropyFixtureOutputs, expectEntropyFixture, float, loadFixture } from './support/fixtures.js';

const CASES = ['lfq_d4_c16', 'lfq_d4_c16_unit_scale', 'lfq_d8_c16_2codebooks', 'lfq_d4_c16_2codebooks_proj'];

function fixtureLFQ(fx: ReturnType<typeof loadFixture>, entropyDot: 'sequential' | 'matmul' = 'sequential'): LFQ {
  const c = fx.config;
  const lfq = new LFQ({
    dim: c.dim,
    codebookSize: c.codebook_size,
    numCodebooks: c.num_codebooks ?? 1,
    entropyLossWeight: c.entropy_loss_weight,
    diversityGamma: c.diversity_gamma,
    commitmentLossWeight: c.commitment_loss_weight,
    invTemperature: fx.forward_kwargs.inv_temperature,
    entropyDot,
  });
  const params = Object.fromEntries(Object.entries(fx.params).map(([k, v]) => [k, float(v as never)]));
  if (Object.keys(params).length) lfq.loadStateDict(params);
  return lfq;
}

describe.each(ENGINES)('lfq on %s', (engineName) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await makeEngine(engineName);
  });
  afterAll(async () => engine?.dispose());

  describe.each(CASES)('%s', (name) => {
    const fx = loadFixture(name);

    it('train forward: quantized, indices, aux loss, entropies and grad of quantized.sum() + aux_loss', async () => {
      const lfq = fixtureLFQ(fx);
      const out = await engine
        .valueAndGrad(
          entropyFixtureOutputs(lfq),
          { inputs: ['x'] },
        )
        .run({ x: float(fx.inputs.x) });
      expectEntropyFixture(out, fx);
    });

    it('eval forward, zero aux loss, and indicesToCodes', async () => {
      const lfq = fixtureLFQ(fx).eval();
      const out = await engine
        .compile((ops, { x }) => {
          const o = lfq.forward(ops, x!);
          return { quantized: o.quantized, indices: o.indices, aux: o.loss, codes: lfq.indicesToCodes(ops, o.indices) };
        })
        .run({ x: float(fx.inputs.x) });
      expectExact(out.indices!, fx.outputs.eval_indices, 'eval indices');
      expectClose(out.quantized!, fx.outputs.eval_quantized, { rtol: 1e-6, atol: 1e-7 }, 'eval quantized');
      expect(out.aux!.item()).toBe(0);
      expectClose(out.codes!, fx.outputs.eval_indices_to_codes, { rtol: 1e-6, atol: 1e-7 }, 'indices_to_codes');
    });

    it("entropyDot: 'matmul' agrees with the sequential sum up to float rounding", async () => {
      const run = (lfq: LFQ) =>
        engine
          .compile((ops, { x }) => {
            const o = lfq.forward(ops, x!);
            return { ps: o.breakdown['perSampleEntropy']!, cb: o.breakdown['codebookEntropy']! };
          })
          .run({ x: float(fx.inputs.x) });
      const seq = await run(fixtureLFQ(fx));
      const fast = await run(fixtureLFQ(fx, 'matmul'));
      expectClose(fast.ps!, seq.ps!, { rtol: 1e-4, atol: 1e-6 }, 'per-sample entropy');
      expectClose(fast.cb!, seq.cb!, { rtol: 1e-4, atol: 1e-6 }, 'codebook entropy');
    });

    it('implicit codebook is MSB-first', () => {
      expectClose(fixtureLFQ(fx).implicitCodebook(), fx.outputs.implicit_codebook, { rtol: 0, atol: 0 }, 'implicit codebook');
    });
  });

  it('index <-> code round trip over the whole codebook, both bit orders, image layout', async () => {
    for (const bitOrder of ['msb-first', 'lsb-first'] as const) {
      const lfq = new LFQ({ codebookSize: 32, bitOrder, codebookScale: 0.5 }).eval();
      const all = HostTensor.int(Array.from({ length: 32 }, (_, i) => i), [2, 4, 4]); // [B, H, W]
      const out = await engine
        .compile((ops, { idx }) => {
          const codes = lfq.indicesToCodes(ops, idx!); // [B, C, H, W]
          return { codes, back: lfq.forward(ops, codes).indices };
        })
        .run({ idx: all });
      expect(out.codes!.shape).toEqual([2, 5, 4, 4]);
      expect(Array.from(out.back!.data)).toEqual(Array.from(all.data));
      expect(new Set(Array.from(out.codes!.data).map(Math.abs))).toEqual(new Set([0.5]));
    }
  });

  it('2^18 codes with factorized entropy [9, 9]: forward + backward without 2^18-wide tensors', async () => {
    const lfq = new LFQ({ codebookSize: 2 ** 18, factorizedBits: [9, 9] });
    const x = HostTensor.from(Array.from({ length: 2 * 18 * 4 * 4 }, (_, i) => 0.05 * Math.sin(i * 0.37)), [2, 18, 4, 4]);
    const out = await engine
      .valueAndGrad(
        (ops, { x: xin }) => {
          const o = lfq.forward(ops, xin!);
          return { loss: ops.add(ops.sum(o.quantized), o.loss), indices: o.indices, cb: o.breakdown['codebookEntropy']! };
        },
        { inputs: ['x'] },
      )
      .run({ x });
    expect(out.indices!.shape).toEqual([2, 4, 4]);
    for (const v of out.indices!.data) expect(v >= 0 && v < 2 ** 18).toBe(true);
    expect(out['grad:x']!.shape).toEqual([2, 18, 4, 4]);
    expect(Array.from(out['grad:x']!.data).every(Number.isFinite)).toBe(true);
    // two 512-way marginals: codebook entropy at most 2·ln 512
    expect(out.cb!.item()).toBeLessThanOrEqual(2 * Math.log(512) + 1e-4);
  });

  it('factorized entropy keeps the exact per-sample entropy and bounds the codebook entropy from above', async () => {
    const exact = new LFQ({ codebookSize: 64 });
    const split = new LFQ({ codebookSize: 64, factorizedBits: [3, 3] });
    const x = HostTensor.from(Array.from({ length: 2 * 5 * 6 }, (_, i) => 0.01 * Math.sin(i * 1.7)), [2, 5, 6]);
    const run = (q: LFQ) =>
      engine
        .compile((ops, { x: xin }) => {
          const o = q.forward(ops, xin!);
          return { ps: o.breakdown['perSampleEntropy']!, cb: o.breakdown['codebookEntropy']! };
        })
        .run({ x });
    const a = await run(exact);
    const b = await run(split);
    expect(b.ps!.item()).toBeCloseTo(a.ps!.item(), 4);
    expect(b.cb!.item()).toBeGreaterThanOrEqual(a.cb!.item() - 1e-5);
  });
});

describe.each(ENGINES)('lfq token subsampling on %s', (engineName) => {
  it('fracPerSampleEntropy < 1 estimates on a subset of rows; identical tokens give the full-batch value', async () => {
    const engine = await makeEngine(engineName);
    const full = new LFQ({ codebookSize: 16 });
    const half = new LFQ({ codebookSize: 16, fracPerSampleEntropy: 0.5 });
    const same = HostTensor.from(Array.from({ length: 8 * 4 }, (_, i) => [0.01, -0.02, 0.005, 0.03][i % 4]!), [1, 8, 4]);
    const varied = HostTensor.from(Array.from({ length: 8 * 4 }, (_, i) => 0.02 * Math.sin(i * 2.1)), [1, 8, 4]);
    const run = (q: LFQ, x: HostTensor) =>
      engine
        .valueAndGrad(
          (ops, { x: xin }) => {
            const o = q.forward(ops, xin!);
            return { loss: o.loss, ps: o.breakdown['perSampleEntropy']! };
          },
          { inputs: ['x'] },
        )
        .run({ x });
    const [a, b] = [await run(full, same), await run(half, same)];
    expect(b.ps!.item()).toBeCloseTo(a.ps!.item(), 5);
    const c = await run(half, varied);
    expect(Number.isFinite(c.ps!.item())).toBe(true);
    const g = c['grad:x']!;
    expect(g.shape).toEqual([1, 8, 4]);
    expect(Array.from(g.data).every(Number.isFinite)).toBe(true);
    // The per-sample entropy's own gradient reaches only the sampled rows (at most 4 of 8);
    // over the full batch it reaches all 8 (commitment, in the loss above, reaches all rows either way).
    const entropyGrad = (q: LFQ) =>
      engine
        .valueAndGrad((ops, { x: xin }) => ({ loss: q.forward(ops, xin!).breakdown['perSampleEntropy']! }), { inputs: ['x'] })
        .run({ x: varied });
    const rowsReached = (t: HostTensor) => Array.from({ length: 8 }, (_, r) => t.data.slice(r * 4, r * 4 + 4).some((v) => v !== 0)).filter(Boolean).length;
    expect(rowsReached((await entropyGrad(full))['grad:x']!)).toBe(8);
    const sampled = rowsReached((await entropyGrad(half))['grad:x']!);
    expect(sampled).toBeGreaterThan(0);
    expect(sampled).toBeLessThanOrEqual(4);
    await engine.dispose();
  });
});
