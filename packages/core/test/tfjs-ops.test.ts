/**
 * Forward values of the tfjs engine's elementwise, selection, reduction and
 * shape ops on small known cases, on the wasm and cpu backends.
 */
import { HostTensor, createTfjsEngine, type Engine, type Ops, type Tensor } from '../src/index.js';

async function run1(engine: Engine, inputs: Record<string, HostTensor>, f: (ops: Ops, t: Record<string, Tensor>) => Tensor): Promise<HostTensor> {
  const out = await engine.compile((ops, t: Record<string, Tensor>) => ({ y: f(ops, t) })).run(inputs);
  return out['y']!;
}
const arr = (h: HostTensor): number[] => Array.from(h.data);

/** numpy-style pad of a 2-D array, written out per mode. */
function refPad2d(x: number[][], pads: [number, number][], mode: 'constant' | 'reflect' | 'replicate', value: number): number[][] {
  const [H, W] = [x.length, x[0]!.length];
  const src = (i: number, n: number): number => {
    if (mode === 'replicate') return Math.min(n - 1, Math.max(0, i));
    if (mode === 'reflect') return i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i;
    return i;
  };
  const out: number[][] = [];
  for (let i = -pads[0]![0]; i < H + pads[0]![1]; i++) {
    const row: number[] = [];
    for (let j = -pads[1]![0]; j < W + pads[1]![1]; j++) {
      const [a, b] = [src(i, H), src(j, W)];
      row.push(a < 0 || b < 0 || a >= H || b >= W ? value : x[a]![b]!);
    }
    out.push(row);
  }
  return out;
}

describe.each(['wasm', 'cpu'] as const)('tfjs ops (%s)', (backend) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await createTfjsEngine({ backend });
  });
  afterAll(async () => engine.dispose());

  it('reports its engine and device', () => {
    expect(engine.name).toBe('tfjs');
    expect(engine.device).toBe(backend);
  });

  it('round is half-to-even (torch.round / ONNX Round)', async () => {
    const x = HostTensor.from([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, 2.6], [8]);
    const y = await run1(engine, { x }, (ops, t) => ops.round(t['x']!));
    expect(arr(y).map((v) => v + 0)).toEqual([0, 2, 2, 0, -2, -2, 2, 3]); // +0: the sign of zero may differ
  });

  it('erf matches the closed-form values to 1e-6', async () => {
    // erf(x) for these x, from the series erf x = 2/sqrt(pi) * sum (-1)^n x^(2n+1) / (n! (2n+1)).
    const xs = [-2, -0.5, 0, 0.25, 1, 1.7];
    const series = (v: number): number => {
      let s = 0;
      let term = v;
      for (let n = 0; n < 60; n++) {
        s += term / (2 * n + 1);
        term *= (-v * v) / (n + 1);
      }
      return (2 / Math.sqrt(Math.PI)) * s;
    };
    const y = await run1(engine, { x: HostTensor.from(xs, [6]) }, (ops, t) => ops.erf(t['x']!));
    xs.forEach((v, i) => expect(Math.abs(y.data[i]! - series(v))).toBeLessThan(1e-6));
  });

  it('argmax/argmin are int32 and pick the first of tied values', async () => {
    const x = HostTensor.from([1, 3, 3, 0, 2, -1, -1, 5], [2, 4]);
    const out = await engine
      .compile((ops, t: Record<string, Tensor>) => ({ mx: ops.argmax(t['x']!, 1), mn: ops.argmin(t['x']!, -1), m0: ops.argmax(t['x']!, 0) }))
      .run({ x });
    expect(out['mx']!.dtype).toBe('int32');
    expect(arr(out['mx']!)).toEqual([1, 3]);
    expect(arr(out['mn']!)).toEqual([3, 1]);
    expect(arr(out['m0']!)).toEqual([1, 0, 0, 1]);
  });

  it('gather takes along an axis with indices of any shape (numpy.take)', async () => {
    const x = HostTensor.from([...Array(12).keys()], [3, 4]);
    const idx = HostTensor.int([2, 0, 2, 1], [2, 2]);
    const out = await engine
      .compile((ops, t: Record<string, Tensor>) => ({ a0: ops.gather(t['x']!, t['i']!), a1: ops.gather(t['x']!, t['i']!, -1) }))
      .run({ x, i: idx });
    expect(out['a0']!.shape).toEqual([2, 2, 4]);
    expect(arr(out['a0']!)).toEqual([8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7]);
    expect(out['a1']!.shape).toEqual([3, 2, 2]);
    expect(arr(out['a1']!).slice(0, 4)).toEqual([2, 0, 2, 1]);
    expect(arr(out['a1']!).slice(8)).toEqual([10, 8, 10, 9]);
  });

  it('oneHot is float32 on a new last axis', async () => {
    const y = await run1(engine, { i: HostTensor.int([2, 0, 1], [3]) }, (ops, t) => ops.oneHot(t['i']!, 3));
    expect(y.dtype).toBe('float32');
    expect(y.shape).toEqual([3, 3]);
    expect(arr(y)).toEqual([0, 0, 1, 1, 0, 0, 0, 1, 0]);
  });

  it('where broadcasts condition, tensors and numbers; comparisons give bool', async () => {
    const x = HostTensor.from([-1, 2, -3, 4, 0, 6], [2, 3]);
    const out = await engine
      .compile((ops, t: Record<string, Tensor>) => {
        const c = ops.greater(t['x']!, 0);
        return { c, w: ops.where(c, t['x']!, 10), v: ops.where(ops.constant([1, 0, 1], [3], 'bool'), 1, ops.neg(t['x']!)) };
      })
      .run({ x });
    expect(out['c']!.dtype).toBe('bool');
    expect(arr(out['c']!)).toEqual([0, 1, 0, 1, 0, 1]);
    expect(arr(out['w']!)).toEqual([10, 2, 10, 4, 10, 6]);
    expect(arr(out['v']!).map((v) => v + 0)).toEqual([1, -2, 1, 1, 0, 1]);
  });

  it('a plain number is a float32 scalar, so int32 + 1 is float32', async () => {
    const y = await run1(engine, { i: HostTensor.int([1, 2], [2]) }, (ops, t) => ops.add(t['i']!, 0.5));
    expect(y.dtype).toBe('float32');
    expect(arr(y)).toEqual([1.5, 2.5]);
  });

  it('slice supports negative bounds, axes and steps (ONNX Slice)', async () => {
    const x = HostTensor.from([...Array(24).keys()], [2, 3, 4]);
    const out = await engine
      .compile((ops, t: Record<string, Tensor>) => ({
        a: ops.slice(t['x']!, [1, -3], [100, 4], [2, 1]),
        b: ops.slice(t['x']!, [0, 1], [4, 100], [2, 0], [3, 1]),
        c: ops.slice(t['x']!, [0], [3], [1], [2]),
      }))
      .run({ x });
    expect(out['a']!.shape).toEqual([2, 3, 3]);
    expect(arr(out['a']!).slice(0, 3)).toEqual([1, 2, 3]);
    expect(out['b']!.shape).toEqual([1, 3, 2]);
    expect(arr(out['b']!)).toEqual([12, 15, 16, 19, 20, 23]);
    expect(out['c']!.shape).toEqual([2, 2, 4]);
    expect(arr(out['c']!)).toEqual([0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15, 20, 21, 22, 23]);
  });

  it.each(['constant', 'reflect', 'replicate'] as const)('pad mode %s matches numpy', async (mode) => {
    const rows = [
      [1, 2, 3, 4],
      [5, 6, 7, 8],
      [9, 10, 11, 12],
    ];
    const pads: [number, number][] = [
      [2, 1],
      [1, 3],
    ];
    const y = await run1(engine, { x: HostTensor.from(rows.flat(), [3, 4]) }, (ops, t) => ops.pad(t['x']!, pads, mode, 7));
    const want = refPad2d(rows, pads, mode, 7);
    expect(y.shape).toEqual([want.length, want[0]!.length]);
    expect(arr(y)).toEqual(want.flat());
  });

  it('pad with negative entries crops (ONNX Pad)', async () => {
    const y = await run1(engine, { x: HostTensor.from([1, 2, 3, 4, 5], [5]) }, (ops, t) => ops.pad(t['x']!, [[-1, 2]]));
    expect(arr(y)).toEqual([2, 3, 4, 5, 0, 0]);
  });

  it('softmax and logSoftmax along a non-last axis', async () => {
    const vals = [1, 2, 3, -1, 0, 4];
    const out = await engine
      .compile((ops, t: Record<string, Tensor>) => ({ s: ops.softmax(t['x']!, 0), l: ops.logSoftmax(t['x']!, 0) }))
      .run({ x: HostTensor.from(vals, [2, 3]) });
    for (let j = 0; j < 3; j++) {
      const [a, b] = [vals[j]!, vals[3 + j]!];
      const z = Math.log(Math.exp(a) + Math.exp(b));
      expect(out['s']!.data[j]!).toBeCloseTo(Math.exp(a - z), 6);
      expect(out['l']!.data[3 + j]!).toBeCloseTo(b - z, 5);
    }
  });

  it('reductions keep or drop axes', async () => {
    const x = HostTensor.from([1, 2, 3, 4, 5, 6], [2, 3]);
    const out = await engine
      .compile((ops, t: Record<string, Tensor>) => ({
        s: ops.sum(t['x']!),
        m: ops.mean(t['x']!, 1, true),
        mx: ops.max(t['x']!, [0]),
        mn: ops.min(t['x']!, -1),
      }))
      .run({ x });
    expect(out['s']!.shape).toEqual([]);
    expect(out['s']!.item()).toBe(21);
    expect(out['m']!.shape).toEqual([2, 1]);
    expect(arr(out['m']!)).toEqual([2, 5]);
    expect(arr(out['mx']!)).toEqual([4, 5, 6]);
    expect(arr(out['mn']!)).toEqual([1, 4]);
  });

  it('matmul broadcasts batch dims and transposes', async () => {
    const a = HostTensor.from([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2]);
    const b = HostTensor.from([1, 0, 2, 1], [2, 2]);
    const y = await run1(engine, { a, b }, (ops, t) => ops.matmul(t['a']!, t['b']!, false, true));
    // row r of batch n times b^T: [r0*1 + r1*0, r0*2 + r1*1]
    expect(y.shape).toEqual([2, 2, 2]);
    expect(arr(y)).toEqual([1, 4, 3, 10, 5, 16, 7, 22]);
  });

  it('random ops are deterministic per seed and have the requested moments', async () => {
    const f = engine.compile((ops) => ({ n: ops.randomNormal([4096], 11, 1, 2), u: ops.randomUniform([4096], 11, -1, 3), n2: ops.randomNormal([4096], 12) }));
    const a = await f.run({});
    const b = await f.run({});
    expect(arr(a['n']!)).toEqual(arr(b['n']!));
    expect(arr(a['n']!)).not.toEqual(arr(a['n2']!));
    const mean = (h: HostTensor): number => arr(h).reduce((s, v) => s + v, 0) / h.size;
    const std = (h: HostTensor): number => Math.sqrt(arr(h).reduce((s, v) => s + (v - mean(h)) ** 2, 0) / h.size);
    expect(Math.abs(mean(a['n']!) - 1)).toBeLessThan(0.15);
    expect(Math.abs(std(a['n']!) - 2)).toBeLessThan(0.15);
    expect(Math.min(...arr(a['u']!))).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...arr(a['u']!))).toBeLessThan(3);
    expect(Math.abs(mean(a['u']!) - 1)).toBeLessThan(0.1);
  });

  it('elementwise basics, casts, clip, range and constant', async () => {
    const out = await engine
      .compile((ops, t: Record<string, Tensor>) => {
        const x = t['x']!;
        return {
          lr: ops.leakyRelu(x, 0.1),
          cl: ops.clip(x, -1, 1),
          sg: ops.sign(x),
          fl: ops.floor(x),
          ci: ops.cast(x, 'int32'),
          r: ops.range(4),
          k: ops.constant([1, 2, 3, 4], [2, 2], 'int32'),
          mx: ops.maximum(x, 0),
          pw: ops.pow(ops.abs(x), 2),
          ln: ops.logicalNot(ops.logicalAnd(ops.less(x, 1), ops.greaterEqual(x, -1))),
        };
      })
      .run({ x: HostTensor.from([-2.5, -0.5, 0.5, 3], [4]) });
    expect(arr(out['lr']!)).toEqual([-0.25, -0.05000000074505806, 0.5, 3]);
    expect(arr(out['cl']!)).toEqual([-1, -0.5, 0.5, 1]);
    expect(arr(out['sg']!)).toEqual([-1, -1, 1, 1]);
    expect(arr(out['fl']!)).toEqual([-3, -1, 0, 3]);
    expect(out['ci']!.dtype).toBe('int32');
    expect(arr(out['ci']!)).toEqual([-2, 0, 0, 3]);
    expect(out['r']!.dtype).toBe('int32');
    expect(arr(out['r']!)).toEqual([0, 1, 2, 3]);
    expect(out['k']!.dtype).toBe('int32');
    expect(arr(out['mx']!)).toEqual([0, 0, 0.5, 3]);
    expect(arr(out['pw']!)).toEqual([6.25, 0.25, 0.25, 9]);
    expect(arr(out['ln']!)).toEqual([1, 0, 0, 1]);
  });

  it('rejects tensors that are not tfjs tensors with a typed error', async () => {
    const fake = { shape: [1], dtype: 'float32' } as Tensor;
    await expect(run1(engine, {}, (ops) => ops.exp(fake))).rejects.toThrow(/tfjs engine/);
  });
});
