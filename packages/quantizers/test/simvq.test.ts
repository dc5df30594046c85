/**
 * SimVQ against vector-quantize-pytorch v1.31.0 `SimVQ` (fixtures from
 * scripts/fixtures/quantizer_zoo.py; its one einx call replaced by a plain
 * torch gather there): indices exact; quantized, loss, indicesToCodes and the
 * gradients of (quantized·g).sum() + loss w.r.t. the input and the linear map
 * to 1e-5 relative (atol 1e-6), on both engines.
 */
import type { Engine } from '@zoo/core';
import { SimVQ } from '../src/simvq.js';
import { ENGINES, makeEngine } from './support/engines.js';
import { expectClose, expectExact, float, loadFixture, type Fixture } from './support/fixtures.js';

function fixtureSimVQ(fx: Fixture): SimVQ {
  const c = fx.config;
  const vq = new SimVQ({
    dim: c.dim,
    codebookSize: c.codebook_size,
    ...(c.frozen_codebook_dim ? { frozenCodebookDim: c.frozen_codebook_dim } : {}),
    ...(c.rotation_trick === false ? { rotationTrick: false } : {}),
    ...(c.commitment_weight !== undefined ? { commitmentWeight: c.commitment_weight } : {}),
  });
  vq.loadStateDict({ frozen_codebook: float(fx.buffers.frozen_codebook), 'code_transform.weight': float(fx.params['code_transform.weight']) });
  return vq;
}

describe.each(ENGINES)('simvq on %s', (engineName) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await makeEngine(engineName);
  });
  afterAll(async () => engine?.dispose());

  describe.each(['simvq_rotation_trick', 'simvq_ste_image'])('%s', (name) => {
    const fx = loadFixture(name);

    it('train: quantized, indices, loss, grads of input and linear map; indicesToCodes', async () => {
      const vq = fixtureSimVQ(fx);
      const out = await engine
        .valueAndGrad(
          (ops, { x, g }) => {
            const o = vq.forward(ops, x!);
            return {
              loss: ops.add(ops.sum(ops.mul(o.quantized, g!)), o.loss),
              quantized: o.quantized,
              indices: o.indices,
              aux: o.loss,
              codes: vq.indicesToCodes(ops, o.indices),
            };
          },
          { inputs: ['x'], variables: vq.parameters() },
        )
        .run({ x: float(fx.inputs.x), g: float(fx.inputs.g) });
      expectExact(out.indices!, fx.outputs.indices, 'indices');
      expectClose(out.quantized!, fx.outputs.quantized, { rtol: 1e-5, atol: 1e-6 }, 'quantized');
      expectClose(out.aux!, fx.outputs.loss, { rtol: 1e-5, atol: 1e-7 }, 'loss');
      expectClose(out.codes!, fx.outputs.indices_to_codes, { rtol: 1e-5, atol: 1e-6 }, 'indices_to_codes');
      expectClose(out['grad:x']!, fx.grads.x, { rtol: 1e-5, atol: 1e-6 }, 'grad x');
      expectClose(out['grad:code_transform.weight']!, fx.grads['code_transform.weight'], { rtol: 1e-5, atol: 1e-6 }, 'grad code_transform.weight');
    });

    it('eval: same indices, codes exactly the linear map of the frozen rows, zero loss', async () => {
      const vq = fixtureSimVQ(fx).eval();
      const out = await engine
        .compile((ops, { x }) => {
          const o = vq.forward(ops, x!);
          return { quantized: o.quantized, indices: o.indices, aux: o.loss };
        })
        .run({ x: float(fx.inputs.x) });
      expectExact(out.indices!, fx.outputs.indices, 'eval indices');
      expectClose(out.quantized!, fx.outputs.indices_to_codes, { rtol: 1e-5, atol: 1e-6 }, 'eval quantized');
      expect(out.aux!.item()).toBe(0);
    });
  });

  it('only the linear map trains: the frozen codebook is a buffer', () => {
    const vq = new SimVQ({ dim: 4, codebookSize: 8 });
    expect(vq.parameters().map((v) => v.key)).toEqual(['code_transform.weight']);
    expect(Object.keys(vq.stateDict()).sort()).toEqual(['code_transform.weight', 'frozen_codebook']);
  });
});
