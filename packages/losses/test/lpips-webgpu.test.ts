/**
 * LPIPS on the onnx engine's WebGPU device against its CPU device, both
 * nets: the distance of the LPIPS project's example images (64 px) and the
 * gradient w.r.t. the input at 32 px. Tolerances: distances within 1e-5
 * absolute (values ~0.1-0.7; the reference parity test allows 1e-4), the
 * gradient within 1e-4 of max |gradient| (float32 convs summing in another
 * order). Skips with the reason when no WebGPU adapter starts.
 */
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { createOnnxEngine, HostTensor, Rng, type Engine, type Tensor } from '@zoo/core';
import { describeOnWebGpu, relErr } from '@zoo/core/testing';
import { LPIPS } from '../src/index.js';

async function loadPair(): Promise<{ x: HostTensor<'float32'>; y: HostTensor<'float32'> }> {
  const load = async (name: string) => {
    const path = fileURLToPath(new URL(`./fixtures/${name}.png`, import.meta.url));
    const { data, info } = await sharp(path).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const { width: w, height: h, channels: c } = info;
    const out = new Float32Array(3 * h * w);
    for (let p = 0; p < h * w; p++) for (let ch = 0; ch < 3; ch++) out[ch * h * w + p] = data[p * c + ch]! / 127.5 - 1;
    return { out, h, w };
  };
  const [r, p0, p1] = [await load('ex_ref'), await load('ex_p0'), await load('ex_p1')];
  const two = (a: Float32Array, b: Float32Array) => {
    const d = new Float32Array(a.length * 2);
    d.set(a, 0);
    d.set(b, a.length);
    return new HostTensor([2, 3, r.h, r.w], d, 'float32');
  };
  return { x: two(r.out, r.out), y: two(p0.out, p1.out) };
}

let cpu: Engine;
let gpu: Engine;

await describeOnWebGpu('LPIPS: webgpu vs cpu', () => {
  beforeAll(async () => {
    cpu = await createOnnxEngine({ device: 'cpu' });
    gpu = await createOnnxEngine({ device: 'webgpu' });
  });
  afterAll(async () => {
    await cpu?.dispose();
    await gpu?.dispose();
  });

  test.each(['alex', 'squeeze'] as const)('%s: example distances within 1e-5, input gradient within 1e-4 relative', async (net) => {
    const lpips = new LPIPS({ net });
    const { x, y } = await loadPair();
    const dist = (e: Engine) => e.compile<{ x: HostTensor; y: HostTensor }, { d: Tensor }>((ops, i) => ({ d: lpips.distance(ops, i.x, i.y) })).run({ x, y });
    const [dc, dg] = [(await dist(cpu)).d, (await dist(gpu)).d];
    for (let i = 0; i < 2; i++) expect(Math.abs(dg.data[i]! - dc.data[i]!)).toBeLessThan(1e-5);

    const rng = new Rng(5);
    const shape = [1, 3, 32, 32];
    const a = new HostTensor(shape, rng.fillUniform(new Float32Array(3 * 32 * 32), -1, 1), 'float32');
    const b = new HostTensor(shape, rng.fillUniform(new Float32Array(3 * 32 * 32), -1, 1), 'float32');
    const grad = async (e: Engine) =>
      (await e.valueAndGrad<{ a: HostTensor; b: HostTensor }, { loss: Tensor }>((ops, i) => ({ loss: lpips.forward(ops, i.a, i.b) }), { inputs: ['a'] }).run({ a, b }))['grad:a']!;
    const [gc, gg] = [await grad(cpu), await grad(gpu)];
    expect(relErr(gg.data, gc.data)).toBeLessThan(1e-4);
  }, 120_000);
});
