/**
 * onnx engine: the in-graph Adam/AdamW step against a hand-written JS Adam
 * (bias correction, weight decay, global-norm clipping, lr override),
 * optimizer-state round trips, gradients w.r.t. variables, and a tiny conv
 * autoencoder whose loss must fall by 10x.
 */
import { createOnnxEngine } from '../src/engine/onnx/index.js';
import type { AdamConfig, Engine } from '../src/engine/engine.js';
import type { Tensor } from '../src/ops.js';
import { HostTensor } from '../src/tensor.js';
import { Variable } from '../src/nn/variable.js';
import { rand } from './onnx-helpers.js';
import { expectClose, peakTol } from '../src/testing.js';

let engine: Engine;
beforeAll(async () => {
  engine = await createOnnxEngine({ threads: 1 });
});
afterAll(async () => {
  await engine.dispose();
});

/** torch.optim.Adam / AdamW on plain arrays, with clip_grad_norm_ first. */
function jsAdamStep(
  p: number[], g: number[], m: number[], v: number[], t: number, cfg: AdamConfig, lr: number,
): { gradNorm: number } {
  const [b1, b2, eps, wd] = [cfg.beta1 ?? 0.9, cfg.beta2 ?? 0.999, cfg.eps ?? 1e-8, cfg.weightDecay ?? 0];
  const gradNorm = Math.sqrt(g.reduce((s, x) => s + x * x, 0));
  const coef = cfg.clipGradNorm !== undefined ? Math.min(1, cfg.clipGradNorm / (gradNorm + 1e-6)) : 1;
  for (let i = 0; i < p.length; i++) {
    let gi = g[i]! * coef;
    if (cfg.kind === 'adam') gi += wd * p[i]!;
    else p[i] = p[i]! * (1 - lr * wd);
    m[i] = b1 * m[i]! + (1 - b1) * gi;
    v[i] = b2 * v[i]! + (1 - b2) * gi * gi;
    const mhat = m[i]! / (1 - b1 ** t);
    const vhat = v[i]! / (1 - b2 ** t);
    p[i] = p[i]! - (lr * mhat) / (Math.sqrt(vhat) + eps);
  }
  return { gradNorm };
}

describe('onnx in-graph Adam', () => {
  const configs: AdamConfig[] = [
    { kind: 'adam', lr: 0.1 },
    { kind: 'adam', lr: 0.05, weightDecay: 0.1, beta1: 0.8, beta2: 0.99 },
    { kind: 'adamw', lr: 0.05, weightDecay: 0.3, clipGradNorm: 0.5 },
  ];
  test.each(configs)('%o matches a JS Adam for 3 steps (lr override on step 3)', async (cfg) => {
    const x = rand([5], 1);
    const target = rand([5], 2);
    const w = new Variable(rand([5], 3), true, 'layer.w');
    const b = new Variable(HostTensor.from([0.2], [1]), true, 'layer.b');
    const step = engine.compileTrainStep<{ x: HostTensor; t: HostTensor }, { loss: Tensor; pred: Tensor }>(
      (o, { x, t }) => {
        const pred = o.add(o.mul(o.variable(w), x), o.variable(b));
        return { loss: o.sum(o.square(o.sub(pred, t))), pred };
      },
      [w, b],
      cfg,
    );
    const p = [...w.value.data, ...b.value.data];
    const m = new Array<number>(6).fill(0);
    const v = new Array<number>(6).fill(0);
    for (let t = 1; t <= 3; t++) {
      const lr = t === 3 ? cfg.lr / 2 : cfg.lr;
      const r = await step.run({ x, t: target }, t === 3 ? { lr } : undefined);
      // analytic gradient of sum((w x + b - t)^2)
      const res = Array.from(x.data, (xi, i) => p[i]! * xi + p[5]! - target.data[i]!);
      const g = [...res.map((e, i) => 2 * e * x.data[i]!), res.reduce((s, e) => s + 2 * e, 0)];
      expect(r.outputs.loss.item()).toBeCloseTo(res.reduce((s, e) => s + e * e, 0), 4);
      expect(r.outputs.pred.shape).toEqual([5]);
      const { gradNorm } = jsAdamStep(p, g, m, v, t, cfg, lr);
      expect(r.gradNorm).toBeCloseTo(gradNorm, 4);
      await engine.sync();
      expectClose([...w.value.data, ...b.value.data], p, peakTol(1e-5));
    }
    const state = await step.optimizerState();
    expect(state.step!.item()).toBe(3);
    expectClose(state['exp_avg:layer.w']!.data, m.slice(0, 5), peakTol(1e-5));
    expectClose(state['exp_avg_sq:layer.b']!.data, v.slice(5), peakTol(1e-6));
  });

  test('optimizer state round-trips into a fresh train step', async () => {
    const w = new Variable(rand([4], 5), true, 'w');
    const fn = (o: import('../src/ops.js').Ops, { x }: { x: Tensor }): { loss: Tensor } => ({
      loss: o.sum(o.square(o.mul(o.variable(w), x))),
    });
    const x = rand([4], 6);
    const s1 = engine.compileTrainStep<{ x: HostTensor }, { loss: Tensor }>(fn, [w], { kind: 'adam', lr: 0.01 });
    await s1.run({ x });
    await s1.run({ x });
    const saved = await s1.optimizerState();
    const w2 = w.value.clone();
    await s1.run({ x });
    const after = w.value.clone();
    w.value = w2;
    const s2 = engine.compileTrainStep<{ x: HostTensor }, { loss: Tensor }>(fn, [w], { kind: 'adam', lr: 0.01 });
    await s2.loadOptimizerState(saved);
    await s2.run({ x });
    expectClose(w.value.data, after.data, peakTol(1e-6));
    await expect(s2.loadOptimizerState({ step: HostTensor.from([1], [1]) })).rejects.toThrow(/exp_avg:w/);
  });

  test('bad optimizer configs are rejected with the valid range', () => {
    const w = new Variable(rand([2], 1), true, 'w');
    const fn = (o: import('../src/ops.js').Ops): { loss: Tensor } => ({ loss: o.sum(o.variable(w)) });
    expect(() => engine.compileTrainStep(fn, [w], { kind: 'adam', lr: 0.1, beta1: 1.5 })).toThrow(/betas/);
    expect(() => engine.compileTrainStep(fn, [w], { kind: 'sgd' as 'adam', lr: 0.1 })).toThrow(/valid: 'adam', 'adamw'/);
  });
});

describe('onnx gradients w.r.t. variables', () => {
  test('valueAndGrad returns grad:<variable key> and does not update anything', async () => {
    const w = new Variable(HostTensor.from([1, 2, 3], [3]), true, 'enc.w');
    const vg = engine.valueAndGrad<{ x: HostTensor }, { loss: Tensor }>(
      (o, { x }) => ({ loss: o.sum(o.mul(o.square(o.variable(w)), x)) }),
      { inputs: ['x'], variables: [w] },
    );
    expect(vg.gradKeys).toEqual(['grad:x', 'grad:enc.w']);
    const r = await vg.run({ x: HostTensor.from([1, 10, 100], [3]) });
    expect(r.loss.item()).toBe(1 + 40 + 900);
    expect(Array.from(r['grad:enc.w']!.data)).toEqual([2, 40, 600]);
    expect(Array.from(r['grad:x']!.data)).toEqual([1, 4, 9]);
    expect(Array.from(w.value.data)).toEqual([1, 2, 3]);
  });
});

describe('onnx training end to end', () => {
  test('a tiny conv autoencoder reduces its loss by at least 10x', async () => {
    // smooth 8x8 images: a few sinusoid patterns
    const imgs = new Float32Array(4 * 64);
    for (let n = 0; n < 4; n++)
      for (let i = 0; i < 8; i++) for (let j = 0; j < 8; j++) imgs[n * 64 + i * 8 + j] = Math.sin((i * (n + 1)) / 3 + j / (n + 2)) * 0.8;
    const x = HostTensor.from(imgs, [4, 1, 8, 8]);
    const enc = new Variable(rand([8, 1, 3, 3], 11, -0.5, 0.5), true, 'enc.weight');
    const encB = new Variable(HostTensor.zeros([8]), true, 'enc.bias');
    const dec = new Variable(rand([8, 1, 4, 4], 12, -0.3, 0.3), true, 'dec.weight');
    const decB = new Variable(HostTensor.zeros([1]), true, 'dec.bias');
    const step = engine.compileTrainStep<{ x: HostTensor }, { loss: Tensor }>(
      (o, { x }) => {
        const h = o.leakyRelu(o.conv(x, o.variable(enc), o.variable(encB), { stride: 2, padding: 1 }), 0.1);
        const y = o.convTranspose(h, o.variable(dec), o.variable(decB), { stride: 2, padding: 1 });
        return { loss: o.mean(o.square(o.sub(y, x))) };
      },
      [enc, encB, dec, decB],
      { kind: 'adam', lr: 0.02 },
    );
    const first = (await step.run({ x })).outputs.loss.item();
    let last = first;
    for (let i = 0; i < 300; i++) last = (await step.run({ x })).outputs.loss.item();
    expect(last).toBeLessThan(first / 10);
  });
});
