/**
 * Gumbel VQ against taming-transformers 3ba01b2 `GumbelQuantize` (fixtures
 * from scripts/fixtures/quantizer_zoo.py, with the Gumbel noise the reference
 * drew fed in): indices exact; quantized, KL loss and the gradients of
 * (quantized·g).sum() + kl w.r.t. input, projection and codebook to 1e-5
 * relative (atol 1e-6), on both engines. Eval: noise-free argmax.
 */
import { HostTensor, type Engine } from '@zoo/core';
import { GumbelVQ } from '../src/gumbel-vq.js';
import { ENGINES, makeEngine } from './support/engines.js';
import { expectClose, expectExact, float, loadFixture, type Fixture } from './support/fixtures.js';

function fixtureGumbel(fx: Fixture): GumbelVQ {
  const c = fx.config;
  const q = new GumbelVQ({ dim: c.num_hiddens, codebookSize: c.n_embed, klWeight: c.kl_weight, temperature: fx.temperature });
  q.loadStateDict(Object.fromEntries(Object.entries(fx.params).map(([k, v]) => [k, float(v as never)])));
  return q;
}

describe.each(ENGINES)('gumbel-vq on %s', (engineName) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await makeEngine(engineName);
  });
  afterAll(async () => engine?.dispose());

  describe.each(['gumbel_t1', 'gumbel_t05_kl'])('%s', (name) => {
    const fx = loadFixture(name);

    it('train with the recorded noise: quantized, indices, KL, grads of input, projection and codebook', async () => {
      const q = fixtureGumbel(fx);
      const out = await engine
        .valueAndGrad(
          (ops, { z, g, noise }) => {
            const o = q.forward(ops, z!, { gumbelNoise: noise! });
            return { loss: ops.add(ops.sum(ops.mul(o.quantized, g!)), o.loss), quantized: o.quantized, indices: o.indices, aux: o.loss };
          },
          { inputs: ['z'], variables: q.parameters() },
        )
        .run({ z: float(fx.inputs.z), g: float(fx.inputs.g), noise: float(fx.inputs.gumbel_noise) });
      expectExact(out.indices!, fx.outputs.indices, 'indices');
      expectClose(out.quantized!, fx.outputs.quantized, { rtol: 1e-5, atol: 1e-6 }, 'quantized');
      expectClose(out.aux!, fx.outputs.kl_loss, { rtol: 1e-5, atol: 1e-9 }, 'kl loss');
      expectClose(out['grad:z']!, fx.grads.z, { rtol: 1e-5, atol: 1e-6 }, 'grad z');
      for (const k of ['proj.weight', 'proj.bias', 'embed.weight']) expectClose(out[`grad:${k}`]!, fx.grads[k], { rtol: 1e-5, atol: 1e-6 }, `grad ${k}`);
    });

    it('eval: noise-free argmax of the logits, codes from indicesToCodes', async () => {
      const q = fixtureGumbel(fx).eval();
      const out = await engine
        .compile((ops, { z }) => {
          const o = q.forward(ops, z!);
          return { quantized: o.quantized, indices: o.indices, aux: o.loss, codes: q.indicesToCodes(ops, o.indices) };
        })
        .run({ z: float(fx.inputs.z) });
      expectExact(out.indices!, fx.outputs.eval_indices, 'eval indices');
      expectClose(out.codes!, out.quantized!, { rtol: 0, atol: 0 }, 'indices_to_codes');
      expect(out.aux!.item()).toBe(0);
    });
  });

  it('with a schedule, beforeStep(step) sets τ for the next runs of one compiled function', async () => {
    const fx = loadFixture('gumbel_t05_kl');
    const c = fx.config;
    const sched = { warmUpSteps: 4, start: 0.3, max: 1.2, min: 0.2, maxDecaySteps: 20 };
    const q = new GumbelVQ({ dim: c.num_hiddens, codebookSize: c.n_embed, klWeight: c.kl_weight, temperatureSchedule: sched });
    const params = Object.fromEntries(Object.entries(fx.params).map(([k, v]) => [k, float(v as never)]));
    q.loadStateDict({ ...params, temperature: HostTensor.from([q.temperatureAt(0)], [1]) });
    // The forward value is the hard code whatever τ is; τ shows in the gradient through the softmax.
    const scheduled = engine.valueAndGrad((ops, { z, noise, g }) => ({ loss: ops.sum(ops.mul(q.forward(ops, z!, { gumbelNoise: noise! }).quantized, g!)) }), { inputs: ['z'] });
    const explicit = engine.valueAndGrad(
      (ops, { z, noise, g, t }) => ({ loss: ops.sum(ops.mul(q.forward(ops, z!, { gumbelNoise: noise!, temperature: ops.reshape(t!, []) }).quantized, g!)) }),
      { inputs: ['z'] },
    );
    const inputs = { z: float(fx.inputs.z), noise: float(fx.inputs.gumbel_noise), g: float(fx.inputs.g) };
    const seen: number[][] = [];
    for (const step of [0, 2, 10, 30]) {
      q.beforeStep(step);
      const a = await scheduled.run(inputs);
      const b = await explicit.run({ ...inputs, t: HostTensor.from([q.temperatureAt(step)], [1]) });
      expectClose(a['grad:z']!, b['grad:z']!, { rtol: 0, atol: 0 }, `grad z at step ${step}`);
      seen.push(Array.from(a['grad:z']!.data));
    }
    // τ moved between steps, so the gradients differ.
    expect(new Set(seen.map((s) => s.join(','))).size).toBeGreaterThan(1);
  });

  it('in-graph noise: finite, indices in range, and the temperature schedule follows taming (warm-up, then cosine)', async () => {
    const q = new GumbelVQ({ dim: 4, codebookSize: 8, temperatureSchedule: { warmUpSteps: 10, start: 0.5, max: 1, min: 0.1, maxDecaySteps: 110 } });
    expect(q.temperatureAt(0)).toBeCloseTo(0.5, 12);
    expect(q.temperatureAt(5)).toBeCloseTo(0.75, 12);
    expect(q.temperatureAt(60)).toBeCloseTo(0.55, 12);
    expect(q.temperatureAt(500)).toBeCloseTo(0.1, 12);
    const z = HostTensor.from(Array.from({ length: 2 * 4 * 9 }, (_, i) => Math.sin(i)), [2, 4, 3, 3]);
    const out = await engine
      .compile((ops, { z, t }) => {
        const o = q.forward(ops, z!, { temperature: ops.reshape(t!, []) });
        return { quantized: o.quantized, indices: o.indices, aux: o.loss };
      })
      .run({ z, t: HostTensor.from([q.temperatureAt(3)], [1]) });
    expect(out.indices!.shape).toEqual([2, 3, 3]);
    expect(Array.from(out.indices!.data).every((v) => v >= 0 && v < 8)).toBe(true);
    expect(Array.from(out.quantized!.data).every(Number.isFinite)).toBe(true);
    expect(Number.isFinite(out.aux!.item())).toBe(true);
  });
});
