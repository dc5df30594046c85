import { HostTensor, Rng, ShapeError, create, type Engine, type Tensor } from '@zoo/core';
import { FrameDiscriminator, PatchGAN, StyleGan3dDiscriminator, downsample2x } from '../src/index.js';
import { ENGINES, expectClose, makeEngine } from './helpers.js';

function random(shape: number[], seed: number): HostTensor<'float32'> {
  const n = shape.reduce((a, b) => a * b, 1);
  return new HostTensor(shape, new Rng(seed).fillNormal(new Float32Array(n)), 'float32');
}

/** TF 'SAME' 2x2x2 average pool over T, H, W, averaging only in-range cells (MAGVIT's downsample). */
function referenceDownsample(x: HostTensor): HostTensor<'float32'> {
  const [n, c, t, h, w] = x.shape as [number, number, number, number, number];
  const [to, ho, wo] = [t, h, w].map((d) => Math.ceil(d / 2)) as [number, number, number];
  const out = new Float32Array(n * c * to * ho * wo);
  let o = 0;
  for (let b = 0; b < n * c; b++)
    for (let i = 0; i < to; i++)
      for (let j = 0; j < ho; j++)
        for (let k = 0; k < wo; k++) {
          let s = 0;
          let cnt = 0;
          for (let di = 0; di < 2; di++)
            for (let dj = 0; dj < 2; dj++)
              for (let dk = 0; dk < 2; dk++) {
                const [ti, hj, wk] = [2 * i + di, 2 * j + dj, 2 * k + dk];
                if (ti < t && hj < h && wk < w) {
                  s += x.data[((b * t + ti) * h + hj) * w + wk]!;
                  cnt++;
                }
              }
          out[o++] = s / cnt;
        }
  return new HostTensor([n, c, to, ho, wo], out, 'float32');
}

test('stylegan3d: state dict names, registry defaults and a wrong input shape', () => {
  const d = create('discriminator', 'stylegan3d', { filters: 2, channelMultipliers: [1, 2], frames: 4, height: 8, width: 8 });
  expect(d).toBeInstanceOf(StyleGan3dDiscriminator);
  expect(Object.keys(d.stateDict())).toEqual(
    expect.arrayContaining(['conv_in.weight', 'blocks.0.conv1.weight', 'blocks.1.conv_res.weight', 'conv_out.bias', 'fc1.weight', 'fc2.bias']),
  );
  // 8 → 4 → 2 spatially, 4 → 2 → 1 in time: fc1 sees 4 channels · 1 · 2 · 2.
  expect(d.fc1.weight.shape).toEqual([4, 16]);
  expect(d.stateDict()['blocks.0.conv_res.bias']).toBeUndefined();
});

describe.each(ENGINES)('video discriminators on %s', (name) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await makeEngine(name);
  });
  afterAll(async () => engine?.dispose());

  test('downsample2x matches TF SAME average pooling on odd sizes', async () => {
    const x = random([1, 2, 5, 3, 4], 1);
    const fn = engine.compile<{ x: HostTensor }, { y: Tensor }>((ops, i) => ({ y: downsample2x(ops, i.x) }));
    expectClose((await fn.run({ x })).y, referenceDownsample(x), { rtol: 0, atol: 1e-6 });
  });

  test.each(['none', 'group', 'layer'] as const)('stylegan3d (norm %s): logits [N, 1] and gradients reach the input', async (norm) => {
    const d = new StyleGan3dDiscriminator({ filters: 4, channelMultipliers: [1, 2], frames: 5, height: 8, width: 8, norm, seed: 2 });
    const x = random([2, 3, 5, 8, 8], 3);
    const vg = engine.valueAndGrad<{ x: HostTensor }, { loss: Tensor; out: Tensor }>(
      (ops, i) => {
        const out = d.forward(ops, i.x);
        return { loss: ops.sum(out), out };
      },
      { inputs: ['x'] },
    );
    const r = await vg.run({ x });
    expect(r.out.shape).toEqual([2, 1]);
    expect(Array.from(r.out.data).every(Number.isFinite)).toBe(true);
    expect(Array.from(r['grad:x']!.data).some((v) => v !== 0)).toBe(true);
  });

  test('stylegan3d rejects a clip of the wrong size with a ShapeError', async () => {
    const d = new StyleGan3dDiscriminator({ filters: 2, channelMultipliers: [1], frames: 4, height: 8, width: 8 });
    const fn = engine.compile<{ x: HostTensor }, { out: Tensor }>((ops, i) => ({ out: d.forward(ops, i.x) }));
    await expect(fn.run({ x: random([1, 3, 6, 8, 8], 1) })).rejects.toThrow(ShapeError);
  });

  test('frame wrapper: sampled frames give the image discriminator logits of those frames', async () => {
    const image = new PatchGAN({ ndf: 4, nLayers: 1, norm: 'none', seed: 4 });
    const wrapper = new FrameDiscriminator(image, 2);
    const video = random([2, 3, 4, 16, 16], 5);
    const idx = wrapper.sampleFrames(new Rng(6), 4);
    expect(idx.shape).toEqual([2]);
    const viaWrapper = engine.compile<{ v: HostTensor; idx: HostTensor }, { y: Tensor }>((ops, i) => ({ y: wrapper.forwardFrames(ops, i.v, i.idx) }));
    const { y } = await viaWrapper.run({ v: video, idx });
    // Reference: slice the frames on the host, batch order (video, frame).
    const [b, c, t, h, w] = video.shape as [number, number, number, number, number];
    const frames = new Float32Array(b * 2 * c * h * w);
    let o = 0;
    for (let n = 0; n < b; n++)
      for (const f of idx.data)
        for (let ch = 0; ch < c; ch++) {
          const start = (((n * c + ch) * t + f) * h) * w;
          frames.set(video.data.subarray(start, start + h * w), o);
          o += h * w;
        }
    const direct = engine.compile<{ f: HostTensor }, { y: Tensor }>((ops, i) => ({ y: image.forward(ops, i.f) }));
    const ref = await direct.run({ f: new HostTensor([b * 2, c, h, w], frames, 'float32') });
    expectClose(y, ref.y, { rtol: 0, atol: 1e-6 });
    expect(y.shape[0]).toBe(4);
  });
});

test('stylegan3d: the onnx engine agrees with the tfjs oracle on logits and input gradients', async () => {
  const d = new StyleGan3dDiscriminator({ filters: 4, channelMultipliers: [1, 2], frames: 5, height: 8, width: 8, norm: 'group', seed: 7 });
  const x = random([2, 3, 5, 8, 8], 8);
  const results: Record<string, HostTensor>[] = [];
  for (const name of ENGINES) {
    const engine = await makeEngine(name);
    const vg = engine.valueAndGrad<{ x: HostTensor }, { loss: Tensor; out: Tensor }>(
      (ops, i) => {
        const out = d.forward(ops, i.x);
        return { loss: ops.sum(out), out };
      },
      { inputs: ['x'] },
    );
    results.push(await vg.run({ x }));
    await engine.dispose();
  }
  const [a, b] = [results[0]!, results[1]!];
  expectClose(a['out']!, b['out']!, { rtol: 0, atol: 1e-5 });
  expectClose(a['grad:x']!, b['grad:x']!, { rtol: 0, atol: 1e-5 });
});

test("registry: 'frame-patchgan' wraps a PatchGAN and samples distinct frames", () => {
  const d = create('discriminator', 'frame-patchgan', { ndf: 4, nLayers: 1, framesPerVideo: 3 });
  expect(d).toBeInstanceOf(FrameDiscriminator);
  expect(d.image).toBeInstanceOf(PatchGAN);
  expect(Object.keys(d.stateDict())).toContain('image.main.0.weight');
  const idx = Array.from(d.sampleFrames(new Rng(1), 5).data);
  expect(new Set(idx).size).toBe(3);
  expect(idx).toEqual([...idx].sort((p, q) => p - q));
  expect(() => d.sampleFrames(new Rng(1), 2)).toThrow(/3 distinct frames from 2/);
});
