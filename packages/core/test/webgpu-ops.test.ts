/**
 * Every primitive of Ops on the onnx engine's WebGPU device against its CPU
 * device: forward values and gradients (valueAndGrad of sum(f · r) with a
 * random cotangent r), grouped into small composite cases so that lavapipe
 * compiles few programs. Tolerance: max |webgpu − cpu| / max |cpu| < 1e-4
 * per output (float32 kernels that sum in a different order; observed
 * differences are ~1e-6). The same graphs are then checked for CPU fallbacks
 * in onnxruntime's node placement: none, except the documented ones.
 * Skips with the reason when no WebGPU adapter starts (see webgpuSkipReason).
 */
import { createOnnxEngine, modelOutputNames, OnnxDeviceError, webGpuPlacement } from '../src/engine/onnx/index.js';
import type { Engine, Inputs } from '../src/engine/engine.js';
import type { Ops, Tensor } from '../src/ops.js';
import { HostTensor } from '../src/tensor.js';
import { Variable } from '../src/nn/variable.js';
import { describeOnWebGpu, relErr } from '../src/testing.js';
import { rand, randAwayFromZero } from './onnx-helpers.js';

type Case = [string, (o: Ops, x: Record<string, Tensor>) => Tensor, Record<string, HostTensor>, string[]];

const TOL = 1e-4;

const cases: Case[] = [
  ['add sub mul div pow maximum minimum neg abs exp log sqrt rsqrt square', (o, { a, b }) => {
    const t = o.add(o.sub(o.mul(a!, b!), o.div(a!, o.add(o.abs(b!), 0.5))), o.pow(o.add(o.abs(a!), 0.5), o.add(o.mul(b!, 0.2), 1)));
    const u = o.maximum(o.neg(a!), o.minimum(o.exp(o.mul(b!, 0.5)), o.log(o.add(o.square(a!), 1))));
    return o.add(o.add(t, u), o.mul(o.sqrt(o.add(o.square(b!), 1)), o.rsqrt(o.add(o.square(a!), 0.5))));
  }, { a: randAwayFromZero([2, 3, 4], 1, 0.05), b: randAwayFromZero([3, 4], 2, 0.05) }, ['a', 'b']],
  ['tanh sigmoid erf relu leakyRelu sign round floor clip', (o, { a }) => {
    const s = o.add(o.add(o.tanh(a!), o.sigmoid(a!)), o.add(o.erf(a!), o.relu(a!)));
    const t = o.add(o.leakyRelu(a!, 0.2), o.mul(o.sign(a!), o.add(o.round(o.mul(a!, 3)), o.floor(o.mul(a!, 2)))));
    return o.add(o.add(s, t), o.clip(a!, -0.5, 0.5));
  }, { a: randAwayFromZero([4, 5], 3, 0.05) }, ['a']],
  ['comparisons, logic, where, cast', (o, { a, b }) => {
    const m = o.logicalAnd(o.greater(a!, b!), o.logicalNot(o.lessEqual(a!, -0.5)));
    const n = o.logicalAnd(o.greaterEqual(b!, 0), o.less(a!, 0.8));
    const e = o.cast(o.equal(o.round(a!), 0), 'float32');
    return o.add(o.where(m, a!, o.mul(b!, 2)), o.add(o.mul(o.cast(n, 'float32'), a!), e));
  }, { a: randAwayFromZero([3, 4], 4, 0.05), b: randAwayFromZero([3, 4], 5, 0.05) }, ['a', 'b']],
  ['sum mean max min softmax logSoftmax', (o, { z }) => {
    const p = o.mul(o.softmax(z!, -1), o.logSoftmax(z!, 1));
    return o.add(o.add(o.mean(p, 1, true), o.max(z!, [1, 2], true)), o.add(o.sum(o.min(z!, 2, true), 0), o.sum(z!, 1, true)));
  }, { z: rand([2, 3, 5], 6, -2, 2) }, ['z']],
  ['normalizeLast (fused LayerNorm; the WebGPU graphs recompute its gradient\'s InvStdDev)', (o, { z }) =>
    o.mul(o.normalizeLast(z!, 1e-5), o.tanh(z!)), { z: rand([2, 3, 5], 15, -2, 2) }, ['z']],
  ['silu (Sigmoid + Mul forward, its one-rule gradient)', (o, { z }) => o.mul(o.silu(z!), o.tanh(z!)), { z: rand([2, 3, 5], 16, -4, 4) }, ['z']],
  ['argmax argmin oneHot gather matmul stopGradient', (o, { e, q, idx }) => {
    const rows = o.gather(e!, idx!, 0);
    const logits = o.matmul(q!, e!, false, true);
    const near = o.oneHot(o.argmin(logits, 1), 6);
    const far = o.oneHot(o.argmax(logits, 1), 6);
    const sel = o.sum(o.mul(o.add(near, far), logits), 1);
    return o.add(o.sum(rows), o.sum(o.mul(o.add(sel, o.stopGradient(sel)), o.sum(q!, 1))));
  }, { e: rand([6, 4], 7), q: rand([5, 4], 8), idx: HostTensor.int([5, 0, 5, 2, 1, 5], [2, 3]) }, ['e', 'q']],
  ['conv 1-D dilated, 2-D strided grouped with bias, convTranspose 2-D', (o, { x, w, b, wt, v, w1 }) => {
    const h = o.conv(x!, w!, b, { stride: 2, padding: [[1, 0], [1, 1]], groups: 2 });
    const y = o.convTranspose(o.leakyRelu(h, 0.1), wt!, undefined, { stride: 2, padding: 1, outputPadding: 1 });
    const c1 = o.conv(v!, w1!, undefined, { dilation: 2, padding: 2 });
    return o.add(o.sum(y), o.mul(o.sum(c1), 0.5));
  }, { x: rand([2, 4, 6, 5], 9), w: rand([4, 2, 3, 3], 10), b: rand([4], 11), wt: rand([4, 3, 3, 3], 12), v: rand([1, 3, 7], 13), w1: rand([2, 3, 3], 14) },
  ['x', 'w', 'b', 'wt', 'v', 'w1']],
  ['conv 3-D (strided, grouped, depthwise 1x1x1) and convTranspose 3-D', (o, { v, w3, wg, wd, wt }) => {
    const h = o.conv(v!, w3!, undefined, { stride: [1, 2, 2], padding: 1 });
    const g = o.conv(h, wg!, undefined, { padding: 1, groups: 2 });
    const d = o.conv(g, wd!, undefined, { groups: 4 });
    return o.convTranspose(o.tanh(d), wt!, undefined, { stride: [1, 2, 2], padding: 1, outputPadding: [0, 1, 1] });
  }, { v: rand([1, 2, 3, 4, 4], 15), w3: rand([4, 2, 3, 3, 3], 16), wg: rand([4, 2, 3, 3, 3], 17), wd: rand([4, 1, 1, 1, 1], 18), wt: rand([4, 2, 3, 3, 3], 19) },
  ['v', 'w3', 'wg', 'wd', 'wt']],
  ['avgPool maxPool (2-D, 3-D), pad constant/reflect/replicate', (o, { x, v }) => {
    const p = o.pad(x!, [[0, 0], [0, 0], [1, 1], [2, 1]], 'reflect');
    const m = o.maxPool(p, { kernel: 2, stride: 2 });
    const a = o.avgPool(o.pad(p, [[0, 0], [0, 0], [1, 0], [0, 2]], 'replicate'), { kernel: 3, stride: 1, padding: 1 });
    const m3 = o.maxPool(o.pad(v!, [[0, 0], [0, 0], [0, 1], [1, 1], [1, 1]], 'constant', 0.25), { kernel: 2 });
    const a3 = o.avgPool(v!, { kernel: 2 });
    return o.concat([o.reshape(m, [-1]), o.reshape(a, [-1]), o.reshape(m3, [-1]), o.reshape(a3, [-1])], 0);
  }, {
    x: (() => { const t = rand([1, 2, 4, 5], 20); for (let i = 0; i < t.size; i++) t.data[i] = t.data[i]! + i * 1e-3; return t; })(),
    v: (() => { const t = rand([1, 2, 4, 4, 4], 21); for (let i = 0; i < t.size; i++) t.data[i] = t.data[i]! + i * 1e-3; return t; })(),
  }, ['x', 'v']],
  ['reshape transpose slice (steps) concat broadcastTo', (o, { x, b }) => {
    const t = o.transpose(o.reshape(x!, [2, 3, 10]), [2, 0, 1]);
    const s = o.slice(t, [1, 0], [9, 3], [0, 2], [3, 2]);
    const c = o.concat([s, o.mul(s, 2)], 1);
    return o.add(o.reshape(c, [3, 4, 2]), o.broadcastTo(b!, [3, 4, 2]));
  }, { x: rand([6, 10], 22), b: rand([4, 1], 23) }, ['x', 'b']],
];

let cpu: Engine;
let gpu: Engine;
const models: Uint8Array[] = [];

await describeOnWebGpu('onnx engine: webgpu vs cpu, every primitive', () => {
  beforeAll(async () => {
    cpu = await createOnnxEngine({ device: 'cpu', threads: 1 });
    gpu = await createOnnxEngine({ device: 'webgpu', onModel: (m) => models.push(m) });
  });
  afterAll(async () => {
    await cpu?.dispose();
    await gpu?.dispose();
  });

  test.each(cases)(`%s: forward and gradients agree within ${TOL}`, async (_, f, inputs, wrt) => {
    const fwd = async (e: Engine): Promise<HostTensor> => (await e.compile<Inputs, { y: Tensor }>((o, x) => ({ y: f(o, x) })).run(inputs)).y;
    const [yc, yg] = [await fwd(cpu), await fwd(gpu)];
    expect(yg.shape).toEqual(yc.shape);
    expect(relErr(yg.data, yc.data)).toBeLessThan(TOL);
    const r = rand(yc.shape, 77);
    const loss = (o: Ops, x: Record<string, Tensor>): { loss: Tensor } => ({ loss: o.sum(o.mul(f(o, x), x.__r!)) });
    const grads = (e: Engine) => e.valueAndGrad<Inputs, { loss: Tensor }>(loss, { inputs: wrt }).run({ ...inputs, __r: r });
    const [gc, gg] = [await grads(cpu), await grads(gpu)];
    expect(relErr([gg.loss!.item()], [gc.loss!.item()])).toBeLessThan(TOL);
    for (const name of wrt) {
      const [a, b] = [gg[`grad:${name}`]!, gc[`grad:${name}`]!];
      expect(a.shape).toEqual(b.shape);
      expect(relErr(a.data, b.data)).toBeLessThan(TOL);
    }
  });

  test('Adam moments kept in GPU memory: three steps and optimizerState match the CPU device, and a reload continues alike', async () => {
    const run = async (e: Engine) => {
      const w = new Variable(rand([3, 2, 3, 3], 21), true, 'w');
      const b = new Variable(HostTensor.zeros([3]), true, 'b');
      const step = e.compileTrainStep<{ x: HostTensor }, { loss: Tensor }>(
        (o, { x }) => ({ loss: o.mean(o.square(o.sub(o.conv(x, o.variable(w), o.variable(b), { padding: 1 }), 0.5))) }),
        [w, b],
        { kind: 'adamw', lr: 0.01, weightDecay: 0.1, clipGradNorm: 1 },
      );
      for (let i = 0; i < 3; i++) await step.run({ x: rand([2, 2, 5, 5], 30 + i) });
      const state = await step.optimizerState();
      await step.loadOptimizerState(state);
      await step.run({ x: rand([2, 2, 5, 5], 40) });
      return { params: [...w.value.data, ...b.value.data], state };
    };
    const [c, g] = [await run(cpu), await run(gpu)];
    expect(relErr(g.params, c.params)).toBeLessThan(TOL);
    expect(Object.keys(g.state).sort()).toEqual(Object.keys(c.state).sort());
    for (const [k, t] of Object.entries(c.state)) expect(relErr(g.state[k]!.data, t.data)).toBeLessThan(TOL);
  });

  test('round (half to even), sign and argmin/argmax ties match onnxruntime\'s CPU kernels exactly', async () => {
    const x = HostTensor.from([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.49, 0.51, -0.51, 0, 3, -7.5], [2, 6]);
    const f = (o: Ops, { x }: Record<string, Tensor>) => ({
      r: o.round(x!),
      s: o.sign(x!),
      i: o.argmin(o.abs(o.round(x!)), 1),
      j: o.argmax(o.abs(o.round(x!)), 1),
    });
    const [c, g] = [await cpu.compile<Inputs, ReturnType<typeof f>>(f).run({ x }), await gpu.compile<Inputs, ReturnType<typeof f>>(f).run({ x })];
    // equal as numbers (the lowered round gives +0 where the CPU kernel gives -0)
    const num = (t: HostTensor) => Array.from(t.data, (v) => v + 0);
    for (const k of ['r', 's', 'i', 'j'] as const) expect(num(g[k])).toEqual(num(c[k]));
    expect(num(g.r)).toEqual([-2, -2, 0, 0, 2, 2, 0, 1, -1, 0, 3, -8]);
  });

  test('no node of these programs falls back to the CPU, except the gather gradient\'s int64 ScatterND', async () => {
    // the gradient programs hold their forward too: placing those alone halves the child processes
    const grads = models.filter((m) => modelOutputNames(m).includes('loss'));
    const placed = await webGpuPlacement(grads.map((model, i) => ({ label: `#${i}`, model })));
    expect(placed.length).toBeGreaterThanOrEqual(cases.length);
    for (const p of placed) {
      expect(p.error).toBeUndefined();
      expect(p.nodes['WebGpuExecutionProvider']).toBeGreaterThan(0);
      // ScatterND wants int64 indices, and WebGPU has no int64 Cast (README: fallbacks left)
      expect(Object.keys(p.cpuOps).filter((op) => op !== 'Cast' && op !== 'ScatterND')).toEqual([]);
    }
  }, 300_000);
});

test('a device that is not one of cpu, cuda, webgpu is a typed error listing the valid ones', async () => {
  await expect(createOnnxEngine({ device: 'metal' as never })).rejects.toThrow(OnnxDeviceError);
  await expect(createOnnxEngine({ device: 'metal' as never })).rejects.toThrow(/'cpu', 'cuda', 'webgpu'/);
});
