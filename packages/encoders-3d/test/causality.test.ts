/**
 * MAGVIT-v2-style causality: latent frame j depends only on input frames
 * <= j*tc, so changing input frame t+1 leaves every latent j with j*tc <= t
 * unchanged; the decoder likewise never looks ahead.
 */
import { HostTensor, Rng, type Engine, type Tensor } from '@zoo/core';
import { Causal3dDecoder, Causal3dEncoder } from '../src/index.js';
import { ENGINE_NAMES, disposeEngines, makeEngine, maxAbs, maxAbsDiff, randn } from './engines.js';

afterAll(disposeEngines);

/** Frames [from, to) of a [B, C, T, H, W] tensor, flattened. */
function frames(x: HostTensor, from: number, to: number): Float32Array {
  const [b, c, t, h, w] = x.shape as [number, number, number, number, number];
  const out: number[] = [];
  for (let i = 0; i < b * c; i++) for (let f = from; f < to; f++) out.push(...x.data.subarray((i * t + f) * h * w, (i * t + f + 1) * h * w));
  expect(out.length).toBe(b * c * (to - from) * h * w);
  return Float32Array.from(out);
}

/** x with frame `f` replaced by fresh noise. */
function perturbFrame(x: HostTensor, f: number, rng: Rng): HostTensor<'float32'> {
  const [b, c, t, h, w] = x.shape as [number, number, number, number, number];
  const y = Float32Array.from(x.data);
  for (let i = 0; i < b * c; i++) for (let p = 0; p < h * w; p++) y[(i * t + f) * h * w + p] = rng.normal();
  return new HostTensor(x.shape, y, 'float32');
}

describe.each(ENGINE_NAMES)('causal3d causality on %s', (name) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await makeEngine(name);
  });

  test.each([
    ['tc=4, zero padding', { temporalCompression: 4, padMode: 'constant' }, 9],
    ['tc=4, replicate padding, attention', { temporalCompression: 4, padMode: 'replicate', attention: true }, 9],
    ['tc=1', { temporalCompression: 1 }, 4],
  ] as const)('encoder (%s): changing frame t+1 leaves latents of frames <= t unchanged', async (_l, extra, T) => {
    const enc = new Causal3dEncoder({ ch: 4, chMult: [1, 1, 2], numResBlocks: 1, zChannels: 3, normGroups: 2, ...extra });
    const run = engine.compile<{ x: HostTensor }, { z: Tensor }>((ops, inp) => ({ z: enc.forward(ops, inp.x) }));
    const rng = new Rng(3);
    const x = randn(rng, [1, 3, T, 8, 8]);
    const z0 = (await run.run({ x })).z;
    const tc = extra.temporalCompression;
    for (const t of tc === 1 ? [0, 2] : [0, 4]) {
      const z1 = (await run.run({ x: perturbFrame(x, t + 1, rng) })).z;
      const keep = Math.floor(t / tc) + 1; // latents j with j*tc <= t
      expect(maxAbsDiff(frames(z0, 0, keep), frames(z1, 0, keep))).toBeLessThanOrEqual(1e-6 * Math.max(1, maxAbs(z0.data)));
      // ...and the perturbation does reach the next latent (the test can fail)
      expect(maxAbsDiff(frames(z0, keep, keep + 1), frames(z1, keep, keep + 1))).toBeGreaterThan(1e-4);
    }
  });

  test('decoder: changing latent j leaves output frames before 1+(j-1)*tc unchanged', async () => {
    const tc = 4;
    const dec = new Causal3dDecoder({ ch: 4, chMult: [1, 1, 2], numResBlocks: 1, zChannels: 3, normGroups: 2, temporalCompression: tc });
    const run = engine.compile<{ z: HostTensor }, { y: Tensor }>((ops, inp) => ({ y: dec.forward(ops, inp.z) }));
    const rng = new Rng(4);
    const z = randn(rng, [1, 3, 3, 2, 2]);
    const y0 = (await run.run({ z })).y;
    expect(y0.shape).toEqual([1, 3, 9, 8, 8]);
    const y1 = (await run.run({ z: perturbFrame(z, 2, rng) })).y;
    // latent 2 covers output frames 5..8; frames 0..4 come from latents 0 and 1 only
    expect(maxAbsDiff(frames(y0, 0, 5), frames(y1, 0, 5))).toBeLessThanOrEqual(1e-6 * Math.max(1, maxAbs(y0.data)));
    expect(maxAbsDiff(frames(y0, 5, 9), frames(y1, 5, 9))).toBeGreaterThan(1e-4);
  });

  test('an image encodes like the first frame of a video that starts with it (replicate padding)', async () => {
    const enc = new Causal3dEncoder({ ch: 4, chMult: [1, 1, 2], numResBlocks: 1, zChannels: 3, normGroups: 2, padMode: 'replicate' });
    const run = engine.compile<{ x: HostTensor }, { z: Tensor }>((ops, inp) => ({ z: enc.forward(ops, inp.x) }));
    const rng = new Rng(5);
    const video = randn(rng, [1, 3, 5, 8, 8]);
    const image = new HostTensor([1, 3, 8, 8], frames(video, 0, 1), 'float32');
    const zi = (await run.run({ x: image })).z;
    const zv = (await run.run({ x: video })).z;
    expect(zi.shape).toEqual([1, 3, 2, 2]);
    expect(maxAbsDiff(zi.data, frames(zv, 0, 1))).toBeLessThanOrEqual(1e-5 * Math.max(1, maxAbs(zi.data)));
  });
});
