/**
 * Second order across the op set, onnx against tfjs: d/dw ‖∇_x f(x; w)‖²
 * through ops.grad on both engines (each engine's first-order gradients are
 * checked elsewhere; agreement here checks the second-order rules, and the
 * tfjs re-registered gradients). An op tfjs 4.22 cannot differentiate
 * twice (max pooling) must fail with an error naming the kernel.
 */
import type { Engine } from '../src/engine/engine.js';
import type { Ops, Tensor } from '../src/ops.js';
import type { HostTensor } from '../src/tensor.js';
import { TfjsEngineError } from '../src/engine/tfjs/tensors.js';
import { Rng } from '../src/util/rng.js';
import { disposeTestEngines, randn, relErr, testEngine } from '../src/testing.js';

type Fn = (o: Ops, x: Tensor, w: Tensor) => Tensor;

const penalty = (f: Fn) => (o: Ops, t: Record<string, Tensor>): { loss: Tensor } => {
  const [gx] = o.grad(f(o, t['x']!, t['w']!), [t['x']!]);
  return { loss: o.sum(o.square(gx!)) };
};

let onnx: Engine;
let tfjs: Engine;
beforeAll(async () => {
  onnx = await testEngine('onnx', { onnxThreads: 1 });
  tfjs = await testEngine('tfjs', { tfjsBackend: 'cpu' });
});
afterAll(disposeTestEngines);

const run = async (e: Engine, f: Fn, inputs: Record<string, HostTensor>): Promise<HostTensor> =>
  (await e.valueAndGrad(penalty(f), { inputs: ['w'] }).run(inputs))['grad:w']!;

const cases: [string, Fn, number[], number[]][] = [
  ['exp, sigmoid, pow, sqrt, rsqrt, erf, div', (o, x, w) => {
    const a = o.mul(x, w);
    const b = o.add(o.exp(o.mul(a, 0.3)), o.sigmoid(a));
    const c = o.add(o.pow(o.add(o.square(a), 1), o.add(o.mul(w, 0.1), 1.5)), o.div(o.sqrt(o.add(o.square(a), 1)), o.add(o.erf(a), 2)));
    return o.sum(o.mul(o.add(b, c), o.rsqrt(o.add(o.square(x), 1))));
  }, [3, 4], [3, 4]],
  ['softmax, logSoftmax (non-last axis), mean, max', (o, x, w) => {
    const a = o.matmul(x, w);
    return o.add(o.sum(o.mul(o.softmax(a, -1), o.logSoftmax(a, 0))), o.mean(o.max(o.mul(a, a), 1)));
  }, [3, 4], [4, 5]],
  ['group-norm style normalization + leakyRelu + conv', (o, x, w) => {
    const h = o.conv(x, w, undefined, { stride: 2, padding: 1 });
    const mu = o.mean(h, [1, 2, 3], true);
    const d = o.sub(h, mu);
    const n = o.mul(d, o.rsqrt(o.add(o.mean(o.square(d), [1, 2, 3], true), 1e-5)));
    return o.sum(o.mul(o.leakyRelu(n, 0.2), o.tanh(n)));
  }, [2, 2, 6, 6], [3, 2, 4, 4]],
  ['normalizeLast (the fused LayerNorm node: its VJP rule differentiated again)', (o, x, w) => {
    const h = o.conv(x, w, undefined, { padding: 1 });
    const n = o.normalizeLast(o.reshape(h, [2, 3, 36]), 1e-5);
    return o.sum(o.mul(n, o.tanh(n)));
  }, [2, 2, 6, 6], [3, 2, 3, 3]],
  ['silu (its VJP rule reads its own output: differentiated again)', (o, x, w) => {
    const h = o.conv(x, w, undefined, { padding: 1 });
    return o.sum(o.mul(o.silu(h), o.tanh(h)));
  }, [2, 2, 6, 6], [3, 2, 3, 3]],
  ['reflect pad, strided slice, concat, convTranspose, transpose', (o, x, w) => {
    const p = o.pad(x, [[0, 0], [0, 0], [1, 1], [2, 1]], 'reflect');
    const s = o.slice(p, [0, 1], [7, 6], [2, 3], [2, 1]);
    const y = o.convTranspose(o.concat([s, o.tanh(s)], 1), w, undefined, { stride: 2, padding: 1 });
    return o.sum(o.tanh(o.transpose(y, [0, 2, 3, 1])));
  }, [1, 1, 5, 4], [2, 2, 3, 3]],
  ['conv3d + sigmoid', (o, x, w) => o.sum(o.sigmoid(o.conv(x, w, undefined, { stride: [1, 2, 1], padding: 1 }))), [1, 2, 3, 4, 3], [2, 2, 3, 3, 3]],
];

describe('second order, onnx vs tfjs', () => {
  it.each(cases)('%s', async (_name, f, xs, ws) => {
    const rng = new Rng(31);
    const inputs = { x: randn(rng, xs), w: randn(rng, ws, 0.5) };
    const [a, b] = [await run(onnx, f, inputs), await run(tfjs, f, inputs)];
    expect(relErr(a.data, b.data)).toBeLessThan(2e-4);
    expect(Math.max(...Array.from(a.data, Math.abs))).toBeGreaterThan(1e-3);
  });

  it('average pooling (2-D, and 3-D as in StyleGAN-style downsampling) on both engines', async () => {
    const rng = new Rng(33);
    for (const shape of [[1, 2, 4, 4], [1, 2, 4, 4, 4]]) {
      const inputs = { x: randn(rng, shape), w: randn(rng, shape) };
      const f: Fn = (o, x, w) => o.sum(o.tanh(o.avgPool(o.mul(x, w), { kernel: 2 })));
      const [a, b] = [await run(onnx, f, inputs), await run(tfjs, f, inputs)];
      expect(relErr(a.data, b.data)).toBeLessThan(2e-4);
      expect(Math.max(...Array.from(a.data, Math.abs))).toBeGreaterThan(1e-3);
    }
  });

  it('max pooling: onnx differentiates it twice (= max over strided window slices on tfjs); tfjs names the kernel it cannot', async () => {
    const rng = new Rng(32);
    const inputs = { x: randn(rng, [1, 2, 7, 7]), w: randn(rng, [1, 2, 7, 7]) };
    const f: Fn = (o, x, w) => o.sum(o.tanh(o.maxPool(o.mul(x, w), { kernel: 3, stride: 2 })));
    // The same overlapping 3x3 / stride-2 windows as an elementwise maximum of the nine tap slices.
    const bySlices: Fn = (o, x, w) => {
      const a = o.mul(x, w);
      const taps = [0, 1, 2].flatMap((i) => [0, 1, 2].map((j) => o.slice(a, [i, j], [i + 5, j + 5], [2, 3], [2, 2])));
      return o.sum(o.tanh(taps.reduce((m, t) => o.maximum(m, t))));
    };
    const [g, want] = [await run(onnx, f, inputs), await run(tfjs, bySlices, inputs)];
    expect(relErr(g.data, want.data)).toBeLessThan(2e-4);
    expect(Math.max(...Array.from(g.data, Math.abs))).toBeGreaterThan(1e-3);
    const err = await run(tfjs, f, inputs).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TfjsEngineError);
    expect((err as Error).message).toContain("'MaxPoolGrad'");
  });
});
