/**
 * onnx engine: shape ops (reshape, transpose, slice with steps, pad modes,
 * concat, broadcastTo, gather, oneHot) and creation ops — forward values
 * against plain JS, gradients against finite differences.
 */
import { createOnnxEngine } from '../src/engine/onnx/index.js';
import type { Engine, Inputs } from '../src/engine/engine.js';
import type { Ops, Tensor } from '../src/ops.js';
import { HostTensor } from '../src/tensor.js';
import { run1, gradCheck, rand } from './onnx-helpers.js';
import { expectClose } from '../src/testing.js';

let engine: Engine;
beforeAll(async () => {
  engine = await createOnnxEngine({ threads: 1 });
});
afterAll(async () => {
  await engine.dispose();
});


const iota = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('onnx shape ops', () => {
  const x = HostTensor.from(iota(24), [2, 3, 4]);

  test('reshape with -1 and transpose', async () => {
    const r = await run1(engine, (o, i) => o.transpose(o.reshape(i.x!, [6, -1]), [1, 0]), { x });
    expect(r.shape).toEqual([4, 6]);
    const want: number[] = [];
    for (let j = 0; j < 4; j++) for (let i = 0; i < 6; i++) want.push(i * 4 + j);
    expect(Array.from(r.data)).toEqual(want);
    await gradCheck(engine, (o, i) => o.transpose(o.reshape(i.x!, [6, -1]), [1, 0]), { x: rand([2, 3, 4], 1) });
  });

  test('slice with positive and negative steps, negative bounds', async () => {
    const a = HostTensor.from(iota(10), [10]);
    const cases: [number[], number[], number[], number[]][] = [
      [[1], [8], [3], [1, 4, 7]],
      [[-3], [10], [1], [7, 8, 9]],
      [[8], [1], [-2], [8, 6, 4, 2]],
      [[9], [-11], [-1], [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]],
      [[0], [10], [4], [0, 4, 8]],
    ];
    for (const [b, e, s, want] of cases) {
      const r = await run1(engine, (o, i) => o.slice(i.a!, b, e, undefined, s), { a });
      expect(Array.from(r.data)).toEqual(want);
      await gradCheck(engine, (o, i) => o.slice(i.a!, b, e, undefined, s), { a: rand([10], 2) });
    }
    const m = await run1(engine, (o, i) => o.slice(i.x!, [1, 3], [3, -5], [1, 2], [1, -2]), { x });
    expect(m.shape).toEqual([2, 2, 2]);
    expect(Array.from(m.data)).toEqual([7, 5, 11, 9, 19, 17, 23, 21]);
    await gradCheck(engine, (o, i) => o.slice(i.x!, [1, 3], [3, -5], [1, 2], [1, -2]), { x: rand([2, 3, 4], 3) });
  });

  test.each(['constant', 'reflect', 'replicate'] as const)('pad mode %s: values and gradient', async (mode) => {
    const a = HostTensor.from([1, 2, 3, 4, 5, 6], [2, 3]);
    const r = await run1(engine, (o, i) => o.pad(i.a!, [[1, 0], [2, 1]], mode, 9), { a });
    expect(r.shape).toEqual([3, 6]);
    const row = (v: number[]): number[] =>
      mode === 'constant' ? [9, 9, ...v, 9] : mode === 'reflect' ? [v[2]!, v[1]!, ...v, v[1]!] : [v[0]!, v[0]!, ...v, v[2]!];
    const top = mode === 'constant' ? [9, 9, 9, 9, 9, 9] : mode === 'reflect' ? row([4, 5, 6]) : row([1, 2, 3]);
    expect(Array.from(r.data)).toEqual([...top, ...row([1, 2, 3]), ...row([4, 5, 6])]);
    await gradCheck(engine, (o, i) => o.pad(i.a!, [[1, 0], [2, 1]], mode, 9), { a: rand([2, 3], 4) });
    await gradCheck(engine, (o, i) => o.pad(i.b!, [[0, 0], [0, 0], [2, 3]], mode), { b: rand([1, 2, 5], 5) });
  });

  test('concat, broadcastTo and their gradients', async () => {
    const a = rand([2, 1, 3], 6);
    const b = rand([2, 2, 3], 7);
    const c = await run1(engine, (o, i) => o.concat([i.a!, i.b!, i.a!], 1), { a, b });
    expect(c.shape).toEqual([2, 4, 3]);
    expectClose(c.data.slice(0, 12), [...a.data.slice(0, 3), ...b.data.slice(0, 6), ...a.data.slice(0, 3)], { rtol: 0, atol: 0 });
    await gradCheck(engine, (o, i) => o.concat([i.a!, i.b!, i.a!], 1), { a, b });
    const e = await run1(engine, (o, i) => o.broadcastTo(i.a!, [3, 2, 4, 3]), { a });
    expect(e.shape).toEqual([3, 2, 4, 3]);
    expect(e.data[1 * 24 + 1 * 12 + 2 * 3 + 1]).toBe(a.data[4]); // [1, 1, 2, 1] reads a[1, 0, 1]
    await gradCheck(engine, (o, i) => o.broadcastTo(i.a!, [3, 2, 4, 3]), { a });
  });

  test('gather on axis 0 and 1 with repeated indices; gradient scatter-adds', async () => {
    const t = rand([4, 3], 8);
    const idx = HostTensor.int([3, 0, 3, 1], [2, 2]);
    const g0 = await run1(engine, (o, i) => o.gather(i.t!, i.idx!, 0), { t, idx });
    expect(g0.shape).toEqual([2, 2, 3]);
    expectClose(g0.data, [3, 0, 3, 1].flatMap((r) => Array.from(t.data.slice(r * 3, r * 3 + 3))), { rtol: 0, atol: 0 });
    await gradCheck(engine, (o, i) => o.gather(i.t!, i.idx!, 0), { t, idx }, ['t']);
    const idx1 = HostTensor.int([2, 2, 0], [3]);
    const g1 = await run1(engine, (o, i) => o.gather(i.t!, i.idx1!, 1), { t, idx1 });
    expect(g1.shape).toEqual([4, 3]);
    expect(Array.from(g1.data.slice(0, 3))).toEqual([t.data[2], t.data[2], t.data[0]]);
    await gradCheck(engine, (o, i) => o.gather(i.t!, i.idx1!, 1), { t, idx1 }, ['t']);
  });

  test('oneHot, range and creation ops', async () => {
    const r = await engine
      .compile<{ i: HostTensor }, Record<string, Tensor>>((o, { i }) => ({
        oh: o.oneHot(i, 4),
        rg: o.range(5),
        z: o.zeros([2, 2]),
        on: o.ones([3]),
        f: o.fill([2], 7, 'int32'),
        c: o.constant([1, 2, 3, 4], [2, 2]),
        h: o.constant(HostTensor.int([5, 6], [2])),
        u: o.randomUniform([1000], 3, 2, 4),
        n: o.randomNormal([1000], 4, 1, 2),
      }))
      .run({ i: HostTensor.int([2, 0, 3], [3]) });
    expect(r.oh!.dtype).toBe('float32');
    expect(Array.from(r.oh!.data)).toEqual([0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1]);
    expect(r.rg!.dtype).toBe('int32');
    expect(Array.from(r.rg!.data)).toEqual([0, 1, 2, 3, 4]);
    expect(Array.from(r.z!.data)).toEqual([0, 0, 0, 0]);
    expect(Array.from(r.on!.data)).toEqual([1, 1, 1]);
    expect(r.f!.dtype).toBe('int32');
    expect(Array.from(r.f!.data)).toEqual([7, 7]);
    expect(r.c!.shape).toEqual([2, 2]);
    expect(r.h!.dtype).toBe('int32');
    const u = Array.from(r.u!.data);
    expect(Math.min(...u)).toBeGreaterThanOrEqual(2);
    expect(Math.max(...u)).toBeLessThan(4);
    const n = Array.from(r.n!.data);
    const mean = n.reduce((a, b) => a + b) / n.length;
    const sd = Math.sqrt(n.reduce((a, b) => a + (b - mean) ** 2, 0) / n.length);
    expect(Math.abs(mean - 1)).toBeLessThan(0.3);
    expect(Math.abs(sd - 2)).toBeLessThan(0.3);
  });

  test('shape errors name the op, the expectation and the got shape', async () => {
    const f = engine.compile<{ a: HostTensor }, { y: Tensor }>((o, { a }) => ({ y: o.add(a, o.zeros([4])) }));
    await expect(f.run({ a: HostTensor.zeros([3]) })).rejects.toThrow(/Add.*\[4\]/);
    const g = engine.compile<{ a: HostTensor }, { y: Tensor }>((o, { a }) => ({ y: o.reshape(a, [5]) }));
    await expect(g.run({ a: HostTensor.zeros([3]) })).rejects.toThrow(/reshape/);
  });
});

describe('onnx variables', () => {
  test('assign writes the buffer back after the call and reads see the old value', async () => {
    const { Variable } = await import('../src/nn/variable.js');
    const buf = new Variable(HostTensor.from([1, 2], [2]), false, 'ema');
    const f = engine.compile<{ x: HostTensor }, { old: Tensor }>((o, { x }) => {
      const v = o.variable(buf);
      o.assign(buf, o.add(o.mul(v, 0.5), x));
      return { old: o.mul(v, 1) };
    });
    const r1 = await f.run({ x: HostTensor.from([10, 10], [2]) });
    expect(Array.from(r1.old.data)).toEqual([1, 2]);
    expect(Array.from(buf.value.data)).toEqual([10.5, 11]);
    await f.run({ x: HostTensor.from([0, 0], [2]) });
    await engine.sync();
    expect(Array.from(buf.value.data)).toEqual([5.25, 5.5]);
  });
});
