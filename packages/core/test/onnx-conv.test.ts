/**
 * onnx engine: convolution, transposed convolution and pooling in 1D/2D/3D —
 * forward values against plain-JS references, gradients (input, weight,
 * bias) against finite differences, including the fast stride-1 paths and
 * the strided / dilated / grouped fallbacks.
 */
import { createOnnxEngine } from '../src/engine/onnx/index.js';
import type { Engine, Inputs } from '../src/engine/engine.js';
import type { ConvOptions, Ops, Tensor } from '../src/ops.js';
import { HostTensor } from '../src/tensor.js';
import { run1, gradCheck, rand, randAwayFromZero, refConv, refConvTranspose, refPool } from './onnx-helpers.js';
import { expectClose, peakTol } from '../src/testing.js';

let engine: Engine;
beforeAll(async () => {
  engine = await createOnnxEngine({ threads: 1 });
});
afterAll(async () => {
  await engine.dispose();
});


interface ConvCase {
  name: string;
  x: number[];
  w: number[];
  stride: number[];
  pads: [number, number][];
  dilation: number[];
  groups: number;
  bias: boolean;
}

const convCases: ConvCase[] = [
  { name: '1d stride 2, asymmetric pad, dilation 2, groups 2', x: [2, 4, 9], w: [6, 2, 3], stride: [2], pads: [[1, 2]], dilation: [2], groups: 2, bias: true },
  { name: '1d stride 1 k1', x: [1, 3, 5], w: [2, 3, 1], stride: [1], pads: [[0, 0]], dilation: [1], groups: 1, bias: false },
  { name: '2d stride 1 pad 1 (flipped-kernel input grad)', x: [2, 3, 5, 4], w: [4, 3, 3, 3], stride: [1, 1], pads: [[1, 1], [1, 1]], dilation: [1, 1], groups: 1, bias: true },
  { name: '2d stride 1 grouped, dilated', x: [1, 4, 6, 6], w: [4, 2, 3, 3], stride: [1, 1], pads: [[2, 2], [1, 0]], dilation: [2, 1], groups: 2, bias: true },
  { name: '2d stride 2 pad 1 k4 (ConvTranspose input grad)', x: [1, 2, 7, 6], w: [3, 2, 4, 4], stride: [2, 2], pads: [[1, 1], [1, 1]], dilation: [1, 1], groups: 1, bias: true },
  { name: '2d depthwise stride [2, 1]', x: [1, 3, 5, 5], w: [3, 1, 3, 3], stride: [2, 1], pads: [[1, 1], [1, 1]], dilation: [1, 1], groups: 3, bias: false },
  { name: '3d stride 1 pad 1', x: [1, 2, 3, 4, 4], w: [3, 2, 3, 3, 3], stride: [1, 1, 1], pads: [[1, 1], [1, 1], [1, 1]], dilation: [1, 1, 1], groups: 1, bias: true },
  { name: '3d causal pad, stride [1, 2, 2]', x: [1, 2, 3, 5, 5], w: [2, 2, 3, 3, 3], stride: [1, 2, 2], pads: [[2, 0], [1, 1], [1, 1]], dilation: [1, 1, 1], groups: 1, bias: true },
  // the weight gradient's last-axis-on-g path (ungrouped, last axis stride 1, no dilation there):
  { name: '1d k3 batch 2, stride 1 (last-axis path, channels-first input side)', x: [2, 3, 7], w: [4, 3, 3], stride: [1], pads: [[1, 2]], dilation: [1], groups: 1, bias: true },
  { name: '1d k3 batch 1, asymmetric pad (last-axis path, one chunk)', x: [1, 3, 6], w: [2, 3, 3], stride: [1], pads: [[2, 0]], dilation: [1], groups: 1, bias: false },
  { name: '2d stride [2, 1], dilation [2, 1], asymmetric pads (last-axis path)', x: [3, 2, 7, 5], w: [3, 2, 2, 4], stride: [2, 1], pads: [[1, 0], [2, 1]], dilation: [2, 1], groups: 1, bias: true },
  { name: '3d batch 2, kernel [2, 3, 2], causal time pad (last-axis path)', x: [2, 3, 3, 4, 3], w: [2, 3, 2, 3, 2], stride: [1, 1, 1], pads: [[1, 0], [1, 1], [0, 1]], dilation: [1, 1, 1], groups: 1, bias: true },
  { name: '3d grouped dilated', x: [1, 4, 4, 5, 5], w: [2, 2, 2, 2, 2], stride: [1, 1, 1], pads: [[0, 0], [1, 1], [1, 1]], dilation: [1, 2, 2], groups: 2, bias: false },
];

describe('onnx conv', () => {
  test.each(convCases)('$name: forward and gradients', async (c) => {
    const x = rand(c.x, 1);
    const w = rand(c.w, 2);
    const b = rand([c.w[0]!], 3);
    const opts: ConvOptions = { stride: c.stride, padding: c.pads, dilation: c.dilation, groups: c.groups };
    const f = (o: Ops, i: Record<string, Tensor>): Tensor => o.conv(i.x!, i.w!, c.bias ? i.b : undefined, opts);
    const inputs: Record<string, HostTensor> = c.bias ? { x, w, b } : { x, w };
    const y = await run1(engine, f, inputs);
    const want = refConv(x, w, c.bias ? b : undefined, { stride: c.stride, pads: c.pads, dilation: c.dilation, groups: c.groups });
    expect(y.shape).toEqual(want.shape);
    expectClose(y.data, want.data, peakTol(1e-5));
    await gradCheck(engine, f, inputs);
  });

  test('shape errors name the conv, the expectation and the got shape', async () => {
    const f = engine.compile<{ x: HostTensor; w: HostTensor }, { y: Tensor }>((o, { x, w }) => ({ y: o.conv(x, w) }));
    await expect(f.run({ x: rand([1, 3, 5, 5], 1), w: rand([2, 4, 3, 3], 2) })).rejects.toThrow(/conv input: expected shape \[N, 4/);
  });
});

interface ConvTCase extends Omit<ConvCase, 'bias'> {
  outputPadding: number[];
}

const convTCases: ConvTCase[] = [
  { name: '1d stride 2 output padding 1', x: [1, 2, 4], w: [2, 3, 3], stride: [2], pads: [[1, 1]], dilation: [1], groups: 1, outputPadding: [1] },
  { name: '2d stride 2 k4 pad 1 (upsampling)', x: [2, 3, 3, 3], w: [3, 2, 4, 4], stride: [2, 2], pads: [[1, 1], [1, 1]], dilation: [1, 1], groups: 1, outputPadding: [0, 0] },
  { name: '2d stride 1 grouped (one flipped conv)', x: [1, 4, 3, 4], w: [4, 1, 3, 2], stride: [1, 1], pads: [[0, 1], [1, 0]], dilation: [1, 1], groups: 2, outputPadding: [0, 0] },
  { name: '2d grouped dilated', x: [1, 4, 3, 4], w: [4, 1, 3, 2], stride: [1, 2], pads: [[0, 1], [1, 0]], dilation: [2, 1], groups: 2, outputPadding: [0, 1] },
  { name: '2d stride [2, 1] ungrouped (weight grad on the last-axis path)', x: [2, 2, 3, 4], w: [2, 3, 3, 3], stride: [2, 1], pads: [[1, 1], [1, 1]], dilation: [1, 1], groups: 1, outputPadding: [1, 0] },
  { name: '3d stride [1, 2, 2] (per-phase convs)', x: [1, 2, 2, 3, 3], w: [2, 2, 3, 3, 3], stride: [1, 2, 2], pads: [[1, 1], [1, 1], [1, 1]], dilation: [1, 1, 1], groups: 1, outputPadding: [0, 1, 1] },
  { name: '3d k4 s2 p1 (per-phase convs)', x: [1, 2, 2, 3, 2], w: [2, 1, 4, 4, 4], stride: [2, 2, 2], pads: [[1, 1], [1, 1], [1, 1]], dilation: [1, 1, 1], groups: 1, outputPadding: [0, 0, 0] },
  { name: '3d k1 s2 grouped, empty phases, output padding', x: [1, 4, 2, 2, 2], w: [4, 1, 1, 1, 1], stride: [2, 2, 2], pads: [[0, 0], [0, 0], [0, 0]], dilation: [1, 1, 1], groups: 2, outputPadding: [1, 1, 1] },
  { name: '3d dilated (ConvTranspose fallback)', x: [1, 2, 2, 2, 2], w: [2, 1, 2, 2, 2], stride: [1, 1, 1], pads: [[0, 0], [0, 0], [0, 0]], dilation: [2, 2, 2], groups: 1, outputPadding: [0, 0, 0] },
];

describe('onnx convTranspose', () => {
  test.each(convTCases)('$name: forward and gradients', async (c) => {
    const x = rand(c.x, 4);
    const w = rand(c.w, 5);
    const cout = c.w[1]! * c.groups;
    const b = rand([cout], 6);
    const opts = { stride: c.stride, padding: c.pads, dilation: c.dilation, groups: c.groups, outputPadding: c.outputPadding };
    const f = (o: Ops, i: Record<string, Tensor>): Tensor => o.convTranspose(i.x!, i.w!, i.b, opts);
    const y = await run1(engine, f, { x, w, b });
    const ref = refConvTranspose(x, w, { ...c, pads: c.pads });
    const want = Array.from(ref.data, (v, k) => v + b.data[Math.floor(k / (ref.size / ref.shape[0]! / cout)) % cout]!);
    expect(y.shape).toEqual(ref.shape);
    expectClose(y.data, want, peakTol(1e-5));
    await gradCheck(engine, f, { x, w, b });
  });
});

describe('onnx pooling', () => {
  const poolCases: [string, 'max' | 'avg', number[], number[], number[], number[], boolean][] = [
    ['max 1d k3 s2 p1', 'max', [1, 2, 7], [3], [2], [1], false],
    ['max 2d k2 (non-overlapping)', 'max', [2, 2, 4, 6], [2, 2], [2, 2], [0, 0], false],
    ['max 2d k3 s2 p1 ceil', 'max', [1, 2, 6, 6], [3, 3], [2, 2], [1, 1], true],
    ['max 2d k3 s2, floor mode leaves the last row and column unread', 'max', [2, 3, 8, 8], [3, 3], [2, 2], [0, 0], false],
    ['max 3d k2 s[1,2,2]', 'max', [1, 1, 3, 4, 4], [2, 2, 2], [1, 2, 2], [0, 0, 0], false],
    ['avg 1d k2', 'avg', [1, 2, 6], [2], [2], [0], false],
    ['avg 2d k3 s1 p1', 'avg', [1, 2, 4, 5], [3, 3], [1, 1], [1, 1], false],
    ['avg 3d k2 s2', 'avg', [1, 1, 4, 4, 4], [2, 2, 2], [2, 2, 2], [0, 0, 0], false],
  ];
  test.each(poolCases)('%s: forward and gradient', async (_, kind, shape, k, s, p, ceil) => {
    // distinct values so max pooling has no ties (ties make the FD check ill-posed)
    const x = randAwayFromZero(shape, 7, 0.05);
    for (let i = 0; i < x.size; i++) x.data[i] = x.data[i]! + i * 1e-3;
    const f = (o: Ops, i: Record<string, Tensor>): Tensor => {
      const opts = { kernel: k, stride: s, padding: p, ceilMode: ceil };
      return kind === 'max' ? o.maxPool(i.x!, opts) : o.avgPool(i.x!, opts);
    };
    const y = await run1(engine, f, { x });
    const want = refPool(x, kind, k, s, p, ceil);
    expect(y.shape).toEqual(want.shape);
    expectClose(y.data, want.data, peakTol(1e-5));
    await gradCheck(engine, f, { x }, ['x'], { eps: 1e-4, tol: 2e-2 });
  });

  test('max pooling gradient on ties goes to the first tap of each window (as PyTorch)', async () => {
    // A constant input ties every tap; overlapping k3 s2 windows start at rows/columns 0 and 2.
    const x = new HostTensor([1, 1, 5, 5], new Float32Array(25).fill(0.5), 'float32');
    const gy = new HostTensor([1, 1, 2, 2], Float32Array.of(1, 2, 3, 4), 'float32');
    const vg = engine.valueAndGrad<{ x: HostTensor; gy: HostTensor }, { loss: Tensor }>(
      (o, i) => ({ loss: o.sum(o.mul(o.maxPool(i.x, { kernel: [3, 3], stride: [2, 2] }), i.gy)) }),
      { inputs: ['x'] },
    );
    const want = new Float32Array(25);
    [want[0], want[2], want[10], want[12]] = [1, 2, 3, 4];
    expect(Array.from((await vg.run({ x, gy }))['grad:x']!.data)).toEqual(Array.from(want));
  });
});
