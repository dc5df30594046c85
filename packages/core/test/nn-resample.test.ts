import {
  Downsample,
  HostTensor,
  Rng,
  SpatialAttention,
  Upsample,
  avgPoolDownsample,
  depthToSpace2d,
  depthToSpace3d,
  sizeOf,
  upsampleNearest,
  type Engine,
  type Ops,
  type Tensor,
} from '../src/index.js';
import { ENGINE_NAMES, disposeEngines, makeEngine } from './nn-engines.js';
import { convRef, normalizeGroupsRef, padRef, randn } from './nn-reference.js';
import { expectClose, peakTol } from '../src/testing.js';

async function applyFn(engine: Engine, fn: (ops: Ops, x: Tensor) => Tensor, x: HostTensor): Promise<HostTensor> {
  const f = engine.compile<{ x: HostTensor }, { y: Tensor }>((ops, inp) => ({ y: fn(ops, inp.x) }));
  return (await f.run({ x })).y;
}

/** Builds a tensor of `shape` whose value at each index is f(index). */
function tabulate(shape: number[], f: (idx: number[]) => number): HostTensor<'float32'> {
  const out = new Float32Array(sizeOf(shape));
  const idx = new Array<number>(shape.length).fill(0);
  for (let flat = 0; flat < out.length; flat++) {
    let rem = flat;
    for (let a = shape.length - 1; a >= 0; a--) {
      idx[a] = rem % shape[a]!;
      rem = Math.floor(rem / shape[a]!);
    }
    out[flat] = f(idx);
  }
  return new HostTensor(shape, out, 'float32');
}
const at = (x: HostTensor, idx: number[]) => x.data[idx.reduce((acc, v, i) => acc * x.shape[i]! + v, 0)]!;

afterAll(disposeEngines);

describe.each(ENGINE_NAMES)('resampling and attention on %s', (name) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await makeEngine(name);
  });

  test('upsampleNearest repeats each element per spatial dim (1-D, 2-D, 3-D)', async () => {
    const rng = new Rng(1);
    const x2 = randn(rng, [1, 2, 2, 3]);
    const want2 = tabulate([1, 2, 4, 9], ([n, c, h, w]) => at(x2, [n!, c!, Math.floor(h! / 2), Math.floor(w! / 3)]));
    expectClose(await applyFn(engine, (o, x) => upsampleNearest(o, x, [2, 3]), x2), want2, { rtol: 0, atol: 0 });
    const x3 = randn(rng, [1, 1, 2, 2, 2]);
    const want3 = tabulate([1, 1, 2, 4, 4], ([n, c, t, h, w]) => at(x3, [n!, c!, t!, h! >> 1, w! >> 1]));
    expectClose(await applyFn(engine, (o, x) => upsampleNearest(o, x, [1, 2, 2]), x3), want3, { rtol: 0, atol: 0 });
    const x1 = randn(rng, [2, 1, 3]);
    const want1 = tabulate([2, 1, 6], ([n, c, l]) => at(x1, [n!, c!, l! >> 1]));
    expectClose(await applyFn(engine, (o, x) => upsampleNearest(o, x, 2), x1), want1, { rtol: 0, atol: 0 });
  });

  test('depthToSpace2d is PixelShuffle; depthToSpace3d is b (c pt ph pw) t h w -> b c (t pt) (h ph) (w pw)', async () => {
    const rng = new Rng(2);
    const x = randn(rng, [2, 8, 2, 3]);
    const want = tabulate([2, 2, 4, 6], ([n, c, h, w]) => at(x, [n!, c! * 4 + (h! % 2) * 2 + (w! % 2), h! >> 1, w! >> 1]));
    expectClose(await applyFn(engine, (o, t) => depthToSpace2d(o, t, 2), x), want, { rtol: 0, atol: 0 });
    const xr3 = randn(rng, [1, 18, 2, 3]);
    const wantR3 = tabulate([1, 2, 6, 9], ([n, c, h, w]) => at(xr3, [n!, c! * 9 + (h! % 3) * 3 + (w! % 3), Math.floor(h! / 3), Math.floor(w! / 3)]));
    expectClose(await applyFn(engine, (o, t) => depthToSpace2d(o, t, 3), xr3), wantR3, { rtol: 0, atol: 0 });
    const x3 = randn(rng, [1, 16, 2, 2, 3]);
    const want3 = tabulate([1, 2, 4, 4, 6], ([n, c, t, h, w]) =>
      at(x3, [n!, ((c! * 2 + (t! % 2)) * 2 + (h! % 2)) * 2 + (w! % 2), t! >> 1, h! >> 1, w! >> 1]),
    );
    expectClose(await applyFn(engine, (o, t) => depthToSpace3d(o, t, 2), x3), want3, { rtol: 0, atol: 0 });
    const wantT = tabulate([1, 8, 4, 2, 3], ([n, c, t, h, w]) => at(x3, [n!, c! * 2 + (t! % 2), t! >> 1, h!, w!]));
    expectClose(await applyFn(engine, (o, t) => depthToSpace3d(o, t, [2, 1, 1]), x3), wantT, { rtol: 0, atol: 0 });
  });

  test('avgPoolDownsample averages non-overlapping blocks', async () => {
    const rng = new Rng(3);
    const x = randn(rng, [1, 2, 2, 4, 4]);
    const want = tabulate([1, 2, 1, 2, 2], ([n, c, t, h, w]) => {
      let s = 0;
      for (let a = 0; a < 2; a++) for (let b = 0; b < 2; b++) for (let d = 0; d < 2; d++) s += at(x, [n!, c!, 2 * t! + a, 2 * h! + b, 2 * w! + d]);
      return s / 8;
    });
    expectClose(await applyFn(engine, (o, t) => avgPoolDownsample(o, t, 2), x), want, peakTol(1e-5));
  });

  test('Downsample (taming pad (0,1) + stride-2 conv) and Upsample (nearest + conv)', async () => {
    const rng = new Rng(4);
    const down = new Downsample(2, 3, { factor: [1, 2, 2], rng });
    const x = randn(rng, [1, 2, 3, 4, 4]);
    const padded = padRef(x, [[0, 0], [0, 0], [1, 1], [0, 1], [0, 1]], 'constant');
    const conv = down.conv!;
    expectClose(await applyFn(engine, (o, t) => down.forward(o, t), x), convRef(padded, conv.weight.value, conv.bias!.value, { stride: [1, 2, 2] }), peakTol(1e-5));
    const up = new Upsample(2, 2, { rng });
    const x2 = randn(rng, [1, 2, 2, 3]);
    const nearest = tabulate([1, 2, 4, 6], ([n, c, h, w]) => at(x2, [n!, c!, h! >> 1, w! >> 1]));
    const uc = up.conv!;
    expectClose(await applyFn(engine, (o, t) => up.forward(o, t), x2), convRef(nearest, uc.weight.value, uc.bias!.value, { pads: [[1, 1], [1, 1]] }), peakTol(1e-5));
  });

  test.each([1, 2])('SpatialAttention (%i heads) matches softmax(q kᵀ/√d) v over spatial tokens', async (heads) => {
    const rng = new Rng(5 + heads);
    const C = 4;
    const attn = new SpatialAttention(C, 2, { heads, normGroups: 2, rng });
    // Naming the tree gives each variable its unique dotted key (what the onnx tracer names inputs by).
    expect(Object.keys(attn.stateDict()).sort()).toEqual(
      ['k.bias', 'k.weight', 'norm.bias', 'norm.weight', 'proj_out.bias', 'proj_out.weight', 'q.bias', 'q.weight', 'v.bias', 'v.weight'],
    );
    const x = randn(rng, [1, C, 2, 3]);
    const N = 6;
    const hn = normalizeGroupsRef(x.data, 2 * N, 1e-6);
    const proj = (m: { weight: { value: HostTensor }; bias?: { value: HostTensor } | undefined }, src: Float32Array) => {
      const out = new Float32Array(C * N);
      for (let o = 0; o < C; o++) for (let t = 0; t < N; t++) {
        let acc = m.bias!.value.data[o]!;
        for (let i = 0; i < C; i++) acc += m.weight.value.data[o * C + i]! * src[i * N + t]!;
        out[o * N + t] = acc;
      }
      return out;
    };
    const q = proj(attn.q, hn), k = proj(attn.k, hn), v = proj(attn.v, hn);
    const dh = C / heads;
    const mixed = new Float32Array(C * N);
    for (let h = 0; h < heads; h++) for (let i = 0; i < N; i++) {
      const logits = Array.from({ length: N }, (_, j) => {
        let s = 0;
        for (let d = 0; d < dh; d++) s += q[(h * dh + d) * N + i]! * k[(h * dh + d) * N + j]!;
        return s / Math.sqrt(dh);
      });
      const mx = Math.max(...logits);
      const e = logits.map((l) => Math.exp(l - mx));
      const z = e.reduce((a, b) => a + b, 0);
      for (let d = 0; d < dh; d++) {
        let acc = 0;
        for (let j = 0; j < N; j++) acc += (e[j]! / z) * v[(h * dh + d) * N + j]!;
        mixed[(h * dh + d) * N + i] = acc;
      }
    }
    const out = proj(attn.proj_out, mixed).map((val, i) => val + x.data[i]!);
    expectClose(await applyFn(engine, (o, t) => attn.forward(o, t), x), { shape: x.shape, data: out }, peakTol(1e-5));
  });
});
