/**
 * ResidualLFQ against vector-quantize-pytorch v1.31.0 `ResidualLFQ`
 * (fixtures from scripts/fixtures/quantizer_zoo.py): indices exact; quantized,
 * per-layer losses and the gradients of (quantized·g).sum() + Σ losses w.r.t.
 * input and projections to 1e-5 relative (atol 1e-6), on both engines.
 */
import type { Engine } from '@zoo/core';
import { ResidualLFQ } from '../src/residual-lfq.js';
import { ENGINES, makeEngine } from './support/engines.js';
import { expectClose, expectExact, float, loadFixture, type Fixture } from './support/fixtures.js';

function fixtureRLFQ(fx: Fixture): ResidualLFQ {
  const c = fx.config;
  const q = new ResidualLFQ({
    dim: c.dim,
    codebookSize: c.codebook_size,
    numQuantizers: c.num_quantizers,
    entropyLossWeight: c.entropy_loss_weight,
    commitmentLossWeight: c.commitment_loss_weight,
  });
  const params = Object.fromEntries(Object.entries(fx.params).map(([k, v]) => [k, float(v as never)]));
  if (Object.keys(params).length) q.loadStateDict(params);
  return q;
}

describe.each(ENGINES)('residual-lfq on %s', (engineName) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await makeEngine(engineName);
  });
  afterAll(async () => engine?.dispose());

  describe.each(['residual_lfq', 'residual_lfq_proj'])('%s', (name) => {
    const fx = loadFixture(name);

    it('train: quantized, indices [B, N, L], per-layer losses, grads of input and projections', async () => {
      const q = fixtureRLFQ(fx);
      const out = await engine
        .valueAndGrad(
          (ops, { x, g }) => {
            const o = q.forward(ops, x!);
            return { loss: ops.add(ops.sum(ops.mul(o.quantized, g!)), o.loss), quantized: o.quantized, indices: o.indices, losses: o.breakdown['losses']! };
          },
          { inputs: ['x'], variables: q.parameters() },
        )
        .run({ x: float(fx.inputs.x), g: float(fx.inputs.g) });
      expectExact(out.indices!, fx.outputs.indices, 'indices');
      expectClose(out.quantized!, fx.outputs.quantized, { rtol: 1e-5, atol: 1e-6 }, 'quantized');
      expectClose(out.losses!, fx.outputs.losses, { rtol: 1e-5, atol: 1e-7 }, 'losses');
      expectClose(out['grad:x']!, fx.grads.x, { rtol: 1e-5, atol: 1e-6 }, 'grad x');
      for (const v of q.parameters()) expectClose(out[`grad:${v.key}`]!, fx.grads[v.key], { rtol: 1e-5, atol: 1e-6 }, `grad ${v.key}`);
    });

    it('eval: quantized and indices, zero loss, indicesToCodes', async () => {
      const q = fixtureRLFQ(fx).eval();
      const out = await engine
        .compile((ops, { x }) => {
          const o = q.forward(ops, x!);
          return { quantized: o.quantized, indices: o.indices, aux: o.loss, codes: q.indicesToCodes(ops, o.indices) };
        })
        .run({ x: float(fx.inputs.x) });
      expectExact(out.indices!, fx.outputs.eval_indices, 'eval indices');
      expectClose(out.quantized!, fx.outputs.eval_quantized, { rtol: 1e-5, atol: 1e-6 }, 'eval quantized');
      expectClose(out.codes!, fx.outputs.eval_quantized, { rtol: 1e-5, atol: 1e-6 }, 'indices_to_codes');
      expect(out.aux!.item()).toBe(0);
    });
  });
});
