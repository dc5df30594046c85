/**
 * Channels-first conv / convTranspose / pooling on the tfjs engine against
 * direct JS loops written from PyTorch's definitions, on both the wasm and
 * the pure-JS cpu backends; gradients against finite differences.
 */
import { HostTensor, Rng, createTfjsEngine, sizeOf, type Engine, type Ops, type Tensor } from '../src/index.js';
import { expectClose } from '../src/testing.js';

type Pair = [number, number];
const rng = new Rng(7);
const rand = (shape: number[]): HostTensor<'float32'> => new HostTensor(shape, rng.fillNormal(new Float32Array(sizeOf(shape))), 'float32');

/** Pads spatial dims to 3 so one loop nest serves 1-D, 2-D and 3-D. */
function to3<T>(v: T[], fill: T): T[] {
  return [...new Array<T>(3 - v.length).fill(fill), ...v];
}

interface ConvSpec { stride: number[]; pad: Pair[]; dil: number[]; groups: number }

function refConv(x: HostTensor, w: HostTensor, bias: Float32Array | undefined, s: ConvSpec): HostTensor {
  const r = x.shape.length - 2;
  const [N, C] = x.shape as [number, number];
  const [O, I] = w.shape as [number, number];
  const sp = to3(x.shape.slice(2), 1);
  const k = to3(w.shape.slice(2), 1);
  const st = to3(s.stride, 1);
  const dl = to3(s.dil, 1);
  const pd = to3<Pair>(s.pad, [0, 0]);
  const out = sp.map((n, i) => Math.floor((n + pd[i]![0] + pd[i]![1] - dl[i]! * (k[i]! - 1) - 1) / st[i]!) + 1);
  const y = new Float32Array(N * O * out[0]! * out[1]! * out[2]!);
  const opg = O / s.groups;
  let p = 0;
  for (let n = 0; n < N; n++)
    for (let o = 0; o < O; o++)
      for (let a = 0; a < out[0]!; a++)
        for (let b = 0; b < out[1]!; b++)
          for (let c = 0; c < out[2]!; c++) {
            let acc = bias ? bias[o]! : 0;
            const g = Math.floor(o / opg);
            for (let i = 0; i < I; i++)
              for (let ka = 0; ka < k[0]!; ka++)
                for (let kb = 0; kb < k[1]!; kb++)
                  for (let kc = 0; kc < k[2]!; kc++) {
                    const ia = a * st[0]! - pd[0]![0] + ka * dl[0]!;
                    const ib = b * st[1]! - pd[1]![0] + kb * dl[1]!;
                    const ic = c * st[2]! - pd[2]![0] + kc * dl[2]!;
                    if (ia < 0 || ib < 0 || ic < 0 || ia >= sp[0]! || ib >= sp[1]! || ic >= sp[2]!) continue;
                    const xi = (((n * C + g * I + i) * sp[0]! + ia) * sp[1]! + ib) * sp[2]! + ic;
                    const wi = (((o * I + i) * k[0]! + ka) * k[1]! + kb) * k[2]! + kc;
                    acc += x.data[xi]! * w.data[wi]!;
                  }
            y[p++] = acc;
          }
  return new HostTensor([N, O, ...out.slice(3 - r)], y, 'float32');
}

function refConvTranspose(x: HostTensor, w: HostTensor, bias: Float32Array | undefined, s: ConvSpec & { outPad: number[] }): HostTensor {
  const r = x.shape.length - 2;
  const [N, C] = x.shape as [number, number];
  const opg = w.shape[1]!;
  const O = opg * s.groups;
  const ipg = C / s.groups;
  const sp = to3(x.shape.slice(2), 1);
  const k = to3(w.shape.slice(2), 1);
  const st = to3(s.stride, 1);
  const dl = to3(s.dil, 1);
  const pd = to3<Pair>(s.pad, [0, 0]);
  const op = to3(s.outPad, 0);
  const out = sp.map((n, i) => (n - 1) * st[i]! - pd[i]![0] - pd[i]![1] + dl[i]! * (k[i]! - 1) + 1 + op[i]!);
  const y = new Float32Array(N * O * out[0]! * out[1]! * out[2]!);
  for (let n = 0; n < N; n++)
    for (let o = 0; o < O; o++) for (let j = 0; j < out[0]! * out[1]! * out[2]!; j++) y[(n * O + o) * out[0]! * out[1]! * out[2]! + j] = bias ? bias[o]! : 0;
  for (let n = 0; n < N; n++)
    for (let ci = 0; ci < C; ci++)
      for (let a = 0; a < sp[0]!; a++)
        for (let b = 0; b < sp[1]!; b++)
          for (let c = 0; c < sp[2]!; c++) {
            const xv = x.data[(((n * C + ci) * sp[0]! + a) * sp[1]! + b) * sp[2]! + c]!;
            const g = Math.floor(ci / ipg);
            for (let ol = 0; ol < opg; ol++)
              for (let ka = 0; ka < k[0]!; ka++)
                for (let kb = 0; kb < k[1]!; kb++)
                  for (let kc = 0; kc < k[2]!; kc++) {
                    const oa = a * st[0]! - pd[0]![0] + ka * dl[0]!;
                    const ob = b * st[1]! - pd[1]![0] + kb * dl[1]!;
                    const oc = c * st[2]! - pd[2]![0] + kc * dl[2]!;
                    if (oa < 0 || ob < 0 || oc < 0 || oa >= out[0]! || ob >= out[1]! || oc >= out[2]!) continue;
                    const o = g * opg + ol;
                    const wv = w.data[(((ci * opg + ol) * k[0]! + ka) * k[1]! + kb) * k[2]! + kc]!;
                    y[(((n * O + o) * out[0]! + oa) * out[1]! + ob) * out[2]! + oc]! += xv * wv;
                  }
          }
  return new HostTensor([N, O, ...out.slice(3 - r)], y, 'float32');
}

/** PyTorch pooling, count_include_pad=True, ceil_mode rules of ATen's pooling_output_shape. */
function refPool(kind: 'avg' | 'max', x: HostTensor, kernel: number[], stride: number[], pad: number[], ceil: boolean): HostTensor {
  const r = x.shape.length - 2;
  const [N, C] = x.shape as [number, number];
  const sp = to3(x.shape.slice(2), 1);
  const k = to3(kernel, 1);
  const st = to3(stride, 1);
  const pd = to3(pad, 0);
  const out = sp.map((n, i) => {
    const span = n + 2 * pd[i]! - k[i]!;
    let o = (ceil ? Math.ceil(span / st[i]!) : Math.floor(span / st[i]!)) + 1;
    if (ceil && (o - 1) * st[i]! >= n + pd[i]!) o--;
    return o;
  });
  const y: number[] = [];
  for (let n = 0; n < N; n++)
    for (let ch = 0; ch < C; ch++)
      for (let a = 0; a < out[0]!; a++)
        for (let b = 0; b < out[1]!; b++)
          for (let c = 0; c < out[2]!; c++) {
            const pos = [a, b, c];
            const lo = pos.map((q, i) => q * st[i]! - pd[i]!);
            const hi = lo.map((l, i) => Math.min(l + k[i]!, sp[i]! + pd[i]!));
            const divisor = hi.reduce((acc, h, i) => acc * (h - lo[i]!), 1);
            let sum = 0;
            let mx = -Infinity;
            for (let ia = Math.max(0, lo[0]!); ia < Math.min(hi[0]!, sp[0]!); ia++)
              for (let ib = Math.max(0, lo[1]!); ib < Math.min(hi[1]!, sp[1]!); ib++)
                for (let ic = Math.max(0, lo[2]!); ic < Math.min(hi[2]!, sp[2]!); ic++) {
                  const v = x.data[(((n * C + ch) * sp[0]! + ia) * sp[1]! + ib) * sp[2]! + ic]!;
                  sum += v;
                  mx = Math.max(mx, v);
                }
            y.push(kind === 'avg' ? sum / divisor : mx);
          }
  return new HostTensor([N, C, ...out.slice(3 - r)], Float32Array.from(y), 'float32');
}


async function run1(engine: Engine, inputs: Record<string, HostTensor>, f: (ops: Ops, t: Record<string, Tensor>) => Tensor): Promise<HostTensor> {
  const out = await engine.compile((ops, t: Record<string, Tensor>) => ({ y: f(ops, t) })).run(inputs);
  return out['y']!;
}

describe.each(['wasm', 'cpu'] as const)('tfjs conv layouts (%s)', (backend) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await createTfjsEngine({ backend });
  });
  afterAll(async () => engine.dispose());

  const convCases: [string, number[], number[], ConvSpec][] = [
    ['1d stride 2 pad 1', [2, 3, 9], [4, 3, 3], { stride: [2], pad: [[1, 1]], dil: [1], groups: 1 }],
    ['1d dilation 2 causal pad', [1, 2, 8], [3, 2, 3], { stride: [1], pad: [[4, 0]], dil: [2], groups: 1 }],
    ['2d stride 2 pad 1', [2, 3, 7, 6], [4, 3, 3, 3], { stride: [2, 2], pad: [[1, 1], [1, 1]], dil: [1, 1], groups: 1 }],
    ['2d asymmetric pad, stride and dilation together', [1, 2, 9, 8], [3, 2, 3, 2], { stride: [2, 1], pad: [[0, 2], [1, 0]], dil: [2, 2], groups: 1 }],
    ['2d grouped', [2, 4, 5, 5], [6, 2, 3, 3], { stride: [1, 1], pad: [[1, 1], [1, 1]], dil: [1, 1], groups: 2 }],
    ['2d depthwise multiplier 2', [1, 3, 6, 6], [6, 1, 3, 3], { stride: [2, 2], pad: [[1, 1], [1, 1]], dil: [1, 1], groups: 3 }],
    ['3d stride (1,2,2) causal time pad', [1, 2, 5, 6, 6], [3, 2, 3, 3, 3], { stride: [1, 2, 2], pad: [[2, 0], [1, 1], [1, 1]], dil: [1, 1, 1], groups: 1 }],
    ['3d stride 2 in time and space', [2, 2, 7, 5, 6], [3, 2, 3, 2, 3], { stride: [2, 2, 2], pad: [[2, 0], [0, 1], [1, 1]], dil: [1, 1, 1], groups: 1 }],
    ['3d grouped with dilation', [1, 4, 5, 5, 5], [4, 2, 2, 2, 2], { stride: [1, 1, 1], pad: [[1, 1], [0, 0], [1, 0]], dil: [2, 1, 2], groups: 2 }],
  ];
  it.each(convCases)('conv %s matches a direct loop', async (_name, xs, ws, spec) => {
    const x = rand(xs);
    const w = rand(ws);
    const b = rand([ws[0]!]);
    const got = await run1(engine, { x, w, b }, (ops, t) =>
      ops.conv(t['x']!, t['w']!, t['b'], { stride: spec.stride, padding: spec.pad, dilation: spec.dil, groups: spec.groups }),
    );
    expectClose(got, refConv(x, w, b.data, spec), { rtol: 1e-4, atol: 1e-4 });
  });

  const convTCases: [string, number[], number[], ConvSpec & { outPad: number[] }][] = [
    ['1d stride 2', [1, 3, 5], [3, 2, 4], { stride: [2], pad: [[1, 1]], dil: [1], groups: 1, outPad: [0] }],
    ['2d stride 2 pad 1 outputPadding 1', [2, 3, 4, 3], [3, 2, 3, 3], { stride: [2, 2], pad: [[1, 1], [1, 1]], dil: [1, 1], groups: 1, outPad: [1, 1] }],
    ['2d grouped, dilated', [1, 4, 3, 4], [4, 3, 2, 3], { stride: [1, 2], pad: [[0, 0], [1, 1]], dil: [2, 1], groups: 2, outPad: [0, 0] }],
    ['3d stride (1,2,2)', [1, 2, 3, 3, 3], [2, 3, 3, 4, 4], { stride: [1, 2, 2], pad: [[1, 1], [1, 1], [1, 1]], dil: [1, 1, 1], groups: 1, outPad: [0, 0, 0] }],
  ];
  it.each(convTCases)('convTranspose %s matches a direct loop', async (_name, xs, ws, spec) => {
    const x = rand(xs);
    const w = rand(ws);
    const b = rand([ws[1]! * spec.groups]);
    const got = await run1(engine, { x, w, b }, (ops, t) =>
      ops.convTranspose(t['x']!, t['w']!, t['b'], {
        stride: spec.stride,
        padding: spec.pad,
        dilation: spec.dil,
        groups: spec.groups,
        outputPadding: spec.outPad,
      }),
    );
    expectClose(got, refConvTranspose(x, w, b.data, spec), { rtol: 1e-4, atol: 1e-4 });
  });

  const poolCases: [string, 'avg' | 'max', number[], number[], number[], number[], boolean][] = [
    ['max 2d ceil (SqueezeNet)', 'max', [1, 2, 7, 7], [3, 3], [2, 2], [0, 0], true],
    ['avg 2d ceil with overhang', 'avg', [1, 2, 6, 5], [3, 3], [2, 2], [1, 1], true],
    ['avg 2d pad counted', 'avg', [2, 1, 5, 5], [3, 3], [2, 2], [1, 1], false],
    ['max 1d', 'max', [1, 3, 9], [3], [2], [1], false],
    ['avg 3d', 'avg', [1, 2, 4, 4, 4], [2, 2, 2], [2, 2, 2], [0, 0, 0], false],
    ['max 3d ceil', 'max', [1, 1, 5, 5, 5], [2, 2, 2], [2, 2, 2], [0, 0, 0], true],
  ];
  it.each(poolCases)('pool %s matches PyTorch semantics', async (_n, kind, xs, k, s, p, ceil) => {
    const x = rand(xs);
    const got = await run1(engine, { x }, (ops, t) =>
      (kind === 'avg' ? ops.avgPool : ops.maxPool).call(ops, t['x']!, { kernel: k, stride: s, padding: p, ceilMode: ceil }),
    );
    expectClose(got, refPool(kind, x, k, s, p, ceil), { rtol: 1e-4, atol: 1e-4 });
  });
});

/** Central finite differences of a scalar function of one float32 input, in float64 bookkeeping. */
async function fdCheck(engine: Engine, inputs: Record<string, HostTensor>, wrt: string, f: (ops: Ops, t: Record<string, Tensor>) => Tensor): Promise<void> {
  const vg = engine.valueAndGrad((ops, t: Record<string, Tensor>) => ({ loss: f(ops, t) }), { inputs: [wrt] });
  const grad = (await vg.run(inputs))[`grad:${wrt}`]!;
  const fn = engine.compile((ops, t: Record<string, Tensor>) => ({ loss: f(ops, t) }));
  const x = inputs[wrt]!;
  const h = 1e-2;
  // A handful of coordinates keeps the test cheap; each one is a full forward pair.
  for (const i of [0, Math.floor(x.size / 3), Math.floor((2 * x.size) / 3), x.size - 1]) {
    const plus = x.clone();
    const minus = x.clone();
    plus.data[i]! += h;
    minus.data[i]! -= h;
    const fp = (await fn.run({ ...inputs, [wrt]: plus }))['loss']!.item();
    const fm = (await fn.run({ ...inputs, [wrt]: minus }))['loss']!.item();
    const fd = (fp - fm) / (2 * h);
    expect(Math.abs(grad.data[i]! - fd)).toBeLessThan(2e-2 * (1 + Math.abs(fd)));
  }
}

describe.each(['wasm', 'cpu'] as const)('tfjs conv gradients (%s)', (backend) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await createTfjsEngine({ backend });
  });
  afterAll(async () => engine.dispose());
  // A fixed random projection makes the loss sensitive to every output element.
  const proj = (ops: Ops, y: Tensor, seed: number): Tensor => ops.sum(ops.mul(y, ops.randomNormal(y.shape, seed)));

  it('2d conv, input and weight (stride 2, dilation 2)', async () => {
    const inputs = { x: rand([1, 2, 6, 6]), w: rand([3, 2, 3, 3]) };
    const f = (ops: Ops, t: Record<string, Tensor>): Tensor => proj(ops, ops.conv(t['x']!, t['w']!, undefined, { stride: 2, padding: 2, dilation: 2 }), 1);
    await fdCheck(engine, inputs, 'x', f);
    await fdCheck(engine, inputs, 'w', f);
  });
  it('depthwise conv weight (wasm runs its backward kernel on cpu)', async () => {
    const inputs = { x: rand([1, 2, 5, 5]), w: rand([4, 1, 3, 3]) };
    const f = (ops: Ops, t: Record<string, Tensor>): Tensor => proj(ops, ops.conv(t['x']!, t['w']!, undefined, { padding: 1, groups: 2 }), 2);
    await fdCheck(engine, inputs, 'w', f);
    await fdCheck(engine, inputs, 'x', f);
  });
  it('3d conv input and weight (stride 2, causal time pad)', async () => {
    const inputs = { x: rand([1, 2, 5, 4, 5]), w: rand([2, 2, 3, 3, 2]) };
    const f = (ops: Ops, t: Record<string, Tensor>): Tensor =>
      proj(ops, ops.conv(t['x']!, t['w']!, undefined, { stride: [2, 2, 1], padding: [[2, 0], [1, 1], [0, 1]] }), 5);
    await fdCheck(engine, inputs, 'x', f);
    await fdCheck(engine, inputs, 'w', f);
  });
  it('3d convTranspose input and weight (gradient registered by the engine)', async () => {
    const inputs = { x: rand([1, 2, 2, 3, 3]), w: rand([2, 2, 3, 3, 3]) };
    const f = (ops: Ops, t: Record<string, Tensor>): Tensor => proj(ops, ops.convTranspose(t['x']!, t['w']!, undefined, { stride: [1, 2, 2], padding: 1 }), 3);
    await fdCheck(engine, inputs, 'x', f);
    await fdCheck(engine, inputs, 'w', f);
  });
  it('max pool (1d and 3d), strided slice and softmax', async () => {
    // Distinct, well-separated values so a +-h nudge never changes which element is the max.
    const perm = rng.shuffle([...Array(48).keys()]).map((v) => v * 0.1);
    const inputs = { x: HostTensor.from(perm, [1, 2, 2, 3, 4]) };
    const f = (ops: Ops, t: Record<string, Tensor>): Tensor => {
      const x = t['x']!;
      const p3 = ops.maxPool(x, { kernel: 2, stride: 2, ceilMode: true });
      const p1 = ops.maxPool(ops.reshape(x, [2, 3, 8]), { kernel: 3, stride: 2, padding: 1 });
      const s = ops.softmax(ops.slice(x, [0, 1], [100, 4], [3, 4], [2, 2]), 1);
      return ops.add(ops.add(proj(ops, p3, 6), proj(ops, p1, 7)), proj(ops, s, 8));
    };
    await fdCheck(engine, inputs, 'x', f);
  });
  it('ceil-mode avg pool and reflect/replicate pads', async () => {
    const inputs = { x: rand([1, 2, 5, 6]) };
    const f = (ops: Ops, t: Record<string, Tensor>): Tensor => {
      const p = ops.pad(t['x']!, [[0, 0], [0, 0], [2, 1], [1, 2]], 'reflect');
      const q = ops.pad(p, [[0, 0], [0, 0], [1, 0], [0, 2]], 'replicate');
      return proj(ops, ops.avgPool(q, { kernel: 3, stride: 2, padding: 1, ceilMode: true }), 4);
    };
    await fdCheck(engine, inputs, 'x', f);
  });
});
