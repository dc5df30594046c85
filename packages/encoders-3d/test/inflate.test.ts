import { HostTensor, Rng, type Engine, type Tensor } from '@zoo/core';
import {
  Conv2dDecoder,
  Conv2dEncoder,
  InflationError,
  Inflated3dDecoder,
  Inflated3dEncoder,
  inflateKernel,
} from '../src/index.js';
import { ENGINE_NAMES, disposeEngines, makeEngine, maxAbs, maxAbsDiff, randn } from './engines.js';

afterAll(disposeEngines);

const shared = { ch: 4, chMult: [1, 2], numResBlocks: 1, zChannels: 3, normGroups: 2, attention: true };

/** [B, C, H, W] repeated T times along a new time axis. */
function repeatInTime(x: HostTensor, t: number): HostTensor<'float32'> {
  const [b, c, h, w] = x.shape as [number, number, number, number];
  const out = new Float32Array(b * c * t * h * w);
  for (let i = 0; i < b * c; i++) for (let f = 0; f < t; f++) out.set(x.data.subarray(i * h * w, (i + 1) * h * w), (i * t + f) * h * w);
  return new HostTensor([b, c, t, h, w], out, 'float32');
}

async function run1(engine: Engine, m: { forward(ops: never, x: Tensor): Tensor }, x: HostTensor): Promise<HostTensor> {
  return (await engine.compile<{ x: HostTensor }, { y: Tensor }>((ops, inp) => ({ y: m.forward(ops as never, inp.x) })).run({ x })).y;
}

describe('inflateKernel / inflateFrom2d on the host', () => {
  test("'central' puts the 2-D kernel at the temporal centre; 'average' spreads it so the time sum is the 2-D kernel", () => {
    const w = randn(new Rng(1), [2, 3, 3, 3]);
    const c = inflateKernel(w, 3, 'central');
    const a = inflateKernel(w, 3, 'average');
    expect(c.shape).toEqual([2, 3, 3, 3, 3]);
    for (let oi = 0; oi < 6; oi++) {
      for (let t = 0; t < 3; t++) {
        for (let p = 0; p < 9; p++) {
          const v = c.data[(oi * 3 + t) * 9 + p]!;
          expect(v).toBe(t === 1 ? w.data[oi * 9 + p]! : 0);
          expect(a.data[(oi * 3 + t) * 9 + p]!).toBeCloseTo(w.data[oi * 9 + p]! / 3, 6);
        }
      }
    }
  });

  test('mismatched architectures are rejected with the differing keys', () => {
    const enc2d = new Conv2dEncoder(shared);
    const enc3d = new Inflated3dEncoder({ ...shared, attention: false, temporalCompression: 2 });
    expect(() => enc3d.inflateFrom2d(enc2d.stateDict())).toThrow(InflationError);
    expect(() => enc3d.inflateFrom2d(enc2d.stateDict())).toThrow(/attn/);
  });
});

describe.each(ENGINE_NAMES)('inflateFrom2d on %s', (name) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await makeEngine(name);
  });

  test("'central' on a constant-in-time clip reproduces the 2-D encoder and decoder per frame", async () => {
    const enc2d = new Conv2dEncoder({ ...shared, seed: 7 });
    const dec2d = new Conv2dDecoder({ ...shared, seed: 7 });
    const enc3d = new Inflated3dEncoder({ ...shared, temporalCompression: 2, seed: 1 }).inflateFrom2d(enc2d.stateDict(), 'central');
    const dec3d = new Inflated3dDecoder({ ...shared, temporalCompression: 2, seed: 1 }).inflateFrom2d(dec2d.stateDict(), 'central');
    const rng = new Rng(2);
    const frame = randn(rng, [1, 3, 8, 8]);
    const z2d = await run1(engine, enc2d, frame);
    const z3d = await run1(engine, enc3d, repeatInTime(frame, 4));
    expect(z3d.shape).toEqual([1, 3, 2, 4, 4]);
    const want = repeatInTime(z2d, 2);
    expect(maxAbsDiff(z3d.data, want.data)).toBeLessThanOrEqual(1e-5 * Math.max(1, maxAbs(want.data)));
    // decoder: a constant-in-time latent decodes to the 2-D decoding of each frame
    const y2d = await run1(engine, dec2d, z2d);
    const y3d = await run1(engine, dec3d, repeatInTime(z2d, 2));
    const wantY = repeatInTime(y2d, 4);
    expect(y3d.shape).toEqual(wantY.shape);
    expect(maxAbsDiff(y3d.data, wantY.data)).toBeLessThanOrEqual(1e-5 * Math.max(1, maxAbs(wantY.data)));
    // and the inflated weights were actually used: a random 3-D model differs
    const fresh = await run1(engine, new Inflated3dEncoder({ ...shared, temporalCompression: 2, seed: 1 }), repeatInTime(frame, 4));
    expect(maxAbsDiff(fresh.data, want.data)).toBeGreaterThan(1e-3);
  });
});
