/**
 * FrameGroupNorm: GroupNorm statistics per frame, over (C/G, H, W) and never
 * over T, checked value by value against a plain-JS reference (with a
 * non-trivial affine), and its gradient onnx against tfjs.
 */
import { HostTensor, Rng, type Engine, type Tensor } from '@zoo/core';
import { FrameGroupNorm } from '../src/frame-blocks.js';
import { ENGINE_NAMES, disposeEngines, makeEngine, maxAbs, maxAbsDiff, randn } from './engines.js';

afterAll(disposeEngines);

function reference(x: HostTensor, groups: number, weight: Float32Array, bias: Float32Array, eps: number): Float32Array {
  const [n, c, t, h, w] = x.shape as [number, number, number, number, number];
  const out = new Float32Array(x.data.length);
  const at = (b: number, ch: number, f: number, p: number): number => (((b * c + ch) * t + f) * h * w) + p;
  const cg = c / groups;
  for (let b = 0; b < n; b++) {
    for (let g = 0; g < groups; g++) {
      for (let f = 0; f < t; f++) {
        let sum = 0;
        let sq = 0;
        for (let ch = g * cg; ch < (g + 1) * cg; ch++) for (let p = 0; p < h * w; p++) sum += x.data[at(b, ch, f, p)]!;
        const mean = sum / (cg * h * w);
        for (let ch = g * cg; ch < (g + 1) * cg; ch++) for (let p = 0; p < h * w; p++) sq += (x.data[at(b, ch, f, p)]! - mean) ** 2;
        const inv = 1 / Math.sqrt(sq / (cg * h * w) + eps);
        for (let ch = g * cg; ch < (g + 1) * cg; ch++) {
          for (let p = 0; p < h * w; p++) out[at(b, ch, f, p)] = (x.data[at(b, ch, f, p)]! - mean) * inv * weight[ch]! + bias[ch]!;
        }
      }
    }
  }
  return out;
}

describe.each(ENGINE_NAMES)('FrameGroupNorm on %s', (name) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await makeEngine(name);
  });

  test('normalizes each (group, frame) over (C/G, H, W), then the per-channel affine', async () => {
    const rng = new Rng(5);
    const norm = new FrameGroupNorm(2, 6, { eps: 1e-5 });
    const weight = Float32Array.from({ length: 6 }, (_, i) => 0.5 + 0.25 * i);
    const bias = Float32Array.from({ length: 6 }, (_, i) => i * 0.1 - 0.2);
    norm.weight!.value = new HostTensor([6], weight, 'float32');
    norm.bias!.value = new HostTensor([6], bias, 'float32');
    // frames on different scales: a norm pooled over T would not match
    const x = randn(rng, [2, 6, 3, 2, 3]);
    for (let i = 0; i < x.data.length; i++) x.data[i] = x.data[i]! * (1 + Math.floor(i / 6) % 3) + (Math.floor(i / 6) % 3);
    const run = engine.compile<{ x: HostTensor }, { y: Tensor }>((ops, inp) => ({ y: norm.forward(ops, inp.x) }));
    const y = (await run.run({ x })).y;
    const want = reference(x, 2, weight, bias, 1e-5);
    expect(maxAbsDiff(y.data, want)).toBeLessThanOrEqual(1e-5 * Math.max(1, maxAbs(want)));
  });
});

test('FrameGroupNorm gradient: onnx = tfjs', async () => {
  const rng = new Rng(6);
  const x = randn(rng, [1, 4, 3, 2, 2]);
  const r = randn(rng, [1, 4, 3, 2, 2]);
  const grads: Float32Array[] = [];
  expect(ENGINE_NAMES.length).toBe(2);
  for (const name of ENGINE_NAMES) {
    const engine = await makeEngine(name);
    const norm = new FrameGroupNorm(2, 4);
    const f = engine.valueAndGrad(
      (ops, inp: Record<string, Tensor>) => ({ loss: ops.sum(ops.mul(ops.tanh(norm.forward(ops, inp['x']!)), inp['r']!)) }),
      { inputs: ['x'] },
    );
    grads.push(Float32Array.from((await f.run({ x, r }))['grad:x']!.data));
  }
  expect(maxAbs(grads[0]!)).toBeGreaterThan(1e-3);
  expect(maxAbsDiff(grads[0]!, grads[1]!)).toBeLessThanOrEqual(1e-5 * Math.max(1, maxAbs(grads[0]!)));
});
