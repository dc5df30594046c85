/**
 * `ops.grad` on both engines: first-order values against hand-written
 * float64 gradients, and second order — d/dw ‖∇_x f(x; w)‖² taken by an
 * outer valueAndGrad through the inner ops.grad — against float64 central
 * differences on the host.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Engine } from '../src/engine/engine.js';
import type { Ops, Tensor } from '../src/ops.js';
import { HostTensor, ShapeError } from '../src/tensor.js';
import { Rng } from '../src/util/rng.js';
import { TEST_ENGINES, convOutSize, createTestEngine, randn, relErr, type Conv2dGeom } from '../src/testing.js';
import {
  convLeakyGradX, fdGrad, gatherTanhGradX, matmulTanhGradX, sumSq,
} from './grad-reference.js';

type In = Record<string, HostTensor>;
type Fn = (o: Ops, t: Record<string, Tensor>) => Tensor;

/** ‖∇_x f‖² as a loss, for the outer gradient. */
const penalty = (f: Fn): ((o: Ops, t: Record<string, Tensor>) => { loss: Tensor }) => (o, t) => {
  const [gx] = o.grad(f(o, t), [t['x']!]);
  return { loss: o.sum(o.square(gx!)) };
};

describe.each(TEST_ENGINES)('ops.grad on %s', (name) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await createTestEngine(name, { tfjsBackend: 'cpu', onnxThreads: 1 });
  });
  afterAll(async () => engine?.dispose());

  const gradX = async (f: Fn, inputs: In, wrt = ['x']): Promise<HostTensor[]> => {
    const c = engine.compile((o, t: Record<string, Tensor>) => {
      const gs = o.grad(f(o, t), wrt.map((k) => t[k]!));
      return Object.fromEntries(gs.map((g, i) => [`g${i}`, g]));
    });
    const out = await c.run(inputs);
    return wrt.map((_, i) => out[`g${i}`]!);
  };

  it('gives 2x for sum(x²) and the analytic matmul gradients, inside a plain compile', async () => {
    const rng = new Rng(1);
    const x = randn(rng, [3, 4]);
    const [g] = await gradX((o, t) => o.sum(o.square(t['x']!)), { x });
    expect(relErr(g!.data, x.data.map((v) => 2 * v))).toBeLessThan(1e-6);

    const [a, b] = [randn(rng, [2, 3]), randn(rng, [3, 4])];
    const [ga, gb] = await gradX((o, t) => o.sum(o.matmul(t['a']!, t['b']!)), { a, b }, ['a', 'b']);
    // d Σ(AB)/dA[i,k] = Σ_j B[k,j];  d Σ(AB)/dB[k,j] = Σ_i A[i,k]
    const wantA = Array.from({ length: 6 }, (_, e) => [0, 1, 2, 3].reduce((s, j) => s + b.data[(e % 3) * 4 + j]!, 0));
    const wantB = Array.from({ length: 12 }, (_, e) => [0, 1].reduce((s, i) => s + a.data[i * 3 + Math.floor(e / 4)]!, 0));
    expect(relErr(ga!.data, wantA)).toBeLessThan(1e-6);
    expect(relErr(gb!.data, wantB)).toBeLessThan(1e-6);
  });

  it('returns zeros for an unrelated tensor and rejects a non-scalar loss', async () => {
    const rng = new Rng(2);
    const [x, y] = [randn(rng, [2, 3]), randn(rng, [4])];
    const [, gy] = await gradX((o, t) => o.sum(o.tanh(t['x']!)), { x, y }, ['x', 'y']);
    expect(Array.from(gy!.data)).toEqual([0, 0, 0, 0]);
    const bad = engine.compile((o, t: Record<string, Tensor>) => ({ g: o.grad(o.tanh(t['x']!), [t['x']!])[0]! }));
    await expect(bad.run({ x })).rejects.toThrow(ShapeError);
  });

  it('leaves no tensors behind (tfjs: the compile retried under a tape, and the nested tapes)', async () => {
    if (name !== 'tfjs') return;
    const rng = new Rng(3);
    const inputs = { x: randn(rng, [1, 2, 5, 5]), w: randn(rng, [3, 2, 3, 3]) };
    const f: Fn = (o, t) => o.sum(o.tanh(o.conv(t['x']!, t['w']!, undefined, { padding: 1 })));
    const c = engine.compile((o, t: Record<string, Tensor>) => ({ g: o.grad(f(o, t), [t['x']!])[0]! }));
    const vg = engine.valueAndGrad(penalty(f), { inputs: ['w'] });
    await c.run(inputs);
    await vg.run(inputs);
    const before = tf.memory().numTensors;
    await c.run(inputs);
    await vg.run(inputs);
    expect(tf.memory().numTensors).toBe(before);
  });

  describe.each([1, 2])('conv2d (stride %i, padding 1) + leakyRelu', (stride) => {
    const geom: Conv2dGeom = { n: 2, cin: 2, h: 5, w: 5, cout: 3, k: 3, stride, pad: 1 };
    const rng = new Rng(10 + stride);
    const inputs = {
      x: randn(rng, [2, 2, 5, 5]),
      w: randn(rng, [3, 2, 3, 3], 0.5),
      b: randn(rng, [3], 0.1),
      c: randn(rng, [2, 3, convOutSize(geom, 5), convOutSize(geom, 5)]),
    };
    const f: Fn = (o, t) =>
      o.sum(o.mul(t['c']!, o.leakyRelu(o.conv(t['x']!, t['w']!, t['b']!, { stride, padding: 1 }), 0.2)));
    const hostR = (w: ArrayLike<number>, b: ArrayLike<number> = inputs.b.data): number =>
      sumSq(convLeakyGradX(geom, inputs.x.data, w, b, inputs.c.data, 0.2));

    it('first order matches the analytic input gradient', async () => {
      const [g] = await gradX(f, inputs);
      const want = convLeakyGradX(geom, inputs.x.data, inputs.w.data, inputs.b.data, inputs.c.data, 0.2);
      expect(relErr(g!.data, want)).toBeLessThan(1e-5);
    });

    it('d/dw ‖∇_x f‖² matches float64 finite differences', async () => {
      const vg = engine.valueAndGrad(penalty(f), { inputs: ['w', 'b'] });
      const out = await vg.run(inputs);
      expect(Math.abs(out.loss.item() - hostR(inputs.w.data)) / hostR(inputs.w.data)).toBeLessThan(1e-5);
      expect(relErr(out['grad:w']!.data, fdGrad(inputs.w.data, (w) => hostR(w)))).toBeLessThan(1e-3);
      // the bias only moves the leakyRelu kinks: ‖∇_x f‖² is piecewise constant in it
      expect(Math.max(...Array.from(fdGrad(inputs.b.data, (b) => hostR(inputs.w.data, b)), Math.abs))).toBeLessThan(1e-9);
      expect(Math.max(...Array.from(out['grad:b']!.data, Math.abs))).toBeLessThan(1e-5);
    });
  });

  it('second order through matmul + tanh and through gather', async () => {
    const rng = new Rng(5);
    const mm = { x: randn(rng, [3, 4]), w: randn(rng, [4, 5], 0.5), c: randn(rng, [3, 5]) };
    const fm: Fn = (o, t) => o.sum(o.mul(t['c']!, o.tanh(o.matmul(t['x']!, t['w']!))));
    const outM = await engine.valueAndGrad(penalty(fm), { inputs: ['w'] }).run(mm);
    const rm = (w: ArrayLike<number>): number => sumSq(matmulTanhGradX(3, 4, 5, mm.x.data, w, mm.c.data));
    expect(relErr(outM['grad:w']!.data, fdGrad(mm.w.data, rm))).toBeLessThan(1e-3);

    const idx = [0, 2, 2, 3, 0];
    const gi = { x: randn(rng, [4, 3]), w: randn(rng, [5, 3]), idx: new HostTensor([5], Int32Array.from(idx), 'int32') };
    const fg: Fn = (o, t) => o.sum(o.tanh(o.mul(o.gather(t['x']!, t['idx']!, 0), t['w']!)));
    const outG = await engine.valueAndGrad(penalty(fg), { inputs: ['w'] }).run(gi);
    const rg = (w: ArrayLike<number>): number => sumSq(gatherTanhGradX(4, 3, idx, gi.x.data, w));
    expect(relErr(outG['grad:w']!.data, fdGrad(gi.w.data, rg))).toBeLessThan(1e-3);
  });
});
