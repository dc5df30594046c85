/**
 * One gradient check per VJP rule, driven from Object.keys(VJP): a rule
 * added to vjp.ts without a case here fails the first test. Each case's
 * traced graph must contain its primitive (so the case really exercises the
 * rule), and its onnx gradient must match
 *   - central finite differences of the onnx forward (float32, h = 1e-2 on
 *     inputs kept 0.1 or more away from kinks: |err| <= 2e-2 of the largest
 *     gradient entry, the float32 rounding and O(h²) truncation budget), and
 *   - the tfjs engine's own gradient (its independent autodiff): 2e-4 relative.
 * Rules that give no gradient (comparisons, argmax, random) are checked in a
 * function where the gradient flows around them and must stay exact.
 */
import type { Engine } from '../src/engine/engine.js';
import type { Ops, Tensor } from '../src/ops.js';
import { HostTensor } from '../src/tensor.js';
import { Rng } from '../src/util/rng.js';
import { specsOf, trace } from '../src/engine/onnx/trace.js';
import { VJP } from '../src/engine/onnx/vjp.js';
import { disposeTestEngines, maxAbs, maxAbsDiff, randn, relErr, testEngine } from '../src/testing.js';

type T = Record<string, Tensor>;
interface GradCase {
  /** Float inputs listed in `wrt` are differentiated; others (indices) are fed as they are. */
  inputs: (rng: Rng) => Record<string, HostTensor>;
  wrt: readonly string[];
  /** A scalar loss. */
  f: (o: Ops, t: T) => Tensor;
  /** The function the finite differences take (default f). */
  fd?: (o: Ops, t: T) => Tensor;
}

/** Values with |v| >= 0.2 (away from the kinks of relu, abs, sign at 0). */
const awayFromZero = (rng: Rng, shape: number[]): HostTensor<'float32'> => {
  const x = randn(rng, shape);
  x.data.forEach((v, i) => (x.data[i] = Math.sign(v || 1) * (0.2 + Math.abs(v))));
  return x;
};
/** Values in [lo, lo + span). */
const uniform = (rng: Rng, shape: number[], lo: number, span: number): HostTensor<'float32'> => {
  const x = randn(rng, shape);
  x.data.forEach((_, i) => (x.data[i] = lo + span * rng.uniform()));
  return x;
};
/** Half-integers + a jitter in ±0.2: round and floor stay constant within ±0.2. */
const offGrid = (rng: Rng, shape: number[]): HostTensor<'float32'> => {
  const x = randn(rng, shape);
  x.data.forEach((_, i) => (x.data[i] = Math.floor(rng.uniform() * 6 - 3) + 0.5 + 0.4 * (rng.uniform() - 0.5)));
  return x;
};
const idx = (values: number[]): HostTensor => new HostTensor([values.length], Int32Array.from(values), 'int32');

/** Σ c ⊙ y with fixed, uneven weights c, so every output element's gradient differs. */
function wsum(o: Ops, y: Tensor): Tensor {
  const n = y.shape.reduce((a, b) => a * b, 1);
  const c = Float32Array.from({ length: n }, (_, i) => ((i * 37) % 11) / 11 - 0.45);
  return o.sum(o.mul(y, o.constant(c, y.shape)));
}

const x34 = (rng: Rng): Record<string, HostTensor> => ({ x: randn(rng, [3, 4]) });
const ab = (rng: Rng): Record<string, HostTensor> => ({ a: randn(rng, [3, 4]), b: randn(rng, [1, 4]) });
const unary = (f: (o: Ops, x: Tensor) => Tensor, inputs: GradCase['inputs'] = x34): GradCase => ({
  inputs, wrt: ['x'], f: (o, t) => wsum(o, f(o, t['x']!)),
});
/** Gradient flows through x only; `f` adds a no-gradient primitive next to it. */
const around = (f: (o: Ops, x: Tensor) => Tensor, inputs: GradCase['inputs'] = x34): GradCase => unary(f, inputs);

const CASES: Record<string, GradCase> = {
  Add: { inputs: ab, wrt: ['a', 'b'], f: (o, t) => wsum(o, o.tanh(o.add(t['a']!, t['b']!))) },
  Sub: { inputs: ab, wrt: ['a', 'b'], f: (o, t) => wsum(o, o.tanh(o.sub(t['a']!, t['b']!))) },
  Mul: { inputs: ab, wrt: ['a', 'b'], f: (o, t) => wsum(o, o.add(o.mul(t['a']!, t['b']!), o.square(t['a']!))) },
  Div: {
    inputs: (r) => ({ a: randn(r, [3, 4]), b: uniform(r, [1, 4], 0.5, 1) }),
    wrt: ['a', 'b'], f: (o, t) => wsum(o, o.div(t['a']!, t['b']!)),
  },
  Pow: {
    inputs: (r) => ({ a: uniform(r, [3, 4], 0.5, 1), b: uniform(r, [1, 4], 0.5, 1.5) }),
    wrt: ['a', 'b'], f: (o, t) => wsum(o, o.pow(t['a']!, t['b']!)),
  },
  // same shapes: tfjs 4.22's Maximum/Minimum gradients do not unbroadcast (Add and Sub cover broadcasting)
  Max: {
    inputs: (r) => ({ a: offGrid(r, [3, 4]), b: uniform(r, [3, 4], -0.1, 0.2) }),
    wrt: ['a', 'b'], f: (o, t) => wsum(o, o.maximum(t['a']!, t['b']!)),
  },
  Min: {
    inputs: (r) => ({ a: offGrid(r, [3, 4]), b: uniform(r, [3, 4], -0.1, 0.2) }),
    wrt: ['a', 'b'], f: (o, t) => wsum(o, o.minimum(t['a']!, t['b']!)),
  },
  Neg: unary((o, x) => o.neg(x)),
  Abs: unary((o, x) => o.abs(x), (r) => ({ x: awayFromZero(r, [3, 4]) })),
  Exp: unary((o, x) => o.exp(x)),
  Log: unary((o, x) => o.log(x), (r) => ({ x: uniform(r, [3, 4], 0.5, 2) })),
  Sqrt: unary((o, x) => o.sqrt(x), (r) => ({ x: uniform(r, [3, 4], 0.5, 2) })),
  Reciprocal: unary((o, x) => o.rsqrt(x), (r) => ({ x: uniform(r, [3, 4], 0.5, 2) })),
  Tanh: unary((o, x) => o.tanh(x)),
  Sigmoid: unary((o, x) => o.sigmoid(x)),
  Silu: unary((o, x) => o.silu(x), (r) => ({ x: randn(r, [3, 4]) })),
  Erf: unary((o, x) => o.erf(x)),
  Relu: unary((o, x) => o.relu(x), (r) => ({ x: awayFromZero(r, [3, 4]) })),
  LeakyRelu: unary((o, x) => o.leakyRelu(x, 0.2), (r) => ({ x: awayFromZero(r, [3, 4]) })),
  Clip: unary((o, x) => o.clip(x, -0.5, 0.5), (r) => ({ x: offGrid(r, [3, 4]) })),
  Cast: around((o, x) => o.mul(x, o.cast(o.greater(x, 0), 'float32')), (r) => ({ x: awayFromZero(r, [3, 4]) })),
  Where: {
    inputs: (r) => ({ a: awayFromZero(r, [3, 4]), b: randn(r, [1, 4]) }),
    wrt: ['a', 'b'], f: (o, t) => wsum(o, o.where(o.greater(t['a']!, 0), o.tanh(t['a']!), t['b']!)),
  },
  Sign: around((o, x) => o.mul(x, o.sign(x)), (r) => ({ x: awayFromZero(r, [3, 4]) })),
  Round: around((o, x) => o.mul(x, o.round(x)), (r) => ({ x: offGrid(r, [3, 4]) })),
  Floor: around((o, x) => o.mul(x, o.floor(x)), (r) => ({ x: offGrid(r, [3, 4]) })),
  // finite differences see through stopGradient: they differentiate the same function with a fed copy x0 instead
  StopGradient: {
    inputs: (r) => {
      const x = randn(r, [3, 4]);
      return { x, x0: new HostTensor(x.shape, Float32Array.from(x.data), 'float32') };
    },
    wrt: ['x'],
    f: (o, t) => wsum(o, o.mul(t['x']!, o.stopGradient(o.tanh(t['x']!)))),
    fd: (o, t) => wsum(o, o.mul(t['x']!, o.tanh(t['x0']!))),
  },
  ArgMax: {
    inputs: (r) => ({ x: randn(r, [3, 4]), w: randn(r, [4, 2]) }),
    wrt: ['w'], f: (o, t) => wsum(o, o.gather(o.tanh(t['w']!), o.argmax(t['x']!, 1), 0)),
  },
  ArgMin: {
    inputs: (r) => ({ x: randn(r, [3, 4]), w: randn(r, [4, 2]) }),
    wrt: ['w'], f: (o, t) => wsum(o, o.gather(o.tanh(t['w']!), o.argmin(t['x']!, 1), 0)),
  },
  Equal: around((o, x) => o.where(o.equal(o.floor(x), 1), o.mul(x, 2), x), (r) => ({ x: offGrid(r, [3, 4]) })),
  Greater: around((o, x) => o.where(o.greater(x, 0), o.mul(x, 2), x), (r) => ({ x: awayFromZero(r, [3, 4]) })),
  GreaterOrEqual: around((o, x) => o.where(o.greaterEqual(x, 0), o.mul(x, 2), x), (r) => ({ x: awayFromZero(r, [3, 4]) })),
  Less: around((o, x) => o.where(o.less(x, 0), o.mul(x, 2), x), (r) => ({ x: awayFromZero(r, [3, 4]) })),
  LessOrEqual: around((o, x) => o.where(o.lessEqual(x, 0), o.mul(x, 2), x), (r) => ({ x: awayFromZero(r, [3, 4]) })),
  And: around((o, x) => o.where(o.logicalAnd(o.greater(x, -1), o.less(x, 1)), o.mul(x, 2), x), (r) => ({ x: offGrid(r, [3, 4]) })),
  Not: around((o, x) => o.where(o.logicalNot(o.greater(x, 0)), o.mul(x, 2), x), (r) => ({ x: awayFromZero(r, [3, 4]) })),
  // random values times zero: the finite differences see the same function on every run
  RandomNormal: around((o, x) => o.add(o.tanh(x), o.mul(o.randomNormal([3, 4], 7), 0))),
  RandomUniform: around((o, x) => o.add(o.tanh(x), o.mul(o.randomUniform([3, 4], 7), 0))),

  ReduceSum: unary((o, x) => o.tanh(o.sum(o.tanh(x), 1, true))),
  ReduceMean: unary((o, x) => o.tanh(o.mean(o.tanh(x), 0))),
  ReduceMax: unary((o, x) => o.max(x, 1)),
  ReduceMin: unary((o, x) => o.min(x, 0)),
  LayerNorm: unary((o, x) => o.normalizeLast(x, 1e-5), (r) => ({ x: randn(r, [3, 8]) })),
  // second order: the fused LayerNorm's gradient reads its InvStdDev companion, differentiated by the outer pass
  LayerNormInvStd: {
    inputs: (r) => ({ x: randn(r, [3, 8]), w: randn(r, [3, 8]) }),
    wrt: ['x', 'w'],
    f: (o, t) => {
      const [gx] = o.grad(o.sum(o.mul(o.normalizeLast(t['x']!, 1e-5), t['w']!)), [t['x']!]);
      return wsum(o, o.tanh(gx!));
    },
  },
  Softmax: unary((o, x) => o.softmax(x, 1)),
  LogSoftmax: unary((o, x) => o.logSoftmax(x, 0)),

  MatMul: {
    // equal batch dims: tfjs 4.22's BatchMatMul gradient does not unbroadcast them
    inputs: (r) => ({ a: randn(r, [2, 3, 4]), b: randn(r, [2, 5, 4]) }),
    wrt: ['a', 'b'], f: (o, t) => wsum(o, o.matmul(t['a']!, t['b']!, false, true)),
  },
  Conv: {
    inputs: (r) => ({ x: randn(r, [2, 2, 5, 5]), w: randn(r, [3, 2, 3, 3], 0.5), b: randn(r, [3]) }),
    wrt: ['x', 'w', 'b'], f: (o, t) => wsum(o, o.conv(t['x']!, t['w']!, t['b']!, { stride: 2, padding: 1 })),
  },
  ConvTranspose: {
    inputs: (r) => ({ x: randn(r, [1, 2, 3, 3]), w: randn(r, [2, 3, 3, 3], 0.5), b: randn(r, [3]) }),
    wrt: ['x', 'w', 'b'], f: (o, t) => wsum(o, o.convTranspose(t['x']!, t['w']!, t['b']!, { stride: 2, padding: 1 })),
  },
  AveragePool: unary((o, x) => o.avgPool(x, { kernel: 3, stride: 2, padding: 1 }), (r) => ({ x: randn(r, [1, 2, 5, 5]) })),
  MaxPool: unary((o, x) => o.maxPool(x, { kernel: 2 }), (r) => ({ x: offGrid(r, [1, 2, 4, 4]) })),

  Reshape: unary((o, x) => o.tanh(o.reshape(x, [2, 6]))),
  Transpose: unary((o, x) => o.tanh(o.transpose(x, [1, 0]))),
  // a stride-1 transposed convolution is one Conv over the spatially reversed kernel
  Reverse: {
    inputs: (r) => ({ x: randn(r, [1, 2, 4, 4]), w: randn(r, [2, 3, 3, 3], 0.5) }),
    wrt: ['w'], f: (o, t) => wsum(o, o.convTranspose(t['x']!, t['w']!, undefined, { padding: 1 })),
  },
  Expand: unary((o, x) => o.tanh(o.broadcastTo(o.reshape(x, [1, 3, 4]), [2, 3, 4]))),
  Slice: unary((o, x) => o.tanh(o.slice(x, [0, 1], [3, 4], [0, 1], [2, 2]))),
  Pad: unary((o, x) => o.add(o.pad(x, [[1, 0], [0, 2]]), o.add(o.pad(x, [[1, 0], [2, 0]], 'reflect'), o.pad(x, [[0, 1], [1, 1]], 'replicate')))),
  Concat: { inputs: ab, wrt: ['a', 'b'], f: (o, t) => wsum(o, o.tanh(o.concat([t['a']!, t['b']!], 0))) },
  Gather: {
    inputs: (r) => ({ x: randn(r, [4, 3]), i: idx([0, 2, 2, 3, 0]) }),
    wrt: ['x'], f: (o, t) => wsum(o, o.tanh(o.gather(t['x']!, t['i']!, 0))),
  },
  // second order: the inner gradient of a gather is a ScatterAdd, differentiated by the outer one
  ScatterAdd: {
    inputs: (r) => ({ x: randn(r, [4, 3]), w: randn(r, [5, 3]), i: idx([0, 2, 2, 3, 0]) }),
    wrt: ['x', 'w'],
    f: (o, t) => {
      const [gx] = o.grad(o.sum(o.tanh(o.mul(o.gather(t['x']!, t['i']!, 0), t['w']!))), [t['x']!]);
      return wsum(o, o.tanh(gx!));
    },
  },
};

let onnx: Engine;
let tfjs: Engine;
beforeAll(async () => {
  onnx = await testEngine('onnx', { onnxThreads: 1 });
  tfjs = await testEngine('tfjs', { tfjsBackend: 'cpu' });
});
afterAll(disposeTestEngines);

/** Central differences of the onnx forward, one input element at a time. */
async function finiteDifferences(c: GradCase, inputs: Record<string, HostTensor>, name: string, h = 1e-2): Promise<Float32Array> {
  const fwd = onnx.compile((o, t: T) => ({ y: (c.fd ?? c.f)(o, t) }));
  const base = inputs[name]!;
  const out = new Float32Array(base.size);
  for (let i = 0; i < base.size; i++) {
    const at = async (d: number): Promise<number> => {
      const x = new HostTensor(base.shape, Float32Array.from(base.data), 'float32');
      x.data[i] = base.data[i]! + d;
      return (await fwd.run({ ...inputs, [name]: x })).y.item();
    };
    out[i] = ((await at(h)) - (await at(-h))) / (2 * h);
  }
  return out;
}

describe('every VJP rule has a gradient check', () => {
  it('each rule of vjp.ts has a case here, and each case traces its primitive', () => {
    expect(Object.keys(CASES).sort()).toEqual(Object.keys(VJP).sort());
    for (const [op, c] of Object.entries(CASES)) {
      const traced = trace((o, t) => ({ loss: c.f(o, t) }), specsOf(c.inputs(new Rng(1))));
      expect([op, traced.graph.nodes.some((n) => n.op === op)]).toEqual([op, true]);
    }
  });

  it.each(Object.keys(VJP))('%s: onnx gradient = finite differences = tfjs gradient', async (op) => {
    const c = CASES[op];
    if (!c) throw new Error(`vjp.ts has a rule for '${op}' but this file has no gradient check for it: add one to CASES`);
    const inputs = c.inputs(new Rng(op.length * 101 + op.charCodeAt(0)));
    const [a, b] = await Promise.all([onnx, tfjs].map((e) => e.valueAndGrad((o, t: T) => ({ loss: c.f(o, t) }), { inputs: c.wrt }).run(inputs)));
    for (const name of c.wrt) {
      const g = a![`grad:${name}`]!;
      const fd = await finiteDifferences(c, inputs, name);
      expect(maxAbsDiff(g.data, fd)).toBeLessThanOrEqual(2e-2 * Math.max(maxAbs(fd), 1e-3));
      expect(relErr(g.data, b![`grad:${name}`]!.data)).toBeLessThan(2e-4);
    }
  });
});
