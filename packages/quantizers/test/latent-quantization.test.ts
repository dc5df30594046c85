/**
 * Latent quantization against vector-quantize-pytorch v1.31.0
 * `LatentQuantize` (fixtures from scripts/fixtures/quantizer_zoo.py):
 * indices exact; quantized, loss and the gradients of (quantized·g).sum() +
 * loss w.r.t. input and projections to 1e-5 relative (atol 1e-6), on both
 * engines. The reference reads every input as channels-first, so the rank-3
 * case passes layout 'channels-first'.
 */
import type { Engine } from '@zoo/core';
import { LatentQuantization } from '../src/latent-quantization.js';
import { ENGINES, makeEngine } from './support/engines.js';
import { expectClose, expectExact, float, loadFixture, type Fixture } from './support/fixtures.js';

function fixtureLQ(fx: Fixture): LatentQuantization {
  const c = fx.config;
  const q = new LatentQuantization({ levels: c.levels, dim: c.dim, ...(c.codebook_dim ? { codebookDim: c.codebook_dim } : {}), numCodebooks: c.num_codebooks ?? 1 });
  q.loadStateDict(Object.fromEntries(Object.entries(fx.params).map(([k, v]) => [k, float(v as never)])));
  return q;
}

describe.each(ENGINES)('latent-quantization on %s', (engineName) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await makeEngine(engineName);
  });
  afterAll(async () => engine?.dispose());

  describe.each(['latent_quantization', 'latent_quantization_proj'])('%s', (name) => {
    const fx = loadFixture(name);
    const layout = 'channels-first' as const;

    it('train: quantized, indices, loss, grads of input and projections', async () => {
      const q = fixtureLQ(fx);
      const vars = q.parameters();
      const out = await engine
        .valueAndGrad(
          (ops, { x, g }) => {
            const o = q.forward(ops, x!, { layout });
            return { loss: ops.add(ops.sum(ops.mul(o.quantized, g!)), o.loss), quantized: o.quantized, indices: o.indices, aux: o.loss };
          },
          { inputs: ['x'], variables: vars },
        )
        .run({ x: float(fx.inputs.x), g: float(fx.inputs.g) });
      expectExact(out.indices!, fx.outputs.indices, 'indices');
      expectClose(out.quantized!, fx.outputs.quantized, { rtol: 1e-5, atol: 1e-6 }, 'quantized');
      expectClose(out.aux!, fx.outputs.loss, { rtol: 1e-5, atol: 1e-7 }, 'loss');
      expectClose(out['grad:x']!, fx.grads.x, { rtol: 1e-5, atol: 1e-6 }, 'grad x');
      for (const v of vars) expectClose(out[`grad:${v.key}`]!, fx.grads[v.key], { rtol: 1e-5, atol: 1e-6 }, `grad ${v.key}`);
      // The value sets are not trained (the reference gives them no gradient).
      expect(vars.some((v) => v.key.startsWith('values_per_latent'))).toBe(false);
    });

    it('eval: same output, zero loss, indicesToCodes', async () => {
      const q = fixtureLQ(fx).eval();
      const out = await engine
        .compile((ops, { x }) => {
          const o = q.forward(ops, x!, { layout });
          return { quantized: o.quantized, indices: o.indices, aux: o.loss, codes: q.indicesToCodes(ops, o.indices, { layout }) };
        })
        .run({ x: float(fx.inputs.x) });
      expectExact(out.indices!, fx.outputs.indices, 'eval indices');
      expectClose(out.quantized!, fx.outputs.eval_quantized, { rtol: 1e-5, atol: 1e-6 }, 'eval quantized');
      expectClose(out.codes!, fx.outputs.indices_to_codes, { rtol: 1e-5, atol: 1e-6 }, 'indices_to_codes');
      expect(out.aux!.item()).toBe(0);
    });
  });
});
