/**
 * BatchNorm against PyTorch's torch.nn.BatchNorm1d/2d/3d (fixtures/batch_norm.json,
 * written by scripts/fixtures/batch_norm.py running torch 1.13.1), on both
 * engines: two training steps (outputs, running mean/var with momentum and the
 * unbiased variance, num_batches_tracked), gradients through the batch
 * statistics, eval on the running statistics; plus a float64 host reference of
 * the eval formula and of the running update, keys, and input errors.
 * Tolerances: outputs and gradients max |diff| ≤ 1e-5·max(1, max |want|);
 * running statistics |diff| ≤ 1e-6 + 1e-5·|want| (expectClose's default).
 */
import { BatchNorm, HostTensor, NormError, Rng, ShapeError, type Engine, type Tensor } from '../src/index.js';
import { expectClose, floatTensor, fromJsonTensor, peakTol, readJsonFile, type JsonTensor } from '../src/testing.js';
import { ENGINE_NAMES, disposeEngines, makeEngine } from './nn-engines.js';
import { randn } from './nn-reference.js';

type StateJson = Record<string, JsonTensor>;
interface Case {
  name: string;
  channels: number;
  options: { eps?: number; momentum?: number; affine?: boolean };
  initial_state: StateJson;
  r: JsonTensor;
  train_steps: { x: JsonTensor; y: JsonTensor; state_after: StateJson }[];
  train_grads_step0: Record<'x' | 'weight' | 'bias', JsonTensor | undefined>;
  eval: { x: JsonTensor; y: JsonTensor; grad_x: JsonTensor };
}

const fx = readJsonFile<{ cases: Case[] }>(new URL('./fixtures/batch_norm.json', import.meta.url));
const CASES = fx.cases.map((c) => [c.name, c] as const);

afterAll(disposeEngines);

/** A BatchNorm as the case builds it, loaded (strictly) with a torch state dict; int64 counters come in as int32. */
function load(c: Case, state: StateJson): BatchNorm {
  const bn = new BatchNorm(c.channels, c.options);
  bn.loadStateDict(Object.fromEntries(Object.entries(state).map(([k, t]) => [k, fromJsonTensor(t)])));
  return bn;
}

const apply = (engine: Engine, bn: BatchNorm) => engine.compile<{ x: HostTensor }, { y: Tensor }>((ops, i) => ({ y: bn.forward(ops, i.x) }));

function expectState(bn: BatchNorm, want: StateJson, what: string): void {
  const sd = bn.stateDict();
  expect(Object.keys(sd)).toEqual(Object.keys(want));
  for (const [k, t] of Object.entries(want)) expectClose(sd[k]!, t, {}, `${what} ${k}`);
}

/** Per-channel values of x [N, C, ...] (axis 1), float64. */
function channelValues(x: HostTensor, c: number): number[][] {
  const inner = x.size / (x.shape[0]! * x.shape[1]!);
  const out: number[][] = Array.from({ length: x.shape[1]! }, () => []);
  for (let i = 0; i < x.size; i++) out[Math.floor(i / inner) % c]!.push(x.data[i]!);
  return out;
}

/** PyTorch's update, written out: running = (1 − m)·running + m·stat, with the unbiased variance (n − 1). */
function runningUpdateRef(x: HostTensor, mean0: ArrayLike<number>, var0: ArrayLike<number>, c: number, m: number): { mean: number[]; var: number[] } {
  const per = channelValues(x, c);
  const mean = per.map((v, ch) => {
    const mu = v.reduce((a, b) => a + b, 0) / v.length;
    return (1 - m) * mean0[ch]! + m * mu;
  });
  const variance = per.map((v, ch) => {
    const mu = v.reduce((a, b) => a + b, 0) / v.length;
    const unbiased = v.reduce((a, b) => a + (b - mu) ** 2, 0) / (v.length - 1);
    return (1 - m) * var0[ch]! + m * unbiased;
  });
  return { mean, var: variance };
}

/** torch BatchNorm in eval: (x − running_mean) / sqrt(running_var + eps) · weight + bias, per channel (axis 1). */
function evalRef(x: HostTensor, bn: BatchNorm): number[] {
  const [n, c] = x.shape as [number, number];
  const inner = x.size / (n * c);
  return Array.from(x.data, (v, i) => {
    const ch = Math.floor(i / inner) % c;
    const normed = (v - bn.running_mean.value.data[ch]!) / Math.sqrt(bn.running_var.value.data[ch]! + bn.eps);
    return bn.weight && bn.bias ? normed * bn.weight.value.data[ch]! + bn.bias.value.data[ch]! : normed;
  });
}

describe('BatchNorm (engine-free)', () => {
  test('torch keys in torch order; weight/bias are parameters, running stats and counter are buffers', () => {
    for (const [, c] of CASES) expect(Object.keys(new BatchNorm(c.channels, c.options).stateDict())).toEqual(Object.keys(c.initial_state));
    const bn = new BatchNorm(4);
    expect(Object.keys(bn.stateDict())).toEqual(['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']);
    expect(bn.parameters().map((v) => v.key)).toEqual(['weight', 'bias']);
    expect(bn.buffers().map((v) => v.key)).toEqual(['running_mean', 'running_var', 'num_batches_tracked']);
    expect(bn.num_batches_tracked.shape).toEqual([]);
    expect([bn.eps, bn.momentum, bn.affine]).toEqual([1e-5, 0.1, true]);
  });

  test('affine=false has no weight/bias keys and no parameters', () => {
    const bn = new BatchNorm(3, { affine: false });
    expect(Object.keys(bn.stateDict())).toEqual(['running_mean', 'running_var', 'num_batches_tracked']);
    expect(bn.parameters()).toEqual([]);
    expect(bn.weight).toBeUndefined();
  });

  test('a torch state dict (int64 num_batches_tracked) loads strictly and round-trips', () => {
    const c = fx.cases[0]!;
    const last = c.train_steps[1]!.state_after;
    const bn = load(c, last);
    expectState(bn, last, 'round trip');
    expect(bn.num_batches_tracked.value.data[0]).toBe(2);
    const noCounter = Object.fromEntries(Object.entries(bn.stateDict()).filter(([k]) => k !== 'num_batches_tracked'));
    expect(() => bn.loadStateDict(noCounter)).toThrow(/missing keys \[num_batches_tracked\]/);
  });

  test('bad options are refused naming the option and the valid range', () => {
    expect(() => new BatchNorm(4, { momentum: 1.5 })).toThrow(NormError);
    expect(() => new BatchNorm(4, { momentum: 1.5 })).toThrow(/momentum must be in \[0, 1\], got 1.5/);
    expect(() => new BatchNorm(4, { eps: 0 })).toThrow(/eps must be > 0/);
    expect(() => new BatchNorm(0)).toThrow(/numFeatures must be an integer >= 1, got 0/);
  });
});

describe.each(ENGINE_NAMES)('BatchNorm on %s', (name) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await makeEngine(name);
  });

  test.each(CASES)('%s: two train steps match torch (outputs, running stats, num_batches_tracked)', async (_, c) => {
    const bn = load(c, c.initial_state).train();
    const step = apply(engine, bn);
    for (const [i, s] of c.train_steps.entries()) {
      const before = bn.stateDict();
      const { y } = await step.run({ x: floatTensor(s.x) });
      expectClose(y, s.y, peakTol(1e-5), `step ${i} y`);
      await engine.sync();
      expectState(bn, s.state_after, `step ${i}`);
      // The same update from the formula, in float64, independent of the fixture's numbers.
      const ref = runningUpdateRef(floatTensor(s.x), before.running_mean!.data, before.running_var!.data, c.channels, bn.momentum);
      expectClose(bn.running_mean.value, ref.mean, {}, `step ${i} running_mean (formula)`);
      expectClose(bn.running_var.value, ref.var, {}, `step ${i} running_var (formula)`);
      expect(bn.num_batches_tracked.value.data[0]).toBe(i + 1);
    }
  });

  test.each(CASES)('%s: train-mode gradients through the batch statistics match torch', async (_, c) => {
    const bn = load(c, c.initial_state).train();
    const vars = bn.weight && bn.bias ? [bn.weight, bn.bias] : [];
    const vg = engine.valueAndGrad<{ x: HostTensor; r: HostTensor }, { loss: Tensor }>(
      (ops, i) => ({ loss: ops.sum(ops.mul(bn.forward(ops, i.x), i.r)) }),
      { inputs: ['x'], variables: vars },
    );
    const out = await vg.run({ x: floatTensor(c.train_steps[0]!.x), r: floatTensor(c.r) });
    const g = c.train_grads_step0;
    expectClose(out['grad:x']!, g.x!, peakTol(1e-5), 'grad x');
    if (bn.weight && bn.bias) {
      expectClose(out[`grad:${bn.weight.key}`]!, g.weight!, peakTol(1e-5), 'grad weight');
      expectClose(out[`grad:${bn.bias.key}`]!, g.bias!, peakTol(1e-5), 'grad bias');
    } else {
      expect(g.weight).toBeUndefined();
    }
  });

  test.each(CASES)('%s: eval uses the running statistics (torch output and d/dx)', async (_, c) => {
    const bn = load(c, c.train_steps[1]!.state_after).eval();
    const vg = engine.valueAndGrad<{ x: HostTensor; r: HostTensor }, { loss: Tensor; y: Tensor }>(
      (ops, i) => {
        const y = bn.forward(ops, i.x);
        return { loss: ops.sum(ops.mul(y, i.r)), y };
      },
      { inputs: ['x'] },
    );
    const out = await vg.run({ x: floatTensor(c.eval.x), r: floatTensor(c.r) });
    expectClose(out.y, c.eval.y, peakTol(1e-5), 'eval y');
    expectClose(out['grad:x']!, c.eval.grad_x, peakTol(1e-5), 'eval grad x');
    await engine.sync();
    expect(bn.num_batches_tracked.value.data[0]).toBe(2); // eval leaves the buffers alone
  });

  test('eval matches the float64 formula with random statistics on a 3-D input', async () => {
    const rng = new Rng(3);
    const bn = new BatchNorm(4);
    bn.weight!.value = randn(rng, [4]);
    bn.bias!.value = randn(rng, [4]);
    bn.running_mean.value = randn(rng, [4]);
    bn.running_var.value = HostTensor.from([0.5, 1.5, 2, 0.25], [4]);
    bn.eval();
    const x = randn(rng, [2, 4, 3, 2, 2]);
    const { y } = await apply(engine, bn).run({ x });
    expectClose(y, { shape: x.shape, data: evalRef(x, bn) }, peakTol(1e-5));
  });

  test('wrong shapes name the module, the expected layout and the input shape', async () => {
    const bn = new BatchNorm(4);
    const run = (shape: number[]) => apply(engine, bn).run({ x: HostTensor.zeros(shape) });
    await expect(run([2, 3, 4])).rejects.toThrow(new ShapeError('BatchNorm(4)', '[N, C=4, ...]', [2, 3, 4]));
    await expect(run([4])).rejects.toThrow(ShapeError);
    // One value per channel has no unbiased variance: refused in train mode (as torch does), fine in eval.
    await expect(run([1, 4])).rejects.toThrow(/BatchNorm\(4\) in train mode: expected shape more than one value per channel, got \[1, 4\]/);
    bn.eval();
    expect((await run([1, 4])).y.shape).toEqual([1, 4]);
  });
});
