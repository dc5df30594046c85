/**
 * Test helpers for the onnx engine tests: seeded random host tensors, a
 * central finite-difference gradient checker, and plain-JS reference
 * implementations of convolution, transposed convolution and pooling.
 */
import type { Engine, Inputs } from '../src/engine/engine.js';
import type { Ops, Tensor } from '../src/ops.js';
import { HostTensor, sizeOf, type Shape } from '../src/tensor.js';
import { Rng } from '../src/util/rng.js';

export function rand(shape: Shape, seed: number, lo = -1, hi = 1): HostTensor<'float32'> {
  return HostTensor.from(new Rng(seed).fillUniform(new Float32Array(sizeOf(shape)), lo, hi), shape);
}

/** Uniform values whose magnitude is at least `gap` (keeps FD away from kinks at 0). */
export function randAwayFromZero(shape: Shape, seed: number, gap = 0.1): HostTensor<'float32'> {
  const rng = new Rng(seed);
  const d = new Float32Array(sizeOf(shape));
  for (let i = 0; i < d.length; i++) d[i] = (rng.next() < 0.5 ? -1 : 1) * rng.uniform(gap, 1);
  return HostTensor.from(d, shape);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}


export type TestFn = (o: Ops, x: Record<string, Tensor>) => Tensor;

/**
 * Checks the engine's gradient of sum(f(x) * r) (r random) w.r.t. every
 * float input named in `wrt` against central finite differences.
 */
export async function gradCheck(
  engine: Engine,
  f: TestFn,
  inputs: Record<string, HostTensor>,
  wrt: readonly string[] = Object.keys(inputs),
  { eps = 1e-2, tol = 1e-2, seed = 99 } = {},
): Promise<void> {
  const fwd = engine.compile<Inputs, { y: Tensor }>((o, x) => ({ y: f(o, x) }));
  const y = (await fwd.run(inputs)).y;
  const r = rand(y.shape, seed);
  const lossFn = (o: Ops, x: Record<string, Tensor>): { loss: Tensor } => {
    const out = f(o, x);
    return { loss: o.sum(o.mul(o.cast(out, 'float32'), x.__r!)) };
  };
  const all = { ...inputs, __r: r };
  const vg = engine.valueAndGrad<Inputs, { loss: Tensor }>(lossFn, { inputs: wrt });
  const ana = await vg.run(all);
  const lossOnly = engine.compile<Inputs, { loss: Tensor }>(lossFn);
  for (const name of wrt) {
    const x = inputs[name]!;
    const g = ana[`grad:${name}`]!;
    expect(g.shape).toEqual(x.shape);
    const num = new Float32Array(x.size);
    for (let i = 0; i < x.size; i++) {
      const xp = x.clone();
      const xm = x.clone();
      xp.data[i] = x.data[i]! + eps;
      xm.data[i] = x.data[i]! - eps;
      const lp = (await lossOnly.run({ ...all, [name]: xp })).loss.item();
      const lm = (await lossOnly.run({ ...all, [name]: xm })).loss.item();
      num[i] = (lp - lm) / (2 * eps);
    }
    const scale = Math.max(1e-3, ...Array.from(num, Math.abs));
    const err = maxAbsDiff(g.data, num) / scale;
    if (err > tol) {
      throw new Error(
        `gradient of '${name}' differs from finite differences: rel err ${err}\n ana ${Array.from(g.data).slice(0, 10)}\n num ${Array.from(num).slice(0, 10)}`,
      );
    }
  }
}

// ---- plain-JS references (channels-first, PyTorch semantics) ---------------

export interface RefConv {
  stride: number[];
  pads: [number, number][];
  dilation: number[];
  groups: number;
}

function idx(shape: readonly number[], coords: readonly number[]): number {
  let k = 0;
  for (let i = 0; i < shape.length; i++) k = k * shape[i]! + coords[i]!;
  return k;
}

function* grid(shape: readonly number[]): Generator<number[]> {
  const n = sizeOf(shape);
  for (let f = 0; f < n; f++) {
    const c = new Array<number>(shape.length);
    let r = f;
    for (let i = shape.length - 1; i >= 0; i--) {
      c[i] = r % shape[i]!;
      r = Math.floor(r / shape[i]!);
    }
    yield c;
  }
}

export function refConv(x: HostTensor, w: HostTensor, b: HostTensor | undefined, p: RefConv): HostTensor {
  const [n, cin] = x.shape as [number, number];
  const [cout, cinG] = w.shape as [number, number];
  const ks = w.shape.slice(2);
  const xs = x.shape.slice(2);
  const os = xs.map((d, i) => Math.floor((d + p.pads[i]![0] + p.pads[i]![1] - (ks[i]! - 1) * p.dilation[i]! - 1) / p.stride[i]!) + 1);
  const out = new Float32Array(n * cout * sizeOf(os));
  const coutG = cout / p.groups;
  void cin;
  for (const [bi, co, ...o] of grid([n, cout, ...os])) {
    const grp = Math.floor(co! / coutG);
    let s = b ? b.data[co!]! : 0;
    for (let ci = 0; ci < cinG; ci++) {
      for (const k of grid(ks)) {
        const pos = o.map((oi, i) => oi * p.stride[i]! + k[i]! * p.dilation[i]! - p.pads[i]![0]);
        if (pos.some((q, i) => q < 0 || q >= xs[i]!)) continue;
        s += x.data[idx(x.shape, [bi!, grp * cinG + ci, ...pos])]! * w.data[idx(w.shape, [co!, ci, ...k])]!;
      }
    }
    out[idx([n, cout, ...os], [bi!, co!, ...o])] = s;
  }
  return HostTensor.from(out, [n, cout, ...os]);
}

export function refConvTranspose(x: HostTensor, w: HostTensor, p: RefConv & { outputPadding: number[] }): HostTensor {
  const [n, cin] = x.shape as [number, number];
  const coutG = w.shape[1]!;
  const cout = coutG * p.groups;
  const cinG = cin / p.groups;
  const ks = w.shape.slice(2);
  const xs = x.shape.slice(2);
  const os = xs.map((d, i) => (d - 1) * p.stride[i]! + (ks[i]! - 1) * p.dilation[i]! + 1 - p.pads[i]![0] - p.pads[i]![1] + p.outputPadding[i]!);
  const out = new Float32Array(n * cout * sizeOf(os));
  for (const [bi, ci, ...xi] of grid([n, cin, ...xs])) {
    const grp = Math.floor(ci! / cinG);
    for (let co = 0; co < coutG; co++) {
      for (const k of grid(ks)) {
        const pos = xi.map((q, i) => q * p.stride[i]! + k[i]! * p.dilation[i]! - p.pads[i]![0]);
        if (pos.some((q, i) => q < 0 || q >= os[i]!)) continue;
        out[idx([n, cout, ...os], [bi!, grp * coutG + co, ...pos])] +=
          x.data[idx(x.shape, [bi!, ci!, ...xi])]! * w.data[idx(w.shape, [ci!, co, ...k])]!;
      }
    }
  }
  return HostTensor.from(out, [n, cout, ...os]);
}

/** PyTorch pooling: max ignores padding, avg divides by the padded window (count_include_pad). */
export function refPool(x: HostTensor, kind: 'max' | 'avg', k: number[], s: number[], pad: number[], ceil = false): HostTensor {
  const [n, c] = x.shape as [number, number];
  const xs = x.shape.slice(2);
  const os = xs.map((d, i) => {
    const span = d + 2 * pad[i]! - k[i]!;
    let o = (ceil ? Math.ceil(span / s[i]!) : Math.floor(span / s[i]!)) + 1;
    if (ceil && (o - 1) * s[i]! >= d + pad[i]!) o -= 1;
    return o;
  });
  const out = new Float32Array(n * c * sizeOf(os));
  for (const [bi, ci, ...o] of grid([n, c, ...os])) {
    let acc = kind === 'max' ? -Infinity : 0;
    let count = 1;
    for (const kk of grid(k)) {
      const pos = o.map((q, i) => q * s[i]! + kk[i]! - pad[i]!);
      if (pos.some((q, i) => q < 0 || q >= xs[i]!)) continue;
      const v = x.data[idx(x.shape, [bi!, ci!, ...pos])]!;
      acc = kind === 'max' ? Math.max(acc, v) : acc + v;
    }
    if (kind === 'avg') count = k.reduce((a, b) => a * b, 1);
    out[idx([n, c, ...os], [bi!, ci!, ...o])] = acc / count;
  }
  return HostTensor.from(out, [n, c, ...os]);
}

/** Runs `f` once on `engine` and returns its single output. */
export async function run1(engine: Engine, f: TestFn, inputs: Record<string, HostTensor>): Promise<HostTensor> {
  return (await engine.compile<Inputs, { y: Tensor }>((o, x) => ({ y: f(o, x) })).run(inputs)).y;
}
