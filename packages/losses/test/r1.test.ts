import { Conv2d, HostTensor, Module, Rng, type Engine, type Ops, type Tensor } from '@zoo/core';
import { r1PenaltyEstimate } from '../src/index.js';
import { ENGINES, makeEngine } from './helpers.js';

class SmoothCritic extends Module {
  readonly a: Conv2d;
  readonly b: Conv2d;
  constructor(rng: Rng) {
    super();
    this.a = this.child('a', new Conv2d(3, 2, 3, { padding: 1, rng }));
    this.b = this.child('b', new Conv2d(2, 1, 3, { rng }));
    this.namedVariables();
  }
  forward(ops: Ops, x: Tensor): Tensor {
    return this.b.forward(ops, ops.tanh(this.a.forward(ops, x)));
  }
}

describe.each(ENGINES)('R1 penalty estimate on %s', (name) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await makeEngine(name);
  });
  afterAll(async () => engine?.dispose());

  test('averaged over a scaled basis of directions it equals ‖∇_x ΣD(x)‖², and it trains D', async () => {
    const rng = new Rng(21);
    const critic = new SmoothCritic(rng);
    const dim = 3 * 4 * 4;
    const x = new HostTensor([1, 3, 4, 4], rng.fillNormal(new Float32Array(dim)), 'float32');
    const exact = engine.valueAndGrad<{ x: HostTensor }, { loss: Tensor }>((ops, i) => ({ loss: ops.sum(critic.forward(ops, i.x)) }), {
      inputs: ['x'],
    });
    const g = (await exact.run({ x }))['grad:x']!;
    const normSq = Array.from(g.data).reduce((s, v) => s + v * v, 0);

    // Batch of `dim` copies of x, sample b probed along √dim·e_b: the mean of squares is exactly Σ g_i².
    const tiled = new Float32Array(dim * dim);
    const dirs = new Float32Array(dim * dim);
    for (let b = 0; b < dim; b++) {
      tiled.set(x.data, b * dim);
      dirs[b * dim + b] = Math.sqrt(dim);
    }
    const shape = [dim, 3, 4, 4];
    const inputs = { real: new HostTensor(shape, tiled, 'float32'), dir: new HostTensor(shape, dirs, 'float32') };
    const params = critic.parameters();
    const est = engine.valueAndGrad<typeof inputs, { loss: Tensor }>(
      (ops, i) => ({ loss: r1PenaltyEstimate(ops, (t) => critic.forward(ops, t), i.real, i.dir, 1e-2) }),
      { variables: params },
    );
    const out = await est.run(inputs);
    expect(normSq).toBeGreaterThan(1e-3);
    expect(Math.abs(out.loss.item() - normSq)).toBeLessThan(2e-3 * normSq);
    const gradA = out[`grad:${critic.a.weight.key}`]!;
    expect(Array.from(gradA.data).some((v) => Math.abs(v) > 0)).toBe(true);
  });
});
