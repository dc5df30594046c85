import { Variable, create, type Engine, type Ops, type Tensor } from '@zoo/core';
import { adaptiveWeightFromGrads, adaptiveWeightFromNorms, compileAdaptiveWeight } from '../src/index.js';
import { ENGINES, expectClose, host, loadFixture, makeEngine, type JsonTensor } from './helpers.js';

interface AdaptiveFixture {
  inputs: Record<'h' | 'W' | 'bias' | 'target' | 'critic', JsonTensor>;
  outputs: Record<string, JsonTensor>;
}

const fx = loadFixture<AdaptiveFixture>('adaptive_weight.json');
const scalar = (k: string): number => fx.outputs[k]!.data[0]!;
const inputs = { h: host(fx.inputs.h), target: host(fx.inputs.target), critic: host(fx.inputs.critic) };
type In = typeof inputs;

test('host formula: taming (disc weight 1.0, 0.8) and magvit2 variants from the reference norms', () => {
  const rec = scalar('nll_grads_norm');
  const gen = scalar('g_grads_norm');
  expect(adaptiveWeightFromNorms(rec, gen)).toBeCloseTo(scalar('taming_d_weight_discriminator_weight_1.0'), 5);
  expect(adaptiveWeightFromNorms(rec, gen, { discWeight: 0.8 })).toBeCloseTo(scalar('taming_d_weight_discriminator_weight_0.8'), 5);
  expect(adaptiveWeightFromNorms(rec, gen, { variant: 'magvit2' })).toBeCloseTo(scalar('magvit2_adaptive_weight'), 5);
  expect(adaptiveWeightFromNorms(1, 0)).toBe(1e4);
  expect(adaptiveWeightFromNorms(NaN, 1, { variant: 'magvit2' })).toBe(1);
});

test("registry 'adaptive-weight' gates the adversarial term with discStart", () => {
  const aw = create('loss', 'adaptive-weight', { discStart: 10 });
  expect(aw.discFactor(9)).toBe(0);
  expect(aw.discFactor(10)).toBe(1);
  expect(aw.fromGrads(host(fx.outputs['nll_grads_W']!), host(fx.outputs['g_grads_W']!)).weight).toBeCloseTo(
    scalar('taming_d_weight_discriminator_weight_1.0'),
    5,
  );
});

describe.each(ENGINES)('adaptive weight on %s', (name) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await makeEngine(name);
  });
  afterAll(async () => engine?.dispose());

  const W = new Variable(host(fx.inputs.W), true, 'W');
  const bias = new Variable(host(fx.inputs.bias), true, 'bias');
  const losses = (ops: Ops, x: { h: Tensor; target: Tensor; critic: Tensor }) => {
    const rec = ops.conv(x.h, ops.variable(W), ops.variable(bias), { padding: 1 });
    return {
      reconstruction: ops.mean(ops.abs(ops.sub(x.target, rec))),
      generator: ops.neg(ops.mean(ops.mul(rec, x.critic))),
    };
  };

  test('gradients w.r.t. the last layer and λ match taming calculate_adaptive_weight', async () => {
    const rec = engine.valueAndGrad<In, { loss: Tensor }>((ops, x) => ({ loss: losses(ops, x).reconstruction }), { variables: [W] });
    const gen = engine.valueAndGrad<In, { loss: Tensor }>((ops, x) => ({ loss: losses(ops, x).generator }), { variables: [W] });
    const r = await rec.run(inputs);
    const g = await gen.run(inputs);
    expectClose(r.loss, fx.outputs['nll_loss']!, { rtol: 0, atol: 1e-6 });
    expectClose(g.loss, fx.outputs['g_loss']!, { rtol: 0, atol: 1e-6 });
    expectClose(r['grad:W']!, fx.outputs['nll_grads_W']!, { rtol: 0, atol: 1e-6 });
    expectClose(g['grad:W']!, fx.outputs['g_grads_W']!, { rtol: 0, atol: 1e-6 });
    const res = adaptiveWeightFromGrads(r['grad:W']!, g['grad:W']!, { discWeight: 0.8 });
    expect(res.recGradNorm).toBeCloseTo(scalar('nll_grads_norm'), 5);
    expect(res.genGradNorm).toBeCloseTo(scalar('g_grads_norm'), 5);
    expect(res.weight).toBeCloseTo(scalar('taming_d_weight_discriminator_weight_0.8'), 5);
  });

  test('compileAdaptiveWeight gives the same λ', async () => {
    const probe = compileAdaptiveWeight<In>(engine, losses, W);
    const { weight } = await probe.run(inputs);
    expect(weight).toBeCloseTo(scalar('taming_d_weight_discriminator_weight_1.0'), 5);
  });
});
