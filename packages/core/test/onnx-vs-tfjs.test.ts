/**
 * onnx engine against the independent tfjs engine (eager, tfjs autodiff):
 * forward values and gradients of composite functions on random inputs.
 */
import { createOnnxEngine } from '../src/engine/onnx/index.js';
import { createTfjsEngine } from '../src/engine/tfjs/index.js';
import type { Engine, Inputs } from '../src/engine/engine.js';
import type { Ops, Tensor } from '../src/ops.js';
import { HostTensor } from '../src/tensor.js';
import { Variable } from '../src/nn/variable.js';
import { rand, randAwayFromZero } from './onnx-helpers.js';
import { expectClose, peakTol } from '../src/testing.js';

let onnx: Engine;
let tfjs: Engine;
beforeAll(async () => {
  onnx = await createOnnxEngine({ threads: 1 });
  tfjs = await createTfjsEngine({ backend: 'cpu' });
});
afterAll(async () => {
  await onnx.dispose();
  await tfjs.dispose();
});

type Case = [string, (o: Ops, x: Record<string, Tensor>) => Tensor, Record<string, HostTensor>, string[]];

const cases: Case[] = [
  [
    'elementwise chain with broadcasting',
    (o, { a, b }) => {
      const t = o.add(o.tanh(a!), o.mul(o.sigmoid(b!), o.erf(a!)));
      const u = o.sub(o.exp(o.mul(a!, 0.5)), o.div(o.sqrt(o.add(o.square(b!), 1)), o.rsqrt(o.add(o.abs(a!), 0.5))));
      // (broadcastTo first: tfjs 4.22's Minimum gradient does not reduce broadcast operands)
      const v = o.maximum(o.leakyRelu(t, 0.2), o.minimum(o.relu(u), o.broadcastTo(o.clip(b!, -0.3, 0.3), [2, 3, 4])));
      return o.add(v, o.mul(o.pow(o.add(o.abs(b!), 0.5), 1.5), o.log(o.add(o.square(a!), 1))));
    },
    { a: randAwayFromZero([2, 3, 4], 1, 0.05), b: randAwayFromZero([3, 1], 2, 0.05) },
    ['a', 'b'],
  ],
  [
    'softmax, logSoftmax and reductions',
    (o, { z }) => {
      const p = o.softmax(z!, -1);
      const l = o.logSoftmax(z!, 1);
      return o.add(o.add(o.mean(o.mul(p, l), 1, true), o.max(z!, [1, 2], true)), o.sum(o.min(z!, 2, true), 0));
    },
    { z: rand([2, 3, 5], 3, -2, 2) },
    ['z'],
  ],
  [
    'conv2d strided/grouped with bias, then convTranspose',
    (o, { x, w, b, wt }) => {
      const h = o.conv(x!, w!, b, { stride: 2, padding: [[1, 0], [1, 1]], groups: 2 });
      return o.convTranspose(o.leakyRelu(h, 0.1), wt!, undefined, { stride: 2, padding: 1, outputPadding: 1 });
    },
    { x: rand([2, 4, 6, 5], 4), w: rand([4, 2, 3, 3], 5), b: rand([4], 6), wt: rand([4, 3, 3, 3], 7) },
    ['x', 'w', 'b', 'wt'],
  ],
  [
    'conv3d causal, dilated conv1d via reshape',
    (o, { v, w3, w1 }) => {
      // constant pad: tfjs 4.22 has no rank-5 Tile gradient (used by its replicate pad)
      const h = o.conv(o.pad(v!, [[0, 0], [0, 0], [2, 0], [1, 1], [1, 1]]), w3!);
      const flat = o.reshape(h, [1, 3, -1]);
      return o.conv(flat, w1!, undefined, { dilation: 2, padding: 2 });
    },
    { v: rand([1, 2, 3, 4, 4], 8), w3: rand([3, 2, 3, 3, 3], 9), w1: rand([2, 3, 3], 10) },
    ['v', 'w3', 'w1'],
  ],
  [
    'pooling, reflect pad, slices with steps, concat',
    (o, { x }) => {
      const p = o.pad(x!, [[0, 0], [0, 0], [1, 1], [2, 1]], 'reflect');
      const m = o.maxPool(p, { kernel: 2, stride: 2 });
      const a = o.avgPool(p, { kernel: 3, stride: 1, padding: 1 });
      // positive steps only: the tfjs engine rejects negative ones
      const s = o.slice(o.pad(a, [[0, 0], [0, 0], [1, 0], [0, 2]], 'replicate'), [0, 1], [5, 9], [2, 3], [2, 3]);
      return o.concat([o.reshape(m, [-1]), o.reshape(s, [-1])], 0);
    },
    { x: (() => { const t = rand([1, 2, 4, 5], 11); for (let i = 0; i < t.size; i++) t.data[i] = t.data[i]! + i * 1e-3; return t; })() },
    ['x'],
  ],
  [
    'gather, oneHot, matmul, where, stopGradient',
    (o, { e, q, idx }) => {
      const rows = o.gather(e!, idx!, 0); // [2, 3, 4]
      const logits = o.matmul(q!, e!, false, true); // [5, 6]
      const oh = o.oneHot(o.argmax(logits, 1), 6);
      const sel = o.sum(o.mul(oh, logits), 1);
      const w = o.where(o.greater(sel, 0), sel, o.mul(o.stopGradient(sel), 2));
      return o.add(o.sum(rows), o.sum(o.mul(w, o.sum(q!, 1))));
    },
    { e: rand([6, 4], 12), q: rand([5, 4], 13), idx: HostTensor.int([5, 0, 5, 2, 1, 5], [2, 3]) },
    ['e', 'q'],
  ],
];

describe('onnx vs tfjs engine', () => {
  test.each(cases)('%s: forward values and gradients agree', async (_, f, inputs, wrt) => {
    const fwd = async (e: Engine): Promise<HostTensor> => (await e.compile<Inputs, { y: Tensor }>((o, x) => ({ y: f(o, x) })).run(inputs)).y;
    const [yo, yt] = [await fwd(onnx), await fwd(tfjs)];
    expect(yo.shape).toEqual(yt.shape);
    expectClose(yo.data, yt.data, peakTol(1e-4));
    const r = rand(yo.shape, 77);
    const loss = (o: Ops, x: Record<string, Tensor>): { loss: Tensor } => ({ loss: o.sum(o.mul(f(o, x), x.__r!)) });
    const grads = async (e: Engine): Promise<Record<string, HostTensor>> =>
      e.valueAndGrad<Inputs, { loss: Tensor }>(loss, { inputs: wrt }).run({ ...inputs, __r: r });
    const [go, gt] = [await grads(onnx), await grads(tfjs)];
    expect(go.loss!.item()).toBeCloseTo(gt.loss!.item(), 3);
    for (const name of wrt) {
      expect(go[`grad:${name}`]!.shape).toEqual(inputs[name]!.shape);
      expectClose(go[`grad:${name}`]!.data, gt[`grad:${name}`]!.data, peakTol(1e-4));
    }
  });

  test('a few Adam steps on a conv layer end at the same parameters', async () => {
    const run = async (e: Engine): Promise<number[]> => {
      const w = new Variable(rand([3, 2, 3, 3], 21), true, 'w');
      const b = new Variable(HostTensor.zeros([3]), true, 'b');
      const step = e.compileTrainStep<{ x: HostTensor }, { loss: Tensor }>(
        (o, { x }) => ({ loss: o.mean(o.square(o.sub(o.conv(x, o.variable(w), o.variable(b), { padding: 1 }), 0.5))) }),
        [w, b],
        { kind: 'adamw', lr: 0.01, weightDecay: 0.1, clipGradNorm: 1 },
      );
      for (let i = 0; i < 4; i++) await step.run({ x: rand([2, 2, 5, 5], 30 + i) });
      await e.sync();
      return [...w.value.data, ...b.value.data];
    };
    expectClose(await run(onnx), await run(tfjs), peakTol(1e-4));
  });
});
