import { ConfigError, UnknownComponentError, create, registry, type Engine, type Ops, type Tensor } from '@zoo/core';
import { adoptWeight, discriminatorLoss, generatorLoss } from '../src/index.js';
import { ENGINES, expectClose, host, loadFixture, makeEngine, type JsonTensor } from './helpers.js';

interface GanFixture {
  inputs: { logits_real: JsonTensor; logits_fake: JsonTensor };
  outputs: Record<string, JsonTensor>;
  grads: Record<string, { logits_real?: JsonTensor; logits_fake: JsonTensor }>;
  adopt_weight_cases: { weight: number; global_step: number; threshold: number; value: number; result: number }[];
}

const fx = loadFixture<GanFixture>('gan_losses.json');
const inputs = { logits_real: host(fx.inputs.logits_real), logits_fake: host(fx.inputs.logits_fake) };

test('registry: every loss kind is registered, configs are validated and defaulted', () => {
  expect(registry.names('loss')).toEqual(
    expect.arrayContaining(['adaptive-weight', 'hinge', 'l1', 'l2', 'lecam', 'lpips', 'non-saturating', 'r1']),
  );
  expect(create('loss', 'hinge', {}).config.combine).toBe('mean');
  expect(create('loss', 'hinge', { combine: 'sum' }).config.combine).toBe('sum');
  expect(create('loss', 'lecam', {}).decay).toBe(0.999);
  expect(() => create('loss', 'hinge', { combine: 'half' as 'sum' })).toThrow(ConfigError);
  expect(() => create('loss', 'lecam', { decay: 2 })).toThrow(/decay/);
  expect(() => registry.createDynamic('loss', 'wasserstein')).toThrow(UnknownComponentError);
});

test('adoptWeight reproduces taming adopt_weight (strict <)', () => {
  for (const c of fx.adopt_weight_cases) expect(adoptWeight(c.weight, c.global_step, c.threshold, c.value)).toBe(c.result);
});

describe.each(ENGINES)('GAN losses on %s', (name) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await makeEngine(name);
  });
  afterAll(async () => engine?.dispose());

  const cases = {
    taming_hinge_d_loss: (ops, r, f) => discriminatorLoss(ops, 'hinge', r, f, 'mean'),
    taming_vanilla_d_loss: (ops, r, f) => discriminatorLoss(ops, 'non-saturating', r, f, 'mean'),
    taming_g_loss: (ops, _r, f) => generatorLoss(ops, 'hinge', f),
    magvit2_hinge_discr_loss: (ops, r, f) => discriminatorLoss(ops, 'hinge', r, f, 'sum'),
    magvit2_hinge_gen_loss: (ops, _r, f) => generatorLoss(ops, 'hinge', f),
  } satisfies Record<string, (ops: Ops, r: Tensor, f: Tensor) => Tensor>;

  test.each(Object.keys(cases))('%s: value and gradients match the reference', async (key) => {
    const fn = cases[key as keyof typeof cases];
    const vg = engine.valueAndGrad<typeof inputs, { loss: Tensor }>(
      (ops, x) => ({ loss: fn(ops, x.logits_real, x.logits_fake) }),
      { inputs: ['logits_real', 'logits_fake'] },
    );
    const out = await vg.run(inputs);
    expectClose(out.loss, fx.outputs[key]!, { rtol: 0, atol: 1e-6 });
    const g = fx.grads[key]!;
    expectClose(out['grad:logits_fake']!, g.logits_fake, { rtol: 0, atol: 1e-6 });
    if (g.logits_real) expectClose(out['grad:logits_real']!, g.logits_real, { rtol: 0, atol: 1e-6 });
  });

  test('non-saturating generator loss is E[softplus(−fake)]', async () => {
    const run = engine.compile<typeof inputs, { g: Tensor }>((ops, x) => ({
      g: generatorLoss(ops, 'non-saturating', x.logits_fake),
    }));
    const { g } = await run.run(inputs);
    const d = inputs.logits_fake.data;
    let s = 0;
    for (const v of d) s += Math.log1p(Math.exp(-v));
    expect(g.item()).toBeCloseTo(s / d.length, 6);
  });
});
