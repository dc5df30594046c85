/**
 * onnx engine API: device selection errors, per-shape compilation cache,
 * and clear errors for misuse of the traced functions.
 */
import { benchConvLayer, createOnnxEngine, OnnxDeviceError } from '../src/engine/onnx/index.js';
import type { Engine } from '../src/engine/engine.js';
import { CUDA_INSTALL_HINT, onnxRuntimeInfo } from '../src/engine/probe.js';
import type { Tensor } from '../src/ops.js';
import { HostTensor } from '../src/tensor.js';
import { rand } from './onnx-helpers.js';

let engine: Engine;
beforeAll(async () => {
  engine = await createOnnxEngine({ threads: 1 });
});
afterAll(async () => {
  await engine.dispose();
});

test('reports its name and device; unknown devices are rejected with the valid list', async () => {
  expect(engine.name).toBe('onnx');
  expect(engine.device).toBe('cpu');
  await expect(createOnnxEngine({ device: 'tpu' as 'cpu' })).rejects.toThrow(/valid: 'cpu', 'cuda'/);
});

// Where onnxruntime-node has its CUDA provider (a GPU install), `--device cuda` is exercised by
// the bench's device checks instead; here (and on CI) the binaries are absent.
const cudaInstalled = onnxRuntimeInfo().executionProviders.includes('cuda');
(cudaInstalled ? test.skip : test)("device 'cuda' without the CUDA binaries fails saying how to install them", async () => {
  const err: unknown = await createOnnxEngine({ device: 'cuda' }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OnnxDeviceError);
  expect((err as Error).message).toBe(`onnx engine: the CUDA execution provider is not installed; ${CUDA_INSTALL_HINT}`);
  expect((err as Error).message).toMatch(/pnpm install:cuda.*ONNXRUNTIME_NODE_INSTALL=cuda12/);
});

test('compiles once per input signature and reruns with new shapes', async () => {
  let traces = 0;
  const f = engine.compile<{ x: HostTensor }, { y: Tensor }>((o, { x }) => {
    traces++;
    return { y: o.sum(x, -1) };
  });
  expect(Array.from((await f.run({ x: HostTensor.from([1, 2, 3], [1, 3]) })).y.data)).toEqual([6]);
  expect(Array.from((await f.run({ x: HostTensor.from([4, 5, 6], [1, 3]) })).y.data)).toEqual([15]);
  expect(traces).toBe(1);
  expect(Array.from((await f.run({ x: HostTensor.from([1, 2, 3, 4], [2, 2]) })).y.data)).toEqual([3, 7]);
  expect(traces).toBe(2);
});

test('outputs may alias inputs or each other', async () => {
  const f = engine.compile<{ x: HostTensor }, Record<string, Tensor>>((o, { x }) => {
    const y = o.neg(x);
    return { x, y, y2: y };
  });
  const r = await f.run({ x: HostTensor.from([1, -2], [2]) });
  expect(Array.from(r.x!.data)).toEqual([1, -2]);
  expect(Array.from(r.y2!.data)).toEqual([-1, 2]);
});

test('misuse gives clear errors', async () => {
  const noLoss = engine.valueAndGrad<{ x: HostTensor }, { loss: Tensor }>(
    (o, { x }) => ({ notLoss: o.sum(x) }) as unknown as { loss: Tensor },
    { inputs: ['x'] },
  );
  await expect(noLoss.run({ x: rand([2], 1) })).rejects.toThrow(/must return a 'loss' output/);
  const vector = engine.valueAndGrad<{ x: HostTensor }, { loss: Tensor }>((o, { x }) => ({ loss: o.mul(x, 2) }), { inputs: ['x'] });
  await expect(vector.run({ x: rand([2], 1) })).rejects.toThrow(/loss must be a scalar/);
  const intInput = engine.valueAndGrad<{ i: HostTensor }, { loss: Tensor }>((o, { i }) => ({ loss: o.sum(o.cast(i, 'float32')) }), { inputs: ['i'] });
  await expect(intInput.run({ i: HostTensor.int([1], [1]) })).rejects.toThrow(/int32; gradients need float32/);
  const notTensor = engine.compile<{ x: HostTensor }, { y: Tensor }>(() => ({ y: 3 as unknown as Tensor }));
  await expect(notTensor.run({ x: rand([1], 1) })).rejects.toThrow(/output 'y' is not a tensor/);
});

test('benchConvLayer runs the forward and train-step workloads (tiny shapes)', async () => {
  const t = await benchConvLayer(engine, { input: [1, 2, 3, 4, 4], cout: 2, kernel: 3, warmup: 1, repeats: 1 });
  expect(Number.isFinite(t.forwardMs) && t.forwardMs > 0).toBe(true);
  expect(Number.isFinite(t.trainStepMs) && t.trainStepMs > 0).toBe(true);
});

describe('onnx engine variable naming', () => {
  it('keeps same-keyed variables of separate modules apart', async () => {
    const { createOnnxEngine, HostTensor, Variable } = await import('../src/index.js');
    const engine = await createOnnxEngine();
    // Two roots built separately both call their weight 'conv.weight'.
    const a = new Variable(HostTensor.from([2], [1]), true, 'conv.weight');
    const b = new Variable(HostTensor.from([3], [1]), true, 'conv.weight');
    const f = engine.valueAndGrad(
      (ops, { x }) => ({ loss: ops.sum(ops.mul(ops.mul(x!, ops.variable(a)), ops.square(ops.variable(b)))) }),
      { variables: [a, b] },
    );
    const out = await f.run({ x: HostTensor.from([1], [1]) });
    expect(out.loss.item()).toBeCloseTo(18);
    expect(f.gradKeys).toEqual(['grad:conv.weight', 'grad:conv.weight#2']);
    const g = out as unknown as Record<string, InstanceType<typeof HostTensor>>;
    expect(g['grad:conv.weight']!.item()).toBeCloseTo(9); // d/da = b^2
    expect(g['grad:conv.weight#2']!.item()).toBeCloseTo(12); // d/db = 2ab
    const step = engine.compileTrainStep(
      (ops, { x }) => ({ loss: ops.sum(ops.mul(x!, ops.add(ops.variable(a), ops.variable(b)))) }),
      [a, b],
      { kind: 'adam', lr: 0.1 },
    );
    await step.run({ x: HostTensor.from([1], [1]) });
    await engine.sync();
    expect(a.value.item()).toBeCloseTo(1.9, 5);
    expect(b.value.item()).toBeCloseTo(2.9, 5);
    await engine.dispose();
  });
});

describe('frozen compiles', () => {
  it('bake read-only variables, rebuild when one is replaced, and keep assigned buffers live', async () => {
    const { Variable } = await import('../src/index.js');
    const w = new Variable(HostTensor.from([1, 2, 3, 4, 5, 6], [3, 2]), true, 'w');
    const count = new Variable(HostTensor.from([0], [1]), false, 'count');
    let traces = 0;
    const fn = (o: Parameters<Parameters<Engine['compile']>[0]>[0], x: Tensor) => {
      traces++;
      const next = o.add(o.variable(count), 1);
      o.assign(count, next);
      return { y: o.matmul(x, o.variable(w)), n: next };
    };
    const frozen = engine.compile<{ x: HostTensor; unused: HostTensor }, { y: Tensor; n: Tensor }>((o, { x }) => fn(o, x!), { frozen: true });
    const live = engine.compile<{ x: HostTensor; unused: HostTensor }, { y: Tensor; n: Tensor }>((o, { x }) => fn(o, x!));
    const inputs = { x: HostTensor.from([1, 0, 1, 0, 1, 0], [2, 3]), unused: HostTensor.from([7], [1]) };
    const a = await frozen.run(inputs);
    expect(Array.from(a.y.data)).toEqual(Array.from((await live.run(inputs)).y.data));
    expect(Array.from(a.y.data)).toEqual([6, 8, 3, 4]);
    // the assigned buffer is fed and written back, not baked: 1, then 2 (live), then 3
    expect(Array.from((await frozen.run(inputs)).n.data)).toEqual([3]);
    expect(count.value.item()).toBe(3);
    // baked: an in-place edit of the data is not seen (documented), a replaced value is
    w.value.data[0] = 100;
    expect(Array.from((await frozen.run(inputs)).y.data)).toEqual([6, 8, 3, 4]);
    expect(Array.from((await live.run(inputs)).y.data)[0]).toBe(105);
    const frozenTraces = traces;
    w.value = HostTensor.from([0, 0, 0, 0, 1, 1], [3, 2]);
    const [r1, r2] = await Promise.all([frozen.run(inputs), frozen.run(inputs)]);
    expect(Array.from(r1.y.data)).toEqual([1, 1, 0, 0]);
    expect(Array.from(r2.y.data)).toEqual([1, 1, 0, 0]);
    expect(traces).toBe(frozenTraces); // rebuilt from the same trace
    // replaced while runs are pending: each run reads the value current when it executes
    // (as unfrozen compiles do), and the retired session is released without failing a run
    const pending = [frozen.run(inputs), frozen.run(inputs)];
    w.value = HostTensor.from([1, 1, 1, 1, 1, 1], [3, 2]);
    pending.push(frozen.run(inputs));
    for (const r of await Promise.all(pending)) expect(Array.from(r.y.data)).toEqual([2, 2, 1, 1]);
    expect(traces).toBe(frozenTraces);
  });
});

test('ZOO_ORT_OPTIMIZED writes the optimized graph of each new session', async () => {
  const { mkdtempSync, readdirSync, rmSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'zoo-opt-'));
  process.env['ZOO_ORT_OPTIMIZED'] = join(dir, 'g');
  try {
    const f = engine.compile<{ x: HostTensor }, { y: Tensor }>((o, { x }) => ({ y: o.exp(x) }));
    await f.run({ x: HostTensor.from([0], [1]) });
  } finally {
    delete process.env['ZOO_ORT_OPTIMIZED'];
  }
  const files = readdirSync(dir);
  expect(files).toHaveLength(1);
  expect(files[0]).toMatch(/^g\d+\.onnx$/);
  rmSync(dir, { recursive: true });
});

describe('constant variables', () => {
  it('are baked into training steps and gradients, rebuilt when replaced, and cannot be trained', async () => {
    const { Variable } = await import('../src/index.js');
    const w = new Variable(HostTensor.from([1], [1]), true, 'w');
    const scale = new Variable(HostTensor.from([2], [1]), false, 'scale');
    scale.constant = true;
    let traces = 0;
    // loss = sum((scale * w * x)^2); d/dw = 2 scale^2 w x^2
    const loss = (o: Parameters<Parameters<Engine['compile']>[0]>[0], x: Tensor) => {
      traces++;
      return { loss: o.sum(o.square(o.mul(o.mul(x, o.variable(w)), o.variable(scale)))) };
    };
    const x = HostTensor.from([3], [1]);
    const grads = engine.valueAndGrad<{ x: HostTensor }, { loss: Tensor }>((o, i) => loss(o, i.x!), { variables: [w, scale] });
    const g = (await grads.run({ x })) as unknown as Record<string, HostTensor>;
    expect(g['loss']!.item()).toBeCloseTo(36); // a gradient target is fed, not baked
    expect(g['grad:scale']!.item()).toBeCloseTo(36);
    const step = engine.compileTrainStep<{ x: HostTensor }, { loss: Tensor }>((o, i) => loss(o, i.x!), [w], { kind: 'adam', lr: 0.1 });
    expect((await step.run({ x })).outputs.loss.item()).toBeCloseTo(36);
    const tracesBefore = traces;
    scale.value = HostTensor.from([1], [1]); // replaced: the step's graph is rebuilt from its trace
    expect((await step.run({ x })).outputs.loss.item()).toBeCloseTo(9 * 0.9 * 0.9, 4);
    expect(traces).toBe(tracesBefore);
    scale.value.data[0] = 5; // in place: not seen by the baked graph (documented)
    expect((await step.run({ x })).outputs.loss.item()).toBeLessThan(9);
    expect(() => engine.compileTrainStep<{ x: HostTensor }, { loss: Tensor }>((o, i) => loss(o, i.x!), [w, scale], { kind: 'adam', lr: 0.1 })).toThrow(
      /'scale' is marked constant/,
    );
  });
});
