import { Conv2d, HostTensor, Module, Rng, create, type Engine, type Ops, type Tensor } from '@zoo/core';
import { randn } from '@zoo/core/testing';
import { LossConfigError, r1Penalty, r1PenaltyEstimate } from '../src/index.js';
import { ENGINES, makeEngine } from './helpers.js';
import { TinyPatchGAN, hostLayers, hostR1 } from './r1-reference.js';

class SmoothCritic extends Module {
  readonly a: Conv2d;
  readonly b: Conv2d;
  constructor(rng: Rng) {
    super();
    this.a = this.child('a', new Conv2d(3, 2, 3, { padding: 1, rng }));
    this.b = this.child('b', new Conv2d(2, 1, 3, { rng }));
    this.namedVariables();
  }
  forward(ops: Ops, x: Tensor): Tensor {
    return this.b.forward(ops, ops.tanh(this.a.forward(ops, x)));
  }
}

describe.each(ENGINES)('R1 penalty estimate on %s', (name) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await makeEngine(name);
  });
  afterAll(async () => engine?.dispose());

  test('averaged over a scaled basis of directions it equals ‖∇_x ΣD(x)‖², and it trains D', async () => {
    const rng = new Rng(21);
    const critic = new SmoothCritic(rng);
    const dim = 3 * 4 * 4;
    const x = new HostTensor([1, 3, 4, 4], rng.fillNormal(new Float32Array(dim)), 'float32');
    const exact = engine.valueAndGrad<{ x: HostTensor }, { loss: Tensor }>((ops, i) => ({ loss: ops.sum(critic.forward(ops, i.x)) }), {
      inputs: ['x'],
    });
    const g = (await exact.run({ x }))['grad:x']!;
    const normSq = Array.from(g.data).reduce((s, v) => s + v * v, 0);

    // Batch of `dim` copies of x, sample b probed along √dim·e_b: the mean of squares is exactly Σ g_i².
    const tiled = new Float32Array(dim * dim);
    const dirs = new Float32Array(dim * dim);
    for (let b = 0; b < dim; b++) {
      tiled.set(x.data, b * dim);
      dirs[b * dim + b] = Math.sqrt(dim);
    }
    const shape = [dim, 3, 4, 4];
    const inputs = { real: new HostTensor(shape, tiled, 'float32'), dir: new HostTensor(shape, dirs, 'float32') };
    const params = critic.parameters();
    const est = engine.valueAndGrad<typeof inputs, { loss: Tensor }>(
      (ops, i) => ({ loss: r1PenaltyEstimate(ops, (t) => critic.forward(ops, t), i.real, i.dir, 1e-2) }),
      { variables: params },
    );
    const out = await est.run(inputs);
    expect(normSq).toBeGreaterThan(1e-3);
    expect(Math.abs(out.loss.item() - normSq)).toBeLessThan(2e-3 * normSq);
    const gradA = out[`grad:${critic.a.weight.key}`]!;
    expect(Array.from(gradA.data).some((v) => Math.abs(v) > 0)).toBe(true);
  });
});

const maxAbs = (a: ArrayLike<number>): number => Math.max(...Array.from(a, Math.abs));

/**
 * max |got − want| over max |want|, with max |want| floored at 1% of `scale`
 * (the largest gradient of the model): some gradients are ~0 by construction
 * (the last conv's bias; hidden biases only move leakyRelu kinks; a bias
 * before GroupNorm cancels) and only their absolute error is meaningful.
 */
function gradErr(got: ArrayLike<number>, want: ArrayLike<number>, scale: number): number {
  const diff = Math.max(...Array.from(want, (v, i) => Math.abs(got[i]! - v)));
  return diff / Math.max(maxAbs(want), 1e-2 * scale);
}

const X_SHAPE = [2, 3, 10, 10];
const SAMPLE = [3, 10, 10];
const SAMPLE_SIZE = 300;

/** One norm-free tiny PatchGAN, its input, and float64 R1 with central differences over every parameter. */
const reference = (() => {
  const d = new TinyPatchGAN(3, 3, 'none', 7);
  const x = randn(new Rng(8), X_SHAPE);
  const layers = hostLayers(d);
  const value = hostR1(layers, x.data, X_SHAPE);
  const fd = (arr: Float64Array, h = 1e-6): Float64Array =>
    arr.map((v, i) => {
      arr[i] = v + h;
      const up = hostR1(layers, x.data, X_SHAPE);
      arr[i] = v - h;
      const down = hostR1(layers, x.data, X_SHAPE);
      arr[i] = v;
      return (up - down) / (2 * h);
    });
  let grads: Float64Array[] | undefined;
  // conv weights and biases in module order (main.0, main.2, main.4)
  const paramGrads = (): Float64Array[] => (grads ??= layers.flatMap((l) => [fd(l.w), fd(l.b)]));
  return { d, x, value, paramGrads };
})();

describe.each(ENGINES)('exact R1 penalty on %s', (name) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await makeEngine(name);
  });
  afterAll(async () => engine?.dispose());

  test('tiny PatchGAN: value and parameter gradient match a float64 host reference with finite differences', async () => {
    const { d, x } = reference;
    const params = d.parameters();
    const vg = engine.valueAndGrad<{ x: HostTensor }, { loss: Tensor }>(
      (ops, i) => ({ loss: r1Penalty(ops, (t) => d.forward(ops, t), i.x) }),
      { variables: params },
    );
    const out = await vg.run({ x });
    expect(reference.value).toBeGreaterThan(1e-3);
    expect(Math.abs(out.loss.item() - reference.value) / reference.value).toBeLessThan(1e-4);
    const want = reference.paramGrads();
    expect(params.map((p) => p.key)).toEqual(d.convs.flatMap((c) => [c.weight.key, c.bias!.key]));
    const scale = Math.max(...want.map(maxAbs));
    for (const [k, p] of params.entries()) {
      expect([p.key, gradErr(out[`grad:${p.key}`]!.data, want[k]!, scale)]).toEqual([p.key, expect.closeTo(0, 3)]);
    }
  });

  test('a compiled train step on the exact penalty lowers it', async () => {
    const d = new TinyPatchGAN(3, 4, 'none', 13);
    const x = randn(new Rng(14), X_SHAPE);
    const step = engine.compileTrainStep<{ x: HostTensor }, { loss: Tensor }>(
      (ops, i) => ({ loss: r1Penalty(ops, (t) => d.forward(ops, t), i.x) }),
      d.parameters(),
      { kind: 'adam', lr: 1e-2 },
    );
    const first = (await step.run({ x })).outputs.loss.item();
    let last = first;
    for (let i = 0; i < 4; i++) last = (await step.run({ x })).outputs.loss.item();
    expect(last).toBeLessThan(0.9 * first);
  });

  test("loss:r1 defaults to exact; 'estimate' needs a direction; the estimate averages to the exact value", async () => {
    const { d, x } = reference;
    const exact = create('loss', 'r1', {});
    expect(exact.config.mode).toBe('exact');
    const estimate = create('loss', 'r1', { mode: 'estimate' });
    const single = { x: new HostTensor([1, ...SAMPLE], x.data.slice(0, SAMPLE_SIZE), 'float32') };
    const v = await engine.compile<{ x: HostTensor }, { r: Tensor }>((ops, i) => ({ r: exact.forward(ops, (t) => d.forward(ops, t), i.x) })).run(single);
    const direct = await engine.compile<{ x: HostTensor }, { r: Tensor }>((ops, i) => ({ r: r1Penalty(ops, (t) => d.forward(ops, t), i.x) })).run(single);
    expect(v.r.item()).toBeCloseTo(direct.r.item(), 6);
    const noDir = engine.compile<{ x: HostTensor }, { r: Tensor }>((ops, i) => ({ r: estimate.forward(ops, (t) => d.forward(ops, t), i.x) }));
    await expect(noDir.run(single)).rejects.toThrow(LossConfigError);

    // K copies of one sample, each probed along its own N(0, I) direction: mean of (v·g)² → ‖g‖² (rel. sd √(2/K) ≈ 0.09)
    const k = 256;
        const tiled = new Float32Array(k * SAMPLE_SIZE);
    for (let b = 0; b < k; b++) tiled.set(single.x.data, b * SAMPLE_SIZE);
    const dirs = randn(new Rng(9), [k, ...SAMPLE]);
    const est = await engine
      .compile<{ x: HostTensor; v: HostTensor }, { r: Tensor }>((ops, i) => ({ r: estimate.forward(ops, (t) => d.forward(ops, t), i.x, i.v) }))
      .run({ x: new HostTensor([k, ...SAMPLE], tiled, 'float32'), v: dirs });
    expect(Math.abs(est.r.item() - v.r.item())).toBeLessThan(0.35 * v.r.item());
  });
});

test('exact R1 with GroupNorm: onnx and tfjs agree on the value and every parameter gradient', async () => {
  const d = new TinyPatchGAN(3, 4, 'group', 11);
  const x = randn(new Rng(12), X_SHAPE);
  const params = d.parameters();
  const results: Record<string, HostTensor>[] = [];
  for (const name of ['onnx', 'tfjs'] as const) {
    const engine = await makeEngine(name);
    try {
      const vg = engine.valueAndGrad<{ x: HostTensor }, { loss: Tensor }>(
        (ops, i) => ({ loss: r1Penalty(ops, (t) => d.forward(ops, t), i.x) }),
        { variables: params },
      );
      results.push(await vg.run({ x }));
    } finally {
      await engine.dispose();
    }
  }
  const [a, b] = [results[0]!, results[1]!];
  expect(Math.abs(a.loss!.item() - b.loss!.item()) / b.loss!.item()).toBeLessThan(1e-4);
  const scale = Math.max(...params.map((p) => maxAbs(b[`grad:${p.key}`]!.data)));
  for (const p of params) {
    expect([p.key, gradErr(a[`grad:${p.key}`]!.data, b[`grad:${p.key}`]!.data, scale)]).toEqual([p.key, expect.closeTo(0, 3)]);
  }
  expect(Math.max(...Array.from(a[`grad:${d.convs[0]!.weight.key}`]!.data, Math.abs))).toBeGreaterThan(0);
});
