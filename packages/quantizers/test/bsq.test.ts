/**
 * BSQ against vector-quantize-pytorch v1.31.0 `LFQ(spherical=True)`
 * (fixtures from scripts/fixtures/quantizer_zoo.py): indices exact; quantized,
 * aux loss, entropies, commitment and gradients to 1e-5 relative (atol 1e-6
 * for near-zero entries), on both engines.
 */
import type { Engine } from '@zoo/core';
import { BSQ } from '../src/bsq.js';
import { ENGINES, makeEngine } from './support/engines.js';
import { expectClose, expectExact, entropyFixtureOutputs, expectEntropyFixture, float, loadFixture, type Fixture } from './support/fixtures.js';

function fixtureBSQ(fx: Fixture): BSQ {
  const c = fx.config;
  const bsq = new BSQ({
    dim: c.dim,
    codebookSize: c.codebook_size,
    numCodebooks: c.num_codebooks ?? 1,
    codebookScale: c.codebook_scale ?? 1,
    entropyLossWeight: c.entropy_loss_weight,
    diversityGamma: c.diversity_gamma,
    commitmentLossWeight: c.commitment_loss_weight,
    invTemperature: fx.forward_kwargs.inv_temperature,
  });
  const params = Object.fromEntries(Object.entries(fx.params).map(([k, v]) => [k, float(v as never)]));
  if (Object.keys(params).length) bsq.loadStateDict(params);
  return bsq;
}

describe.each(ENGINES)('bsq on %s', (engineName) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await makeEngine(engineName);
  });
  afterAll(async () => engine?.dispose());

  describe.each(['bsq_d4_c16', 'bsq_d6_2codebooks_scale', 'bsq_proj'])('%s', (name) => {
    const fx = loadFixture(name);

    it('train: quantized, indices, aux loss and its terms, grad of quantized.sum() + aux', async () => {
      const bsq = fixtureBSQ(fx);
      const vars = bsq.parameters();
      const out = await engine
        .valueAndGrad(
          entropyFixtureOutputs(bsq),
          { inputs: ['x'], variables: vars },
        )
        .run({ x: float(fx.inputs.x) });
      expectEntropyFixture(out, fx);
      for (const v of vars) expectClose(out[`grad:${v.key}`]!, fx.grads[v.key], { rtol: 1e-5, atol: 1e-6 }, `grad ${v.key}`);
    });

    it('eval: quantized, indices, zero aux loss, indicesToCodes', async () => {
      const bsq = fixtureBSQ(fx).eval();
      const out = await engine
        .compile((ops, { x }) => {
          const o = bsq.forward(ops, x!);
          return { quantized: o.quantized, indices: o.indices, aux: o.loss, codes: bsq.indicesToCodes(ops, o.indices) };
        })
        .run({ x: float(fx.inputs.x) });
      expectExact(out.indices!, fx.outputs.eval_indices, 'eval indices');
      expectClose(out.quantized!, fx.outputs.eval_quantized, { rtol: 1e-5, atol: 1e-7 }, 'eval quantized');
      expect(out.aux!.item()).toBe(0);
      expectClose(out.codes!, fx.outputs.eval_indices_to_codes, { rtol: 1e-5, atol: 1e-7 }, 'indices_to_codes');
    });
  });
});
