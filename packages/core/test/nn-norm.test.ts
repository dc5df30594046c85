import {
  GELU,
  GroupNorm,
  HostTensor,
  LayerNorm,
  LeakyReLU,
  Linear,
  ReLU,
  Rng,
  Sequential,
  ShapeError,
  SiLU,
  type Engine,
  type Tensor,
} from '../src/index.js';
import { ENGINE_NAMES, disposeEngines, makeEngine } from './nn-engines.js';
import { erfRef, mapRef, normalizeGroupsRef, randn } from './nn-reference.js';
import { expectClose, peakTol } from '../src/testing.js';

async function apply(engine: Engine, block: { forward(ops: never, x: Tensor): Tensor }, x: HostTensor): Promise<HostTensor> {
  const f = engine.compile<{ x: HostTensor }, { y: Tensor }>((ops, inp) => ({ y: block.forward(ops as never, inp.x) }));
  return (await f.run({ x })).y;
}

/** Non-trivial affine parameters so the test sees them applied per channel. */
function randomizeAffine(m: GroupNorm | LayerNorm, rng: Rng): void {
  m.weight!.value = randn(rng, m.weight!.shape);
  m.bias!.value = randn(rng, m.bias!.shape);
}

afterAll(disposeEngines);

describe('norm/linear keys and shape checks (engine-free)', () => {
  test('PyTorch keys and defaults', () => {
    const gn = new GroupNorm(2, 4);
    expect(Object.keys(gn.stateDict()).sort()).toEqual(['bias', 'weight']);
    expect(Array.from(gn.weight!.value.data)).toEqual([1, 1, 1, 1]);
    expect(gn.eps).toBe(1e-5);
    const seq = new Sequential(new Linear(3, 4, { rng: new Rng(0) }), new SiLU(), new Linear(4, 2, { rng: new Rng(1) }));
    expect(Object.keys(seq.stateDict()).sort()).toEqual(['0.bias', '0.weight', '2.bias', '2.weight']);
    const lin = new Linear(3, 4, { rng: new Rng(0) });
    expect(lin.weight.shape).toEqual([4, 3]);
    for (const v of lin.weight.value.data) expect(Math.abs(v)).toBeLessThanOrEqual(1 / Math.sqrt(3));
  });

  test('bad shapes throw ShapeError with module, expected and got', () => {
    const fake = (shape: number[]) => ({ shape, dtype: 'float32' as const });
    expect(() => new GroupNorm(2, 4).forward({} as never, fake([2, 3, 5]))).toThrow(ShapeError);
    expect(() => new LayerNorm([4, 5]).forward({} as never, fake([2, 5, 4]))).toThrow(/LayerNorm.*\[2, 5, 4\]/);
    expect(() => new Linear(3, 4).forward({} as never, fake([2, 4]))).toThrow(/Linear\(3->4\)/);
    expect(() => new GroupNorm(3, 4)).toThrow(/divisible/);
  });
});

describe.each(ENGINE_NAMES)('norms, linear and activations on %s', (name) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await makeEngine(name);
  });

  test('GroupNorm matches per-group normalization with biased variance, then affine', async () => {
    const rng = new Rng(7);
    const gn = new GroupNorm(2, 6, { eps: 1e-6 });
    randomizeAffine(gn, rng);
    const x = randn(rng, [2, 6, 3, 4], 2);
    const norm = normalizeGroupsRef(x.data, 3 * 12, 1e-6);
    const want = Float32Array.from(norm, (v, i) => {
      const c = Math.floor(i / 12) % 6;
      return v * gn.weight!.value.data[c]! + gn.bias!.value.data[c]!;
    });
    expectClose(await apply(engine, gn, x), { shape: x.shape, data: want }, peakTol(1e-5));
    // 5-D input (video): statistics over C/G x T x H x W
    const x5 = randn(rng, [1, 6, 2, 2, 3]);
    const n5 = normalizeGroupsRef(x5.data, 3 * 12, 1e-6);
    const want5 = Float32Array.from(n5, (v, i) => {
      const c = Math.floor(i / 12) % 6;
      return v * gn.weight!.value.data[c]! + gn.bias!.value.data[c]!;
    });
    expectClose(await apply(engine, gn, x5), { shape: x5.shape, data: want5 }, peakTol(1e-5));
  });

  test('LayerNorm over the trailing dims', async () => {
    const rng = new Rng(8);
    const ln = new LayerNorm([2, 3]);
    randomizeAffine(ln, rng);
    const x = randn(rng, [4, 2, 3]);
    const norm = normalizeGroupsRef(x.data, 6, 1e-5);
    const want = Float32Array.from(norm, (v, i) => v * ln.weight!.value.data[i % 6]! + ln.bias!.value.data[i % 6]!);
    expectClose(await apply(engine, ln, x), { shape: x.shape, data: want }, peakTol(1e-5));
  });

  test('Linear on [..., in] matches x Wᵀ + b', async () => {
    const rng = new Rng(9);
    const lin = new Linear(3, 2, { rng });
    const x = randn(rng, [2, 2, 3]);
    const w = lin.weight.value.data;
    const b = lin.bias!.value.data;
    const want = new Float32Array(8);
    for (let r = 0; r < 4; r++) for (let o = 0; o < 2; o++) {
      let acc = b[o]!;
      for (let i = 0; i < 3; i++) acc += x.data[r * 3 + i]! * w[o * 3 + i]!;
      want[r * 2 + o] = acc;
    }
    expectClose(await apply(engine, lin, x), { shape: [2, 2, 2], data: want }, peakTol(1e-5));
  });

  test('SiLU, exact GELU, ReLU, LeakyReLU match their definitions', async () => {
    const x = HostTensor.from([-4, -1.5, -0.3, 0, 0.2, 0.7, 1.5, 3.9], [2, 4]);
    expectClose(await apply(engine, new SiLU(), x), mapRef(x, (v) => v / (1 + Math.exp(-v))), peakTol(1e-5));
    expectClose(await apply(engine, new GELU(), x), mapRef(x, (v) => 0.5 * v * (1 + erfRef(v / Math.SQRT2))), peakTol(1e-5));
    expectClose(await apply(engine, new ReLU(), x), mapRef(x, (v) => Math.max(v, 0)), peakTol(1e-5));
    expectClose(await apply(engine, new LeakyReLU(0.2), x), mapRef(x, (v) => (v > 0 ? v : 0.2 * v)), peakTol(1e-5));
  });
});
