/**
 * ResidualFSQ against vector-quantize-pytorch v1.31.0 `ResidualFSQ`
 * (fixtures from scripts/fixtures/quantizer_zoo.py): indices exact, quantized
 * and the gradients of (quantized·g).sum() w.r.t. input and projections to
 * 1e-5 relative (atol 1e-6), on both engines; quantize dropout masks layers.
 */
import { HostTensor, type Engine } from '@zoo/core';
import { ResidualFSQ } from '../src/residual-fsq.js';
import { ENGINES, makeEngine } from './support/engines.js';
import { expectClose, expectExact, float, loadFixture, type Fixture } from './support/fixtures.js';

function fixtureRFSQ(fx: Fixture): ResidualFSQ {
  const c = fx.config;
  const q = new ResidualFSQ({ levels: c.levels, numQuantizers: c.num_quantizers, ...(c.dim ? { dim: c.dim } : {}) });
  const params = Object.fromEntries(Object.entries(fx.params).map(([k, v]) => [k, float(v as never)]));
  if (Object.keys(params).length) q.loadStateDict(params);
  return q;
}

describe.each(ENGINES)('residual-fsq on %s', (engineName) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await makeEngine(engineName);
  });
  afterAll(async () => engine?.dispose());

  describe.each(['residual_fsq_proj', 'residual_fsq_nodrop'])('%s', (name) => {
    const fx = loadFixture(name);

    it('train: quantized, indices [B, N, L], grads of input and projections; indicesToCodes', async () => {
      const q = fixtureRFSQ(fx);
      const out = await engine
        .valueAndGrad(
          (ops, { x, g }) => {
            const o = q.forward(ops, x!);
            return { loss: ops.sum(ops.mul(o.quantized, g!)), quantized: o.quantized, indices: o.indices, codes: q.indicesToCodes(ops, o.indices) };
          },
          { inputs: ['x'], variables: q.parameters() },
        )
        .run({ x: float(fx.inputs.x), g: float(fx.inputs.g) });
      expectExact(out.indices!, fx.outputs.indices, 'indices');
      expectClose(out.quantized!, fx.outputs.quantized, { rtol: 1e-5, atol: 1e-6 }, 'quantized');
      expectClose(out.codes!, fx.outputs.eval_quantized, { rtol: 1e-5, atol: 1e-6 }, 'indices_to_codes');
      expectClose(out['grad:x']!, fx.grads.x, { rtol: 1e-5, atol: 1e-6 }, 'grad x');
      for (const v of q.parameters()) expectClose(out[`grad:${v.key}`]!, fx.grads[v.key], { rtol: 1e-5, atol: 1e-6 }, `grad ${v.key}`);
    });
  });

  it('quantize dropout: a masked layer reports −1 and adds nothing', async () => {
    const q = new ResidualFSQ({ levels: [5, 3], numQuantizers: 3, quantizeDropout: true, seed: 1 });
    const x = HostTensor.from(Array.from({ length: 2 * 4 * 2 }, (_, i) => Math.sin(i)), [2, 4, 2]);
    const run = (mask: number[]) =>
      engine
        .compile((ops, { x, m }) => {
          const o = q.forward(ops, x!, { layerMask: m! });
          return { quantized: o.quantized, indices: o.indices };
        })
        .run({ x, m: HostTensor.from(mask, [3]) });
    const full = await run([1, 1, 1]);
    const two = await run([1, 1, 0]);
    const idx = Array.from(two.indices!.data);
    idx.forEach((v, i) => expect(v).toBe(i % 3 === 2 ? -1 : full.indices!.data[i]));
    expect(Array.from(two.quantized!.data)).not.toEqual(Array.from(full.quantized!.data));
    const mask = q.sampleDropoutMask();
    expect(mask.data[0]).toBe(1);
  });

  it('with quantizeDropout, beforeStep draws a mask per step that the same compiled function follows; eval ignores it', async () => {
    const q = new ResidualFSQ({ levels: [5, 3], numQuantizers: 3, quantizeDropout: true, seed: 4 });
    const x = HostTensor.from(Array.from({ length: 2 * 4 * 2 }, (_, i) => Math.sin(i)), [2, 4, 2]);
    const f = engine.compile((ops, { x }) => ({ indices: q.forward(ops, x!).indices }));
    const kept: number[] = [];
    for (let step = 0; step < 12; step++) {
      q.beforeStep(step);
      const mask = Array.from(q.dropout_mask!.value.data);
      const idx = Array.from((await f.run({ x })).indices!.data);
      idx.forEach((v, i) => expect(v === -1).toBe(mask[i % 3] === 0));
      kept.push(mask.reduce((a, b) => a + b, 0));
    }
    expect(Math.min(...kept)).toBeLessThan(3);
    expect(Math.min(...kept)).toBeGreaterThanOrEqual(1);
    q.eval();
    const e = await engine.compile((ops, { x }) => ({ indices: q.forward(ops, x!).indices })).run({ x });
    expect(Array.from(e.indices!.data).every((v) => v >= 0)).toBe(true);
  });
});
