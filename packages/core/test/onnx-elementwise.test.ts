/**
 * onnx engine: elementwise ops, comparisons, reductions and softmax — forward
 * values against plain JS, gradients against finite differences.
 */
import { createOnnxEngine } from '../src/engine/onnx/index.js';
import type { Engine, Inputs } from '../src/engine/engine.js';
import type { Ops, Tensor } from '../src/ops.js';
import { HostTensor } from '../src/tensor.js';
import { run1, gradCheck, rand, randAwayFromZero } from './onnx-helpers.js';
import { expectClose, peakTol } from '../src/testing.js';

let engine: Engine;
beforeAll(async () => {
  engine = await createOnnxEngine({ threads: 1 });
});
afterAll(async () => {
  await engine.dispose();
});


const erf = (x: number): number => {
  // Abramowitz-Stegun 7.1.26 is too coarse; integrate the series instead
  let sum = x;
  let term = x;
  for (let n = 1; n < 60; n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
};

const unary: [string, (o: Ops, x: Tensor) => Tensor, (v: number) => number, 'any' | 'pos' | 'away'][] = [
  ['neg', (o, x) => o.neg(x), (v) => -v, 'any'],
  ['abs', (o, x) => o.abs(x), Math.abs, 'away'],
  ['exp', (o, x) => o.exp(x), Math.exp, 'any'],
  ['log', (o, x) => o.log(x), Math.log, 'pos'],
  ['sqrt', (o, x) => o.sqrt(x), Math.sqrt, 'pos'],
  ['rsqrt', (o, x) => o.rsqrt(x), (v) => 1 / Math.sqrt(v), 'pos'],
  ['square', (o, x) => o.square(x), (v) => v * v, 'any'],
  ['tanh', (o, x) => o.tanh(x), Math.tanh, 'any'],
  ['sigmoid', (o, x) => o.sigmoid(x), (v) => 1 / (1 + Math.exp(-v)), 'any'],
  ['erf', (o, x) => o.erf(x), erf, 'any'],
  ['relu', (o, x) => o.relu(x), (v) => Math.max(v, 0), 'away'],
  ['leakyRelu', (o, x) => o.leakyRelu(x, 0.2), (v) => (v > 0 ? v : 0.2 * v), 'away'],
  ['clip', (o, x) => o.clip(x, -0.5, 0.5), (v) => Math.min(Math.max(v, -0.5), 0.5), 'away'],
];

function domain(kind: 'any' | 'pos' | 'away', seed: number): HostTensor {
  if (kind === 'pos') return rand([2, 5], seed, 0.3, 2);
  if (kind === 'away') {
    // also keep clip's kinks at +-0.5 away from the samples
    const t = randAwayFromZero([2, 5], seed, 0.1);
    for (let i = 0; i < t.size; i++) if (Math.abs(Math.abs(t.data[i]!) - 0.5) < 0.05) t.data[i] = t.data[i]! * 1.3;
    return t;
  }
  return rand([2, 5], seed);
}

describe('onnx unary ops', () => {
  test.each(unary)('%s forward matches JS and gradient matches finite differences', async (_, f, ref, kind) => {
    const x = domain(kind, 7);
    const y = await run1(engine, (o, i) => f(o, i.x!), { x });
    expectClose(y.data, Array.from(x.data, ref), peakTol(1e-5));
    await gradCheck(engine, (o, i) => f(o, i.x!), { x });
  });

  test('sign, round (half to even), floor forward', async () => {
    const x = HostTensor.from([-1.5, -0.5, 0.5, 1.5, 2.5, -2.7, 0, 3.2], [8]);
    const r = await engine
      .compile<{ x: HostTensor }, Record<string, Tensor>>((o, { x }) => ({ s: o.sign(x), r: o.round(x), f: o.floor(x) }))
      .run({ x });
    expect(Array.from(r.s!.data)).toEqual([-1, -1, 1, 1, 1, -1, 0, 1]);
    expect(Array.from(r.r!.data)).toEqual([-2, -0, 0, 2, 2, -3, 0, 3]);
    expect(Array.from(r.f!.data)).toEqual([-2, -1, 0, 1, 2, -3, 0, 3]);
  });

  test('sign, round, floor, comparisons and stopGradient have zero gradient', async () => {
    const x = rand([6], 3, -2, 2);
    const vg = engine.valueAndGrad<{ x: HostTensor }, { loss: Tensor }>(
      (o, { x }) => {
        const parts = [o.sign(x), o.round(x), o.floor(x), o.cast(o.greater(x, 0), 'float32'), o.stopGradient(x)];
        return { loss: o.sum(o.mul(parts.reduce((a, b) => o.add(a, b)), x)) };
      },
      { inputs: ['x'] },
    );
    const r = await vg.run({ x });
    // d/dx sum(c(x) * x) with c piecewise constant = c(x)
    const c = Array.from(x.data, (v) => Math.sign(v) + Math.round(v) + Math.floor(v) + (v > 0 ? 1 : 0) + v);
    // Math.round rounds half up, but no sample is at .5 here
    expectClose(r['grad:x']!.data, c, peakTol(1e-5));
  });
});

describe('onnx binary ops with broadcasting', () => {
  const a = rand([2, 3, 4], 1, 0.5, 1.5);
  const b = rand([3, 1], 2, 0.5, 1.5);
  // keep a away from ties with b so maximum/minimum are differentiable at the samples
  for (let i = 0; i < a.size; i++) if (Math.abs(a.data[i]! - b.data[Math.floor(i / 4) % 3]!) < 0.05) a.data[i] = a.data[i]! + 0.1;
  const binary: [string, (o: Ops, a: Tensor, b: Tensor) => Tensor, (x: number, y: number) => number][] = [
    ['add', (o, x, y) => o.add(x, y), (x, y) => x + y],
    ['sub', (o, x, y) => o.sub(x, y), (x, y) => x - y],
    ['mul', (o, x, y) => o.mul(x, y), (x, y) => x * y],
    ['div', (o, x, y) => o.div(x, y), (x, y) => x / y],
    ['pow', (o, x, y) => o.pow(x, y), (x, y) => x ** y],
    ['maximum', (o, x, y) => o.maximum(x, y), Math.max],
    ['minimum', (o, x, y) => o.minimum(x, y), Math.min],
  ];
  test.each(binary)('%s forward and gradients (both operands, broadcast)', async (_, f, ref) => {
    const y = await run1(engine, (o, i) => f(o, i.a!, i.b!), { a, b });
    expect(y.shape).toEqual([2, 3, 4]);
    const want: number[] = [];
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 4; k++) want.push(ref(a.data[i * 12 + j * 4 + k]!, b.data[j]!));
    expectClose(y.data, want, peakTol(1e-5));
    await gradCheck(engine, (o, i) => f(o, i.a!, i.b!), { a, b });
  });

  test('numbers lift to scalars; int32 stays int32 with integer literals', async () => {
    const r = await engine
      .compile<{ i: HostTensor }, Record<string, Tensor>>((o, { i }) => ({ p: o.add(i, 1), q: o.mul(2, o.cast(i, 'float32')) }))
      .run({ i: HostTensor.int([1, 2, 3], [3]) });
    expect(r.p!.dtype).toBe('int32');
    expect(Array.from(r.p!.data)).toEqual([2, 3, 4]);
    expect(Array.from(r.q!.data)).toEqual([2, 4, 6]);
  });

  test('comparisons, logical ops and where', async () => {
    const x = HostTensor.from([1, 2, 3, 4], [4]);
    const y = HostTensor.from([2, 2, 2, 2], [4]);
    const r = await engine
      .compile<{ x: HostTensor; y: HostTensor }, Record<string, Tensor>>((o, { x, y }) => ({
        eq: o.equal(x, y),
        gt: o.greater(x, y),
        ge: o.greaterEqual(x, y),
        lt: o.less(x, y),
        le: o.lessEqual(x, y),
        and: o.logicalAnd(o.greater(x, 1), o.less(x, 4)),
        not: o.logicalNot(o.equal(x, y)),
        w: o.where(o.greater(x, y), x, -1),
      }))
      .run({ x, y });
    expect(r.eq!.dtype).toBe('bool');
    expect(Array.from(r.eq!.data)).toEqual([0, 1, 0, 0]);
    expect(Array.from(r.gt!.data)).toEqual([0, 0, 1, 1]);
    expect(Array.from(r.ge!.data)).toEqual([0, 1, 1, 1]);
    expect(Array.from(r.lt!.data)).toEqual([1, 0, 0, 0]);
    expect(Array.from(r.le!.data)).toEqual([1, 1, 0, 0]);
    expect(Array.from(r.and!.data)).toEqual([0, 1, 1, 0]);
    expect(Array.from(r.not!.data)).toEqual([1, 0, 1, 1]);
    expect(Array.from(r.w!.data)).toEqual([-1, -1, 3, 4]);
  });

  test('where gradient flows to the selected branch only', async () => {
    const x = rand([3, 4], 5);
    const z = rand([4], 6);
    await gradCheck(engine, (o, i) => o.where(o.greater(i.x!, 0), o.mul(i.x!, i.x!), i.z!), { x, z });
  });
});

describe('onnx reductions', () => {
  const x = rand([2, 3, 4], 11);
  const red: [string, (o: Ops, x: Tensor) => Tensor, number[]][] = [
    ['sum all', (o, t) => o.sum(t), []],
    ['sum axes [0, 2] keepDims', (o, t) => o.sum(t, [0, 2], true), [1, 3, 1]],
    ['mean axis -1', (o, t) => o.mean(t, -1), [2, 3]],
    ['max axis 1', (o, t) => o.max(t, 1), [2, 4]],
    ['min axes [1, 2] keepDims', (o, t) => o.min(t, [1, 2], true), [2, 1, 1]],
  ];
  test.each(red)('%s: shape, value and gradient', async (_, f, shape) => {
    const y = await run1(engine, (o, i) => f(o, i.x!), { x });
    expect(y.shape).toEqual(shape);
    await gradCheck(engine, (o, i) => f(o, i.x!), { x });
  });

  test('reduction values match JS', async () => {
    const r = await engine
      .compile<{ x: HostTensor }, Record<string, Tensor>>((o, { x }) => ({ s: o.sum(x, 1), m: o.mean(x, [0, 1]), mx: o.max(x, 2), mn: o.min(x) }))
      .run({ x });
    const at = (i: number, j: number, k: number): number => x.data[i * 12 + j * 4 + k]!;
    const s: number[] = [];
    for (let i = 0; i < 2; i++) for (let k = 0; k < 4; k++) s.push(at(i, 0, k) + at(i, 1, k) + at(i, 2, k));
    expectClose(r.s!.data, s, peakTol(1e-5));
    const m = [0, 1, 2, 3].map((k) => [0, 1].reduce((acc, i) => acc + at(i, 0, k) + at(i, 1, k) + at(i, 2, k), 0) / 6);
    expectClose(r.m!.data, m, peakTol(1e-5));
    const mx: number[] = [];
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) mx.push(Math.max(...[0, 1, 2, 3].map((k) => at(i, j, k))));
    expectClose(r.mx!.data, mx, peakTol(1e-6));
    expect(r.mn!.item()).toBeCloseTo(Math.min(...x.data), 6);
  });

  test('argmax/argmin are int32, first index on ties, and have zero gradient', async () => {
    const t = HostTensor.from([1, 3, 3, 0, 5, 5, -1, 2, -1, 7, -1, 7], [3, 4]);
    const r = await engine
      .compile<{ t: HostTensor }, Record<string, Tensor>>((o, { t }) => ({ amax: o.argmax(t, 1), amin: o.argmin(t, -1), a0: o.argmax(t, 0) }))
      .run({ t });
    expect(r.amax!.dtype).toBe('int32');
    expect(Array.from(r.amax!.data)).toEqual([1, 0, 1]);
    expect(Array.from(r.amin!.data)).toEqual([3, 2, 0]);
    expect(Array.from(r.a0!.data)).toEqual([1, 2, 0, 2]);
    const vg = engine.valueAndGrad<{ t: HostTensor }, { loss: Tensor }>(
      (o, { t }) => ({ loss: o.sum(o.mul(o.cast(o.argmin(t, 1), 'float32'), o.sum(t, 1))) }),
      { inputs: ['t'] },
    );
    const g = (await vg.run({ t }))['grad:t']!;
    // loss = sum_i argmin_i * rowsum_i: the argmin factor contributes nothing
    expect(Array.from(g.data)).toEqual([3, 3, 3, 3, 2, 2, 2, 2, 0, 0, 0, 0]);
  });

  test('softmax and logSoftmax: values and gradients', async () => {
    const z = rand([2, 5], 21, -2, 2);
    const sm = await run1(engine, (o, i) => o.softmax(i.z!), { z });
    const ls = await run1(engine, (o, i) => o.logSoftmax(i.z!, 0), { z });
    for (let r = 0; r < 2; r++) {
      const row = Array.from(z.data.slice(r * 5, r * 5 + 5));
      const e = row.map((v) => Math.exp(v - Math.max(...row)));
      const s = e.reduce((a, b) => a + b);
      expectClose(sm.data.slice(r * 5, r * 5 + 5), e.map((v) => v / s), peakTol(1e-6));
    }
    for (let c = 0; c < 5; c++) {
      const col = [z.data[c]!, z.data[5 + c]!];
      const lse = Math.log(Math.exp(col[0]!) + Math.exp(col[1]!));
      expectClose([ls.data[c]!, ls.data[5 + c]!], [col[0]! - lse, col[1]! - lse], peakTol(1e-5));
    }
    await gradCheck(engine, (o, i) => o.softmax(i.z!, -1), { z });
    await gradCheck(engine, (o, i) => o.logSoftmax(i.z!, 0), { z });
  });

  test('matmul with transposes and batch broadcasting', async () => {
    const a = rand([2, 3, 4], 31);
    const b = rand([5, 4], 32);
    const y = await run1(engine, (o, i) => o.matmul(i.a!, i.b!, false, true), { a, b });
    expect(y.shape).toEqual([2, 3, 5]);
    const want: number[] = [];
    for (let n = 0; n < 2; n++)
      for (let i = 0; i < 3; i++)
        for (let j = 0; j < 5; j++) {
          let s = 0;
          for (let k = 0; k < 4; k++) s += a.data[n * 12 + i * 4 + k]! * b.data[j * 4 + k]!;
          want.push(s);
        }
    expectClose(y.data, want, peakTol(1e-5));
    await gradCheck(engine, (o, i) => o.matmul(i.a!, i.b!, false, true), { a, b });
    const c = rand([4, 3], 33);
    await gradCheck(engine, (o, i) => o.matmul(i.c!, i.a!, true, true), { a, c });
  });
});
