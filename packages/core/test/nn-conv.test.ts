import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  CausalConv3d,
  Conv1d,
  Conv2d,
  Conv3d,
  ConvTranspose1d,
  ConvTranspose2d,
  ConvTranspose3d,
  HostTensor,
  Rng,
  ShapeError,
  type Engine,
  type Tensor,
} from '../src/index.js';
import { ENGINE_NAMES, disposeEngines, makeEngine } from './nn-engines.js';
import { convRef, convTransposeRef, padRef, randn } from './nn-reference.js';
import { expectClose, peakTol } from '../src/testing.js';

interface Fixture {
  inputs: { x: { shape: number[]; data: number[] } };
  params: { weight: { shape: number[]; data: number[] }; bias: { shape: number[]; data: number[] } };
  outputs: Record<'constant' | 'replicate' | 'time_replicate_spatial_zero', { shape: number[]; data: number[] }>;
}
const fixture = JSON.parse(
  readFileSync(fileURLToPath(new URL('./fixtures/causal_conv3d.json', import.meta.url)), 'utf8'),
) as Fixture;
const host = (t: { shape: number[]; data: number[] }) => HostTensor.from(t.data, t.shape);

async function apply(engine: Engine, block: { forward(ops: never, x: Tensor): Tensor }, x: HostTensor): Promise<HostTensor> {
  const f = engine.compile<{ x: HostTensor }, { y: Tensor }>((ops, inp) => ({ y: block.forward(ops as never, inp.x) }));
  return (await f.run({ x })).y;
}

afterAll(disposeEngines);

describe('conv init and keys (engine-free)', () => {
  test('PyTorch names, shapes and U(±1/sqrt(fan_in)) init', () => {
    const conv = new Conv2d(4, 6, 3, { groups: 2, rng: new Rng(1) });
    const sd = conv.stateDict();
    expect(Object.keys(sd).sort()).toEqual(['bias', 'weight']);
    expect(sd.weight!.shape).toEqual([6, 2, 3, 3]);
    const bound = 1 / Math.sqrt(2 * 9);
    for (const v of [...sd.weight!.data, ...sd.bias!.data]) expect(Math.abs(v)).toBeLessThanOrEqual(bound);
    // spread: the draws should fill most of the interval
    expect(Math.max(...sd.weight!.data)).toBeGreaterThan(0.8 * bound);
    const tr = new ConvTranspose2d(4, 6, 3, { groups: 2, rng: new Rng(1) });
    expect(tr.weight.shape).toEqual([4, 3, 3, 3]);
    for (const v of tr.weight.value.data) expect(Math.abs(v)).toBeLessThanOrEqual(1 / Math.sqrt(3 * 9));
  });

  test('same seed gives the same weights; bias=false drops the key', () => {
    const a = new Conv3d(2, 3, [1, 3, 3], { rng: new Rng(5) });
    const b = new Conv3d(2, 3, [1, 3, 3], { rng: new Rng(5) });
    expect(Array.from(a.weight.value.data)).toEqual(Array.from(b.weight.value.data));
    expect(Object.keys(new Conv1d(2, 3, 3, { bias: false }).stateDict())).toEqual(['weight']);
    expect(Object.keys(new CausalConv3d(2, 3, 3).stateDict()).sort()).toEqual(['conv.bias', 'conv.weight']);
  });

  test('wrong rank or channels throws ShapeError naming the module', () => {
    const conv = new Conv2d(3, 4, 3);
    const fake = (shape: number[]) => ({ shape, dtype: 'float32' as const });
    expect(() => conv.forward({} as never, fake([1, 3, 8]))).toThrow(ShapeError);
    expect(() => conv.forward({} as never, fake([1, 2, 8, 8]))).toThrow(/Conv2d\(3->4\).*C=3.*\[1, 2, 8, 8\]/);
    expect(() => new CausalConv3d(3, 4, 3).forward({} as never, fake([1, 3, 8, 8]))).toThrow(ShapeError);
  });
});

describe.each(ENGINE_NAMES)('conv blocks on %s', (name) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await makeEngine(name);
  });

  test('Conv1d/2d/3d with stride, padding, dilation, groups match a direct loop', async () => {
    const rng = new Rng(2);
    const c1 = new Conv1d(4, 6, 3, { stride: 2, padding: 1, dilation: 2, groups: 2, rng });
    const x1 = randn(rng, [2, 4, 11]);
    expectClose(await apply(engine, c1, x1), convRef(x1, c1.weight.value, c1.bias!.value, { stride: [2], pads: [[1, 1]], dilation: [2], groups: 2 }), peakTol(1e-5));
    const c2 = new Conv2d(3, 4, [3, 2], { stride: [1, 2], padding: [[1, 0], [2, 1]], rng });
    const x2 = randn(rng, [1, 3, 7, 6]);
    expectClose(await apply(engine, c2, x2), convRef(x2, c2.weight.value, c2.bias!.value, { stride: [1, 2], pads: [[1, 0], [2, 1]] }), peakTol(1e-5));
    const c3 = new Conv3d(2, 3, 3, { padding: 'same', rng });
    const x3 = randn(rng, [1, 2, 3, 5, 4]);
    expectClose(await apply(engine, c3, x3), convRef(x3, c3.weight.value, c3.bias!.value, { pads: [[1, 1], [1, 1], [1, 1]] }), peakTol(1e-5));
  });

  test.each(['reflect', 'replicate'] as const)('Conv2d paddingMode %s pads before an unpadded conv', async (mode) => {
    const rng = new Rng(3);
    const conv = new Conv2d(2, 3, 3, { padding: 1, paddingMode: mode, rng });
    const x = randn(rng, [1, 2, 5, 6]);
    const padded = padRef(x, [[0, 0], [0, 0], [1, 1], [1, 1]], mode);
    expectClose(await apply(engine, conv, x), convRef(padded, conv.weight.value, conv.bias!.value), peakTol(1e-5));
  });

  test('ConvTranspose1d/2d/3d match a direct scatter loop', async () => {
    const rng = new Rng(4);
    const t1 = new ConvTranspose1d(4, 2, 3, { stride: 2, padding: 1, outputPadding: 1, groups: 2, rng });
    const x1 = randn(rng, [1, 4, 5]);
    expectClose(await apply(engine, t1, x1), convTransposeRef(x1, t1.weight.value, t1.bias!.value, { stride: [2], padding: [1], outputPadding: [1], groups: 2 }), peakTol(1e-5));
    const t2 = new ConvTranspose2d(3, 2, 4, { stride: 2, padding: 1, rng });
    const x2 = randn(rng, [1, 3, 3, 4]);
    expectClose(await apply(engine, t2, x2), convTransposeRef(x2, t2.weight.value, t2.bias!.value, { stride: [2, 2], padding: [1, 1] }), peakTol(1e-5));
    const t3 = new ConvTranspose3d(2, 2, [2, 3, 3], { stride: [2, 1, 1], padding: [0, 1, 1], rng });
    const x3 = randn(rng, [1, 2, 2, 3, 3]);
    expectClose(await apply(engine, t3, x3), convTransposeRef(x3, t3.weight.value, t3.bias!.value, { stride: [2, 1, 1], padding: [0, 1, 1] }), peakTol(1e-5));
  });

  describe('CausalConv3d parity with magvit2-pytorch (fixtures/causal_conv3d.json)', () => {
    const x = host(fixture.inputs.x);
    const load = (c: CausalConv3d) => {
      c.loadStateDict({ 'conv.weight': host(fixture.params.weight), 'conv.bias': host(fixture.params.bias) });
      return c;
    };
    test.each([
      ['constant', { padMode: 'constant' }],
      ['replicate', { padMode: 'replicate' }],
      ['time_replicate_spatial_zero', { padMode: 'replicate', spatialPadMode: 'constant' }],
    ] as const)('%s', async (key, opts) => {
      const conv = load(new CausalConv3d(3, 4, 3, opts));
      expectClose(await apply(engine, conv, x), fixture.outputs[key], peakTol(1e-5));
    });
  });
});
