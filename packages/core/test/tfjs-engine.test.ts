/**
 * The tfjs engine's Engine contract: backend discovery, variables and buffer
 * assigns, the Adam/AdamW step against a hand-written torch-equivalent update,
 * valueAndGrad against finite differences, optimizer state round trip and
 * the absence of tensor leaks.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  HostTensor,
  Module,
  availableTfjsBackends,
  createTfjsEngine,
  type AdamConfig,
  type Engine,
  type Ops,
  type Tensor,
  type Variable,
} from '../src/index.js';

/** y = W x with a step counter buffer; loss = sum((W x - t)^2). */
class Tiny extends Module {
  readonly w: Variable;
  readonly count: Variable;
  constructor(w: number[]) {
    super();
    this.w = this.param('weight', HostTensor.from(w, [2, 3]));
    this.count = this.buffer('count', HostTensor.zeros([1]));
    this.namedVariables();
  }
  loss(ops: Ops, x: Tensor, t: Tensor): Tensor {
    const y = ops.matmul(ops.variable(this.w), x); // [2, 3] x [3, 1]
    return ops.sum(ops.square(ops.sub(y, t)));
  }
}

const X = [0.5, -1, 2];
const T = [1, -0.5];
const W0 = [0.1, -0.2, 0.3, 0.4, 0.5, -0.6];

/** The same step in float64 JS, written from torch.optim.Adam/AdamW and clip_grad_norm_. */
function torchAdamReference(cfg: AdamConfig, steps: number): { w: number[]; norms: number[] } {
  const [b1, b2, eps, wd] = [cfg.beta1 ?? 0.9, cfg.beta2 ?? 0.999, cfg.eps ?? 1e-8, cfg.weightDecay ?? 0];
  let w = [...W0];
  const m = new Array<number>(6).fill(0);
  const v = new Array<number>(6).fill(0);
  const norms: number[] = [];
  for (let s = 1; s <= steps; s++) {
    const g = new Array<number>(6).fill(0);
    for (let r = 0; r < 2; r++) {
      const res = w[3 * r]! * X[0]! + w[3 * r + 1]! * X[1]! + w[3 * r + 2]! * X[2]! - T[r]!;
      for (let c = 0; c < 3; c++) g[3 * r + c] = 2 * res * X[c]!;
    }
    const norm = Math.sqrt(g.reduce((a, b) => a + b * b, 0));
    norms.push(norm);
    if (cfg.clipGradNorm !== undefined) {
      const coef = Math.min(1, cfg.clipGradNorm / (norm + 1e-6));
      for (let i = 0; i < 6; i++) g[i]! *= coef;
    }
    if (wd && cfg.kind === 'adam') for (let i = 0; i < 6; i++) g[i]! += wd * w[i]!;
    if (wd && cfg.kind === 'adamw') w = w.map((p) => p * (1 - cfg.lr * wd));
    for (let i = 0; i < 6; i++) {
      m[i] = b1 * m[i]! + (1 - b1) * g[i]!;
      v[i] = b2 * v[i]! + (1 - b2) * g[i]! * g[i]!;
      const denom = Math.sqrt(v[i]!) / Math.sqrt(1 - b2 ** s) + eps;
      w[i] = w[i]! - (cfg.lr / (1 - b1 ** s)) * (m[i]! / denom);
    }
  }
  return { w, norms };
}

const inputs = { x: HostTensor.from(X, [3, 1]), t: HostTensor.from(T, [2, 1]) };

describe('tfjs backends', () => {
  it('lists the backends that load, wasm and cpu at least, and picks the first by default', async () => {
    const avail = await availableTfjsBackends();
    expect(avail).toEqual(expect.arrayContaining(['wasm', 'cpu']));
    const engine = await createTfjsEngine();
    expect(engine.device).toBe(avail[0]);
    await engine.dispose();
  });
  it('asking for a backend that is not installed is a clear error', async () => {
    const avail = await availableTfjsBackends();
    if (avail.includes('tensorflow')) return; // tfjs-node installed: nothing to check here
    await expect(createTfjsEngine({ backend: 'tensorflow' })).rejects.toThrow(/@tensorflow\/tfjs-node/);
  });
});

describe.each(['wasm', 'cpu'] as const)('tfjs engine (%s)', (backend) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await createTfjsEngine({ backend });
  });
  afterAll(async () => engine.dispose());

  it.each<[string, AdamConfig]>([
    ['adam', { kind: 'adam', lr: 0.1 }],
    ['adam with L2 weight decay and clipping', { kind: 'adam', lr: 0.05, weightDecay: 0.1, clipGradNorm: 1, beta1: 0.8, eps: 1e-6 }],
    ['adamw with decoupled weight decay', { kind: 'adamw', lr: 0.05, weightDecay: 0.5, beta2: 0.99 }],
  ])('3 steps of %s match the torch update written out in JS', async (_n, cfg) => {
    const m = new Tiny(W0);
    const step = engine.compileTrainStep((ops, t: Record<string, Tensor>) => ({ loss: m.loss(ops, t['x']!, t['t']!) }), m.parameters(), cfg);
    const norms: number[] = [];
    for (let i = 0; i < 3; i++) norms.push((await step.run(inputs)).gradNorm);
    await engine.sync();
    const ref = torchAdamReference(cfg, 3);
    norms.forEach((n, i) => expect(n).toBeCloseTo(ref.norms[i]!, 4));
    Array.from(m.w.value.data).forEach((w, i) => expect(Math.abs(w - ref.w[i]!)).toBeLessThan(1e-5));
  });

  it('run({ lr }) overrides the learning rate for that step', async () => {
    const [a, b] = [new Tiny(W0), new Tiny(W0)];
    const cfg: AdamConfig = { kind: 'adam', lr: 0.1 };
    const sa = engine.compileTrainStep((ops, t: Record<string, Tensor>) => ({ loss: a.loss(ops, t['x']!, t['t']!) }), a.parameters(), cfg);
    const sb = engine.compileTrainStep((ops, t: Record<string, Tensor>) => ({ loss: b.loss(ops, t['x']!, t['t']!) }), b.parameters(), { ...cfg, lr: 0.01 });
    await sa.run(inputs, { lr: 0.01 });
    await sb.run(inputs);
    await engine.sync();
    expect(Array.from(a.w.value.data)).toEqual(Array.from(b.w.value.data));
    expect(Array.from(a.w.value.data)).not.toEqual(W0.map(Math.fround));
  });

  it('optimizer state round-trips: a resumed run continues exactly', async () => {
    const cfg: AdamConfig = { kind: 'adamw', lr: 0.05, weightDecay: 0.01 };
    const a = new Tiny(W0);
    const sa = engine.compileTrainStep((ops, t: Record<string, Tensor>) => ({ loss: a.loss(ops, t['x']!, t['t']!) }), a.parameters(), cfg);
    await sa.run(inputs);
    await sa.run(inputs);
    await engine.sync();
    const state = await sa.optimizerState();
    expect(state['step']!.item()).toBe(2);
    expect(Object.keys(state).sort()).toEqual(['exp_avg:weight', 'exp_avg_sq:weight', 'step']);
    const b = new Tiny(W0);
    b.loadStateDict(a.stateDict());
    const sb = engine.compileTrainStep((ops, t: Record<string, Tensor>) => ({ loss: b.loss(ops, t['x']!, t['t']!) }), b.parameters(), cfg);
    await sb.loadOptimizerState(state);
    await sa.run(inputs);
    await sb.run(inputs);
    await engine.sync();
    expect(Array.from(b.w.value.data)).toEqual(Array.from(a.w.value.data));
  });

  it('assign writes buffers back after the call; reads inside the call see the old value', async () => {
    const m = new Tiny(W0);
    const f = engine.compile((ops) => {
      const old = ops.variable(m.count);
      ops.assign(m.count, ops.add(old, 1));
      return { seen: ops.add(ops.variable(m.count), 0), direct: ops.variable(m.count) };
    });
    const r1 = await f.run({});
    expect(r1['seen']!.item()).toBe(0);
    expect(r1['direct']!.item()).toBe(0);
    expect(m.count.value.item()).toBe(1);
    await f.run({});
    expect(m.count.value.item()).toBe(2);
    // A host-side replacement of the value is picked up by the next call.
    m.count.value = HostTensor.from([10], [1]);
    const r3 = await f.run({});
    expect(r3['seen']!.item()).toBe(10);
    expect(m.count.value.item()).toBe(11);
  });

  it('valueAndGrad matches finite differences for inputs and variables, through gather and stopGradient', async () => {
    const m = new Tiny(W0);
    const fn = (ops: Ops, t: Record<string, Tensor>): { loss: Tensor; aux: Tensor } => {
      const x = t['x']!;
      const h = ops.tanh(ops.matmul(ops.variable(m.w), x)); // [2, 1]
      const g = ops.gather(ops.reshape(x, [3]), t['idx']!); // repeated indices accumulate
      const frozen = ops.stopGradient(ops.mul(x, x));
      const loss = ops.add(ops.add(ops.sum(ops.mul(h, ops.sigmoid(ops.slice(x, [0], [2], [0])))), ops.sum(ops.square(g))), ops.sum(frozen));
      return { loss, aux: ops.sum(h) };
    };
    const ins = { x: HostTensor.from(X, [3, 1]), idx: HostTensor.int([2, 0, 2], [3]) };
    const vg = engine.valueAndGrad(fn, { inputs: ['x'], variables: [m.w] });
    expect(vg.gradKeys).toEqual(['grad:x', 'grad:weight']);
    const out = await vg.run(ins);
    expect(Object.keys(out).sort()).toEqual(['aux', 'grad:weight', 'grad:x', 'loss']);
    const f = engine.compile(fn);
    const lossAt = async (x: number[], w: number[]): Promise<number> => {
      const saved = m.w.value;
      m.w.value = HostTensor.from(w, [2, 3]);
      const l = (await f.run({ ...ins, x: HostTensor.from(x, [3, 1]) }))['loss']!.item();
      m.w.value = saved;
      return l;
    };
    const h = 1e-2;
    for (let i = 0; i < 3; i++) {
      const [p, q] = [[...X], [...X]];
      p[i]! += h;
      q[i]! -= h;
      // The stopGradient term sum(x^2) is in the loss value but must not be in the gradient.
      const fd = ((await lossAt(p, W0)) - (await lossAt(q, W0))) / (2 * h) - 2 * X[i]!;
      expect(Math.abs(out['grad:x']!.data[i]! - fd)).toBeLessThan(1e-2 * (1 + Math.abs(fd)));
    }
    for (let i = 0; i < 6; i++) {
      const [p, q] = [[...W0], [...W0]];
      p[i]! += h;
      q[i]! -= h;
      const fd = ((await lossAt(X, p)) - (await lossAt(X, q))) / (2 * h);
      expect(Math.abs(out['grad:weight']!.data[i]! - fd)).toBeLessThan(1e-2 * (1 + Math.abs(fd)));
    }
  });

  it('differentiates past integer and boolean side paths (argmin → gather, where(x > 0))', async () => {
    // VQ-style nearest code lookup with a straight-through estimator, and an LFQ-style sign.
    const codes = HostTensor.from([0, 0, 1, 1, -1, 2], [3, 2]);
    const x = HostTensor.from([0.9, 1.2, -0.8, 1.7], [2, 2]);
    const vg = engine.valueAndGrad(
      (ops, t: Record<string, Tensor>) => {
        const xs = t['x']!;
        const d = ops.sum(ops.square(ops.sub(ops.reshape(xs, [2, 1, 2]), ops.reshape(t['c']!, [1, 3, 2]))), -1);
        const q = ops.gather(t['c']!, ops.argmin(d, 1));
        const st = ops.add(xs, ops.stopGradient(ops.sub(q, xs)));
        const sgn = ops.where(ops.logicalAnd(ops.greater(xs, 0), ops.less(xs, 10)), 1, -1);
        const eq = ops.cast(ops.equal(ops.argmax(xs, 1), 1), 'float32');
        return { loss: ops.add(ops.sum(ops.mul(ops.mul(st, sgn), 3)), ops.sum(ops.mul(eq, ops.sum(xs)))), idx: ops.argmin(d, 1) };
      },
      { inputs: ['x', 'c'] },
    );
    const out = await vg.run({ x, c: codes });
    expect(Array.from(out['idx']!.data)).toEqual([1, 2]);
    // d/dx of 3*sign(x)*x_st is 3*sign(x); both rows have argmax 1, so eq = [1, 1] adds 2 to every element.
    expect(Array.from(out['grad:x']!.data)).toEqual([5, 5, -1, 5]);
    expect(Array.from(out['grad:c']!.data)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('leaks no tensors across compile, valueAndGrad and train steps', async () => {
    const m = new Tiny(W0);
    const f = engine.compile((ops, t: Record<string, Tensor>) => {
      ops.assign(m.count, ops.add(ops.variable(m.count), 1));
      return { loss: m.loss(ops, t['x']!, t['t']!), w: ops.variable(m.w) };
    });
    const vg = engine.valueAndGrad((ops, t: Record<string, Tensor>) => ({ loss: m.loss(ops, t['x']!, t['t']!) }), { inputs: ['x'], variables: [m.w] });
    const step = engine.compileTrainStep((ops, t: Record<string, Tensor>) => ({ loss: m.loss(ops, t['x']!, t['t']!) }), m.parameters(), {
      kind: 'adamw',
      lr: 0.01,
      weightDecay: 0.1,
      clipGradNorm: 1,
    });
    const round = async (): Promise<void> => {
      await f.run(inputs);
      await vg.run(inputs);
      await step.run(inputs);
      await engine.sync();
    };
    await round(); // creates the variables and optimizer moments
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) await round();
    expect(tf.memory().numTensors).toBe(before);
    await expect(f.run({ x: inputs.x, t: HostTensor.zeros([5, 1]) })).rejects.toThrow();
    expect(tf.memory().numTensors).toBe(before);
  });
});

test('constant variables cannot be trained (same check as the onnx engine)', async () => {
  const engine = await createTfjsEngine({ backend: 'cpu' });
  try {
    const m = new Tiny([1, 2, 3, 4, 5, 6]);
    m.markConstant();
    expect(m.parameters()).toHaveLength(0);
    expect(() => engine.compileTrainStep((ops, i: Record<string, Tensor>) => ({ loss: m.loss(ops, i['x']!, i['t']!) }), [m.w], { kind: 'adam', lr: 0.1 })).toThrow(
      /'weight' is marked constant/,
    );
  } finally {
    await engine.dispose();
  }
});
