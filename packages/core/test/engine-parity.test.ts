/**
 * The two engines against each other on the reference model
 * (conv3d → GroupNorm → SiLU → conv3d → mean-square loss), on ops whose
 * gradient is zero by definition, and on learning: a tiny autoencoder's loss
 * must fall at least 10x on each engine.
 */
import { Conv3d, GroupNorm, Module, Rng, SiLU, HostTensor, Variable, type Ops, type Tensor, type Engine } from '../src/index.js';
import { TEST_ENGINES, createTestEngine, randn, relErr } from '../src/testing.js';

class SmallModel extends Module {
  readonly c1 = this.child('c1', new Conv3d(3, 8, 3, { padding: 1, rng: new Rng(1) }));
  readonly gn = this.child('gn', new GroupNorm(4, 8));
  readonly act = new SiLU();
  readonly c2 = this.child('c2', new Conv3d(8, 3, 3, { padding: 1, rng: new Rng(2) }));
  loss(ops: Ops, x: Tensor, target: Tensor): Tensor {
    const y = this.c2.forward(ops, this.act.forward(ops, this.gn.forward(ops, this.c1.forward(ops, x))));
    return ops.mean(ops.square(ops.sub(y, target)));
  }
}

describe('onnx and tfjs engines agree', () => {
  let onnx: Engine;
  let tfjs: Engine;
  beforeAll(async () => {
    onnx = await createTestEngine('onnx', { onnxThreads: 1 });
    tfjs = await createTestEngine('tfjs', { tfjsBackend: 'cpu' });
  });
  afterAll(async () => {
    await onnx.dispose();
    await tfjs.dispose();
  });

  it('on conv3d → GroupNorm → SiLU → conv3d → MSE: forward (rel < 1e-5) and every gradient (rel < 1e-4)', async () => {
    const model = new SmallModel();
    model.namedVariables();
    const rng = new Rng(3);
    const inputs = { x: randn(rng, [2, 3, 4, 6, 6]), target: randn(rng, [2, 3, 4, 6, 6]) };
    const params = model.parameters();
    const run = (e: Engine) =>
      e.valueAndGrad((ops, { x, target }) => ({ loss: model.loss(ops, x!, target!) }), { inputs: ['x'], variables: params }).run(inputs);
    const [a, b] = [await run(onnx), await run(tfjs)];
    expect(relErr(a.loss.data, b.loss.data)).toBeLessThan(1e-5);
    const keys = ['grad:x', ...params.map((p) => `grad:${p.key}`)];
    expect(keys).toHaveLength(7);
    const ga = a as Record<string, HostTensor>;
    const gb = b as Record<string, HostTensor>;
    for (const k of keys) {
      expect(ga[k]!.shape).toEqual(gb[k]!.shape);
      expect({ k, err: relErr(ga[k]!.data, gb[k]!.data) < 1e-4 }).toEqual({ k, err: true });
    }
  });

  it('on ops with zero gradient (argmin, argmax, sign, round, floor, comparisons, casts)', async () => {
    const rng = new Rng(4);
    const x = randn(rng, [3, 5]);
    const f = (ops: Ops, { x }: Record<string, Tensor>) => {
      const idx = ops.argmin(x!, 1); // int32, no gradient
      const picked = ops.gather(ops.transpose(x!, [1, 0]), idx, 0); // [3, 3]: gradient flows through x only
      const flat = ops.add(ops.add(ops.sign(x!), ops.round(ops.mul(x!, 3))), ops.floor(x!));
      const mask = ops.cast(ops.greater(x!, 0), 'float32');
      const zero = ops.sum(ops.mul(ops.add(flat, mask), ops.cast(ops.argmax(x!, 0), 'float32')));
      return { loss: ops.add(ops.sum(ops.mul(picked, picked)), ops.mul(zero, ops.stopGradient(ops.sum(x!)))) };
    };
    const run = (e: Engine) => e.valueAndGrad(f, { inputs: ['x'] }).run({ x });
    const [a, b] = [await run(onnx), await run(tfjs)];
    const ga = (a as Record<string, HostTensor>)['grad:x']!;
    const gb = (b as Record<string, HostTensor>)['grad:x']!;
    expect(relErr(ga.data, gb.data)).toBeLessThan(1e-5);
    expect(Array.from(ga.data).some((v) => v !== 0)).toBe(true);
  });
});

describe.each(TEST_ENGINES)('%s engine learns', (name) => {
  it('a tiny conv autoencoder reduces its loss at least 10x in 300 steps', async () => {
    const engine = await createTestEngine(name, { tfjsBackend: 'wasm', onnxThreads: 1 });
    const imgs = new Float32Array(4 * 64);
    for (let n = 0; n < 4; n++)
      for (let i = 0; i < 8; i++) for (let j = 0; j < 8; j++) imgs[n * 64 + i * 8 + j] = Math.sin((i * (n + 1)) / 3 + j / (n + 2)) * 0.8;
    const x = HostTensor.from(imgs, [4, 1, 8, 8]);
    const rng = new Rng(11);
    const enc = new Variable(randn(rng, [8, 1, 3, 3], 0.3), true, 'enc.weight');
    const dec = new Variable(randn(rng, [8, 1, 4, 4], 0.2), true, 'dec.weight');
    const step = engine.compileTrainStep(
      (o, { x }) => {
        const h = o.leakyRelu(o.conv(x!, o.variable(enc), undefined, { stride: 2, padding: 1 }), 0.1);
        const y = o.convTranspose(h, o.variable(dec), undefined, { stride: 2, padding: 1 });
        return { loss: o.mean(o.square(o.sub(y, x!))) };
      },
      [enc, dec],
      { kind: 'adam', lr: 0.02 },
    );
    const first = (await step.run({ x })).outputs.loss.item();
    let last = first;
    for (let i = 0; i < 300; i++) last = (await step.run({ x })).outputs.loss.item();
    expect(last).toBeLessThan(first / 10);
    await engine.dispose();
  });
});
