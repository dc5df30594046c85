import sharp from 'sharp';
import { fileURLToPath } from 'node:url';
import { HostTensor, Rng, create, type Engine, type Tensor } from '@zoo/core';
import { LPIPS, LpipsMetric, LpipsWeightsError } from '../src/index.js';
import { ENGINES, loadFixture, makeEngine } from './helpers.js';

const reference = loadFixture<Record<'alex' | 'squeeze', Record<'ex_ref_vs_ex_p0' | 'ex_ref_vs_ex_p1', number>>>('lpips_reference.json');

/** PNG → [1, 3, H, W] in [−1, 1] (lpips.im2tensor: x / 127.5 − 1). */
async function loadImage(name: string): Promise<HostTensor<'float32'>> {
  const path = fileURLToPath(new URL(`./fixtures/${name}.png`, import.meta.url));
  const { data, info } = await sharp(path).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const { width: w, height: h, channels: c } = info;
  const out = new Float32Array(3 * h * w);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) for (let ch = 0; ch < 3; ch++) out[ch * h * w + y * w + x] = data[(y * w + x) * c + ch]! / 127.5 - 1;
  return new HostTensor([1, 3, h, w], out, 'float32');
}

function stack(a: HostTensor<'float32'>, b: HostTensor<'float32'>): HostTensor<'float32'> {
  const data = new Float32Array(a.size + b.size);
  data.set(a.data, 0);
  data.set(b.data, a.size);
  return new HostTensor([2, ...a.shape.slice(1)], data, 'float32');
}

test("net 'vgg' without a weights file is a clear LpipsWeightsError", () => {
  expect(() => new LPIPS({ net: 'vgg' })).toThrow(LpipsWeightsError);
  expect(() => new LPIPS({ net: 'vgg' })).toThrow(/weightsPath/);
});

test('LPIPS weights are frozen buffers with the shipped keys', () => {
  const lpips = create('loss', 'lpips', {});
  expect(lpips.net).toBe('alex');
  expect(lpips.parameters()).toHaveLength(0);
  expect(lpips.buffers().every((v) => v.constant)).toBe(true); // baked into onnx graphs
  expect(Object.keys(lpips.stateDict())).toEqual(expect.arrayContaining(['features.0.weight', 'features.10.bias', 'lin4.weight']));
});

/** [1, 3, H, W] in [−1, 1] → [H, W, 3] in [0, 1] (the bench's pixel layout). */
function toHwc01(t: HostTensor<'float32'>): HostTensor<'float32'> {
  const [, , h, w] = t.shape as [number, number, number, number];
  const out = new Float32Array(h * w * 3);
  for (let c = 0; c < 3; c++) for (let p = 0; p < h * w; p++) out[p * 3 + c] = (t.data[c * h * w + p]! + 1) / 2;
  return new HostTensor([h, w, 3], out, 'float32');
}

test("metric 'lpips' without VGG weights reports itself unavailable", () => {
  const m = create('metric', 'lpips', { net: 'vgg' });
  const r = m.result();
  expect(r.available).toBe(false);
  if (!r.available) expect(r.reason).toMatch(/weightsPath/);
});

test.each(ENGINES)('metric lpips (%s engine): mean over frames of channels-last [0, 1] videos', async (engineName) => {
  const metric = new LpipsMetric({ engine: engineName, batchFrames: 1 });
  const frames = await Promise.all(['ex_ref', 'ex_p0', 'ex_p1'].map(async (n) => toHwc01(await loadImage(n))));
  const [ref, p0, p1] = frames as [HostTensor<'float32'>, HostTensor<'float32'>, HostTensor<'float32'>];
  const video = (a: HostTensor<'float32'>, b: HostTensor<'float32'>) => {
    const data = new Float32Array(a.size * 2);
    data.set(a.data);
    data.set(b.data, a.size);
    return new HostTensor([1, 2, ...a.shape], data, 'float32');
  };
  await metric.update(video(ref, ref), video(p0, p1));
  const r = metric.result();
  await metric.dispose();
  expect(r.available).toBe(true);
  if (r.available) expect(Math.abs(r.value - (reference.alex.ex_ref_vs_ex_p0 + reference.alex.ex_ref_vs_ex_p1) / 2)).toBeLessThan(1e-4);
});

describe.each(ENGINES)('LPIPS on %s', (name) => {
  let engine: Engine;
  let x: HostTensor<'float32'>;
  let y: HostTensor<'float32'>;
  beforeAll(async () => {
    engine = await makeEngine(name);
    const ref = await loadImage('ex_ref');
    x = stack(ref, ref);
    y = stack(await loadImage('ex_p0'), await loadImage('ex_p1'));
  });
  afterAll(async () => engine?.dispose());

  test.each(['alex', 'squeeze'] as const)('%s reproduces the LPIPS project example distances to 1e-4', async (net) => {
    const lpips = new LPIPS({ net });
    const fn = engine.compile<{ x: HostTensor; y: HostTensor }, { d: Tensor }>((ops, i) => ({ d: lpips.distance(ops, i.x, i.y) }));
    const { d } = await fn.run({ x, y });
    expect(d.shape).toEqual([2]);
    expect(Math.abs(d.data[0]! - reference[net].ex_ref_vs_ex_p0)).toBeLessThan(1e-4);
    expect(Math.abs(d.data[1]! - reference[net].ex_ref_vs_ex_p1)).toBeLessThan(1e-4);
  });

  test('gradient w.r.t. the input passes a finite-difference check (alex, 32x32)', async () => {
    const lpips = new LPIPS({ net: 'alex' });
    const rng = new Rng(3);
    const shape = [1, 3, 32, 32];
    const a = new HostTensor(shape, rng.fillUniform(new Float32Array(3 * 32 * 32), -1, 1), 'float32');
    const b = new HostTensor(shape, rng.fillUniform(new Float32Array(3 * 32 * 32), -1, 1), 'float32');
    const random = rng.fillNormal(new Float32Array(a.size));
    const vg = engine.valueAndGrad<{ a: HostTensor; b: HostTensor }, { loss: Tensor }>(
      (ops, i) => ({ loss: lpips.forward(ops, i.a, i.b) }),
      { inputs: ['a'] },
    );
    const value = engine.compile<{ a: HostTensor; b: HostTensor }, { loss: Tensor }>((ops, i) => ({ loss: lpips.forward(ops, i.a, i.b) }));
    const out = await vg.run({ a, b });
    const grad = out['grad:a']!;
    // Direction: half along the gradient (a strong signal), half random (catches a wrong direction).
    const unit = (v: ArrayLike<number>) => {
      const n = Math.sqrt(Array.from(v).reduce((s, x) => s + x * x, 0));
      return Array.from(v, (x) => x / n);
    };
    const [gu, ru] = [unit(grad.data), unit(random)];
    const dir = gu.map((g, i) => g + ru[i]!);
    let analytic = 0;
    for (let i = 0; i < dir.length; i++) analytic += grad.data[i]! * dir[i]!;
    // Small step: ReLU / max-pool kinks make larger central differences drift by a few percent.
    const eps = 1e-3;
    const shifted = (s: number) => new HostTensor(shape, a.data.map((v, i) => v + s * eps * dir[i]!), 'float32');
    const plus = (await value.run({ a: shifted(1), b })).loss.item();
    const minus = (await value.run({ a: shifted(-1), b })).loss.item();
    const numeric = (plus - minus) / (2 * eps);
    expect(Math.abs(analytic)).toBeGreaterThan(1e-4);
    expect(Math.abs(numeric - analytic)).toBeLessThan(0.01 * Math.abs(analytic));
  });
});
