/**
 * IBQ against SEED-Voken b9a17ea `IndexPropagationQuantize` (fixtures from
 * scripts/fixtures/quantizer_zoo.py): indices exact; quantized, the double
 * quantization loss, the entropy terms and the gradients of
 * (quantized·g).sum() + loss w.r.t. the input and the codebook to 1e-5
 * relative (atol 1e-6), on both engines. Every code gets gradient.
 */
import type { Engine } from '@zoo/core';
import { IBQ } from '../src/ibq.js';
import { ENGINES, makeEngine } from './support/engines.js';
import { expectClose, expectExact, float, loadFixture, type Fixture } from './support/fixtures.js';

function fixtureIBQ(fx: Fixture): IBQ {
  const c = fx.config;
  const q = new IBQ({
    dim: c.e_dim,
    codebookSize: c.n_e,
    beta: c.beta,
    entropyLossWeight: c.use_entropy_loss ? fx.entropy_loss_weight : 0,
    ...(c.entropy_temperature ? { entropyTemperature: c.entropy_temperature } : {}),
  });
  q.loadStateDict({ 'embedding.weight': float(fx.params['embedding.weight']) });
  return q;
}

describe.each(ENGINES)('ibq on %s', (engineName) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await makeEngine(engineName);
  });
  afterAll(async () => engine?.dispose());

  describe.each(['ibq_entropy', 'ibq_plain'])('%s', (name) => {
    const fx = loadFixture(name);

    it('train: quantized, indices, losses, grads of input and codebook', async () => {
      const q = fixtureIBQ(fx);
      const out = await engine
        .valueAndGrad(
          (ops, { z, g }) => {
            const o = q.forward(ops, z!);
            return { loss: ops.add(ops.sum(ops.mul(o.quantized, g!)), o.loss), quantized: o.quantized, indices: o.indices, aux: o.loss, ...o.breakdown };
          },
          { inputs: ['z'], variables: q.parameters() },
        )
        .run({ z: float(fx.inputs.z), g: float(fx.inputs.g) });
      expectExact(out.indices!, fx.outputs.indices, 'indices');
      expectClose(out.quantized!, fx.outputs.quantized, { rtol: 1e-5, atol: 1e-6 }, 'quantized');
      expectClose(out.aux!, fx.outputs.total_loss, { rtol: 1e-5, atol: 1e-7 }, 'loss');
      expectClose(out['quantLoss']!, fx.outputs.quant_loss, { rtol: 1e-5, atol: 1e-7 }, 'quant loss');
      if (fx.config.use_entropy_loss) {
        expectClose(out['sampleEntropy']!, fx.outputs.sample_entropy, { rtol: 1e-5, atol: 1e-7 }, 'sample entropy');
        expectClose(out['avgEntropy']!, fx.outputs.avg_entropy, { rtol: 1e-5, atol: 1e-7 }, 'avg entropy');
        expectClose(out['entropyLoss']!, fx.outputs.entropy_loss, { rtol: 1e-5, atol: 1e-7 }, 'entropy loss');
      }
      expectClose(out['grad:z']!, fx.grads.z, { rtol: 1e-5, atol: 1e-6 }, 'grad z');
      const ge = out['grad:embedding.weight']!;
      expectClose(ge, fx.grads['embedding.weight'], { rtol: 1e-5, atol: 1e-6 }, 'grad codebook');
      // The point of IBQ: every code row gets gradient, not only the selected ones.
      const d = fx.config.e_dim as number;
      for (let k = 0; k < fx.config.n_e; k++) expect(Array.from(ge.data.slice(k * d, (k + 1) * d)).some((v) => v !== 0)).toBe(true);
    });

    it('eval: same indices, codes from indicesToCodes, zero loss', async () => {
      const q = fixtureIBQ(fx).eval();
      const out = await engine
        .compile((ops, { z }) => {
          const o = q.forward(ops, z!);
          return { quantized: o.quantized, indices: o.indices, aux: o.loss, codes: q.indicesToCodes(ops, o.indices) };
        })
        .run({ z: float(fx.inputs.z) });
      expectExact(out.indices!, fx.outputs.indices, 'eval indices');
      expectClose(out.quantized!, fx.outputs.quantized, { rtol: 1e-5, atol: 1e-6 }, 'eval quantized');
      expectClose(out.codes!, fx.outputs.quantized, { rtol: 1e-5, atol: 1e-6 }, 'indices_to_codes');
      expect(out.aux!.item()).toBe(0);
    });
  });
});
