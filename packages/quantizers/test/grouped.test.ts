/**
 * `grouped` against vector-quantize-pytorch v1.31.0 `GroupedResidualVQ`,
 * `GroupedResidualFSQ` and `GroupedResidualLFQ` (fixtures from scripts/fixtures/quantizer_zoo.py):
 * indices exact (the reference's [G, B, N, L] laid out as our trailing G·L
 * axis); quantized, per-layer losses and gradients of (quantized·g).sum()
 * (+ Σ losses) w.r.t. input, codebooks and projections to 1e-5 relative
 * (atol 1e-6, 1e-7 for losses), on both engines.
 */
import { HostTensor, type Engine } from '@zoo/core';
import '../src/index.js';
import { GroupedQuantizer } from '../src/grouped.js';
import { ENGINES, makeEngine } from './support/engines.js';
import { expectClose, expectExact, float, loadFixture, type Fixture, type FixtureTensor } from './support/fixtures.js';

function fixtureGrouped(fx: Fixture): GroupedQuantizer {
  const c = fx.config;
  const per = c.dim / c.groups;
  const quantizer = {
    GroupedResidualVQ: { name: 'rvq', config: { numQuantizers: c.num_quantizers, layer: { kind: 'vq', config: { dim: per, codebookSize: c.codebook_size, learnableCodebook: true, commitmentWeight: c.commitment_weight } } } },
    GroupedResidualFSQ: { name: 'residual-fsq', config: { levels: c.levels, numQuantizers: c.num_quantizers, dim: per } },
    GroupedResidualLFQ: {
      name: 'residual-lfq',
      config: { dim: per, codebookSize: c.codebook_size, numQuantizers: c.num_quantizers, entropyLossWeight: c.entropy_loss_weight, commitmentLossWeight: c.commitment_loss_weight },
    },
  }[fx.source.symbol as string]!;
  const q = new GroupedQuantizer({ groups: c.groups, quantizer });
  q.loadStateDict(Object.fromEntries(Object.entries({ ...fx.params, ...fx.buffers }).map(([k, v]) => [k, float(v as never)])), false);
  return q;
}

/** [G, B, N, L] -> [B, N, G·L]. */
function groupLast(t: FixtureTensor): FixtureTensor {
  const [g, b, n, l] = t.shape as [number, number, number, number];
  const out: number[] = new Array(t.data.length);
  for (let gi = 0; gi < g; gi++) for (let bi = 0; bi < b; bi++) for (let ni = 0; ni < n; ni++) for (let li = 0; li < l; li++) out[((bi * n + ni) * g + gi) * l + li] = t.data[((gi * b + bi) * n + ni) * l + li]!;
  return { shape: [b, n, g * l], dtype: t.dtype, data: out };
}

describe.each(ENGINES)('grouped on %s', (engineName) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await makeEngine(engineName);
  });
  afterAll(async () => engine?.dispose());

  describe.each(['grouped_rvq', 'grouped_rfsq', 'grouped_rlfq'])('%s', (name) => {
    const fx = loadFixture(name);

    it('train: quantized, indices, losses, grads; indicesToCodes; rate', async () => {
      const q = fixtureGrouped(fx);
      const vars = q.parameters();
      const out = await engine
        .valueAndGrad(
          (ops, { x, g }) => {
            const o = q.forward(ops, x!);
            return { loss: ops.add(ops.sum(ops.mul(o.quantized, g!)), o.loss), quantized: o.quantized, indices: o.indices, losses: o.breakdown['losses']! };
          },
          { inputs: ['x'], variables: vars },
        )
        .run({ x: float(fx.inputs.x), g: float(fx.inputs.g) });
      expectExact(out.indices!, groupLast(fx.outputs.indices), 'indices');
      expectClose(out.quantized!, fx.outputs.quantized, { rtol: 1e-5, atol: 1e-6 }, 'quantized');
      if (fx.outputs.losses) expectClose(out.losses!, { ...fx.outputs.losses, shape: [fx.outputs.losses.data.length] }, { rtol: 1e-5, atol: 1e-7 }, 'losses');
      expectClose(out['grad:x']!, fx.grads.x, { rtol: 1e-5, atol: 1e-6 }, 'grad x');
      for (const v of vars) expectClose(out[`grad:${v.key}`]!, fx.grads[v.key], { rtol: 1e-5, atol: 1e-6 }, `grad ${v.key}`);
      expect(q.rate().codebookSizes.length).toBe(fx.config.groups * fx.config.num_quantizers);

      const ev = fixtureGrouped(fx).eval();
      const e = await engine
        .compile((ops, { x }) => {
          const o = ev.forward(ops, x!);
          return { quantized: o.quantized, indices: o.indices, codes: ev.indicesToCodes(ops, o.indices) };
        })
        .run({ x: float(fx.inputs.x) });
      expectExact(e.indices!, groupLast(fx.outputs.eval_indices), 'eval indices');
      expectClose(e.quantized!, fx.outputs.eval_quantized, { rtol: 1e-5, atol: 1e-6 }, 'eval quantized');
      expectClose(e.codes!, fx.outputs.eval_quantized, { rtol: 1e-5, atol: 1e-6 }, 'indices_to_codes');
    });
  });

  it('groups any kind (lfq here) and rejects a bad group config with the group kind named', async () => {
    const q = new GroupedQuantizer({ groups: 3, quantizer: { name: 'lfq', config: { codebookSize: 4 } } });
    expect(q.dim).toBe(6);
    expect(q.rate()).toEqual({ codebookSizes: [4, 4, 4], indexAxis: true, bitsPerToken: 6 });
    const x = HostTensor.from(Array.from({ length: 2 * 6 * 4 }, (_, i) => Math.cos(i)), [2, 6, 2, 2]);
    const out = await engine.compile((ops, { x }) => ({ indices: q.eval().forward(ops, x!).indices })).run({ x });
    expect(out.indices!.shape).toEqual([2, 2, 2, 3]);
    expect(() => new GroupedQuantizer({ groups: 2, quantizer: { name: 'pq', config: {} } })).toThrow(/grouped: group quantizer 'pq'.*lfq/);
  });
});
