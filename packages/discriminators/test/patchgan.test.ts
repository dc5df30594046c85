import { ConfigError, HostTensor, create, type Engine, type Tensor } from '@zoo/core';
import { PatchGAN } from '../src/index.js';
import { ENGINES, expectClose, host, loadFixture, makeEngine, type JsonTensor } from './helpers.js';

interface NLayerFixture {
  params: Record<string, JsonTensor>;
  params_after_train_step: Record<string, JsonTensor>;
  inputs: { x: JsonTensor };
  outputs: Record<'eval_initial_running_stats' | 'train_batch_stats' | 'eval_after_train_step', JsonTensor>;
  grads: { x_eval: JsonTensor };
}

const fx = loadFixture<NLayerFixture>('nlayer_discriminator.json');
const x = host(fx.inputs.x);

function loadReference(): PatchGAN {
  const d = new PatchGAN({ inChannels: 3, ndf: 8, nLayers: 2, norm: 'batch' });
  d.loadStateDict(Object.fromEntries(Object.entries(fx.params).map(([k, t]) => [k, host(t)])));
  return d;
}

test('state dict keys and shapes are taming NLayerDiscriminator(ndf=8, n_layers=2)', () => {
  const sd = new PatchGAN({ ndf: 8, nLayers: 2 }).stateDict();
  expect(Object.keys(sd).sort()).toEqual(Object.keys(fx.params).sort());
  for (const [k, t] of Object.entries(fx.params)) expect(sd[k]!.shape).toEqual(t.shape);
});

test('init follows taming weights_init: conv N(0, 0.02), BatchNorm weight N(1, 0.02), bias 0', () => {
  const d = new PatchGAN({ ndf: 16, nLayers: 3, seed: 1 });
  const stats = (t: HostTensor) => {
    const n = t.size;
    const mean = Array.from(t.data).reduce((a, b) => a + b, 0) / n;
    const std = Math.sqrt(Array.from(t.data).reduce((a, b) => a + (b - mean) ** 2, 0) / n);
    return { mean, std };
  };
  const sd = d.stateDict();
  const conv = stats(sd['main.5.weight']!);
  expect(Math.abs(conv.mean)).toBeLessThan(0.002);
  expect(conv.std).toBeGreaterThan(0.018);
  expect(conv.std).toBeLessThan(0.022);
  const bn = stats(sd['main.6.weight']!);
  expect(Math.abs(bn.mean - 1)).toBeLessThan(0.01);
  expect(Array.from(sd['main.6.bias']!.data).every((v) => v === 0)).toBe(true);
  expect(sd['main.2.bias']).toBeUndefined();
});

test("registry: 'patchgan' builds with defaults and rejects a bad norm naming the field", () => {
  const d = create('discriminator', 'patchgan', { ndf: 8 });
  expect(d).toBeInstanceOf(PatchGAN);
  expect(() => create('discriminator', 'patchgan', { norm: 'instance' as 'batch' })).toThrow(ConfigError);
  expect(() => create('discriminator', 'patchgan', { norm: 'instance' as 'batch' })).toThrow(/norm/);
});

describe.each(ENGINES)('PatchGAN on %s', (name) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await makeEngine(name);
  });
  afterAll(async () => engine?.dispose());

  test('eval mode with initial running stats: output and d out.sum()/dx match the reference', async () => {
    const d = loadReference().eval();
    const vg = engine.valueAndGrad<{ x: HostTensor }, { loss: Tensor; out: Tensor }>(
      (ops, i) => {
        const out = d.forward(ops, i.x);
        return { loss: ops.sum(out), out };
      },
      { inputs: ['x'] },
    );
    const r = await vg.run({ x });
    expectClose(r.out, fx.outputs.eval_initial_running_stats, { rtol: 0, atol: 1e-5 });
    expectClose(r['grad:x']!, fx.grads.x_eval, { rtol: 0, atol: 1e-5 });
  });

  test('train mode: batch statistics, unbiased running_var update, then eval with the new stats', async () => {
    const d = loadReference().train();
    const train = engine.compile<{ x: HostTensor }, { out: Tensor }>((ops, i) => ({ out: d.forward(ops, i.x) }));
    expectClose((await train.run({ x })).out, fx.outputs.train_batch_stats, { rtol: 0, atol: 1e-5 });
    await engine.sync();
    const sd = d.stateDict();
    for (const [k, t] of Object.entries(fx.params_after_train_step)) expectClose(sd[k]!, t, { rtol: 0, atol: 1e-6 });
    d.eval();
    const evalFn = engine.compile<{ x: HostTensor }, { out: Tensor }>((ops, i) => ({ out: d.forward(ops, i.x) }));
    expectClose((await evalFn.run({ x })).out, fx.outputs.eval_after_train_step, { rtol: 0, atol: 1e-5 });
  });

  test('group and no-norm variants run and give patch logits', async () => {
    for (const norm of ['group', 'none'] as const) {
      const d = new PatchGAN({ ndf: 8, nLayers: 2, norm });
      const fn = engine.compile<{ x: HostTensor }, { out: Tensor }>((ops, i) => ({ out: d.forward(ops, i.x) }));
      const { out } = await fn.run({ x });
      expect(out.shape).toEqual([1, 1, 6, 6]);
      expect(Array.from(out.data).every(Number.isFinite)).toBe(true);
    }
  });
});
