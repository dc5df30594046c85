/**
 * A tiny GAN-regularized autoencoder, one generator step and one
 * discriminator step, the way a VQGAN trainer composes these losses:
 *   G: L1 + LPIPS + λ·hinge_G, λ from the decoder's last-layer gradients;
 *   D: hinge_D + 0.001·LeCam (EMA updated in-graph).
 */
import { Conv2d, HostTensor, LeakyReLU, Module, Rng, Sequential, type Engine, type Ops, type Tensor } from '@zoo/core';
import { LPIPS, LeCam, compileAdaptiveWeight, discriminatorLoss, generatorLoss, l1Loss } from '../src/index.js';
import { ENGINES, makeEngine } from './helpers.js';

const SIZE = 32; // the smallest convenient size AlexNet's LPIPS taps accept

/** One root so every variable gets a distinct dotted key (engines key graph inputs by it). */
class TinyGan extends Module {
  readonly encoder: Conv2d;
  readonly decoder: Conv2d;
  readonly disc: Sequential;
  constructor(rng: Rng) {
    super();
    this.encoder = this.child('encoder', new Conv2d(3, 4, 3, { padding: 1, rng }));
    this.decoder = this.child('decoder', new Conv2d(4, 3, 3, { padding: 1, rng }));
    this.disc = this.child(
      'disc',
      new Sequential(new Conv2d(3, 4, 4, { stride: 2, padding: 1, rng }), new LeakyReLU(0.2), new Conv2d(4, 1, 4, { padding: 1, rng })),
    );
    this.namedVariables();
  }
}

describe.each(ENGINES)('GAN-regularized autoencoder step on %s', (name) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await makeEngine(name);
  });
  afterAll(async () => engine?.dispose());

  test('G step with adaptive weight, then D step with hinge + LeCam', async () => {
    const rng = new Rng(11);
    const model = new TinyGan(rng);
    const { encoder, decoder, disc } = model;
    // Take parameter lists from the root: Module.parameters() on a child re-keys its variables without the prefix.
    const paramsUnder = (prefix: string) => model.namedVariables().filter(([k, v]) => v.trainable && k.startsWith(prefix)).map(([, v]) => v);
    const lpips = new LPIPS({ net: 'alex' });
    const lecam = new LeCam();
    const x = new HostTensor([2, 3, SIZE, SIZE], rng.fillUniform(new Float32Array(2 * 3 * SIZE * SIZE), -1, 1), 'float32');

    const reconstruct = (ops: Ops, img: Tensor) => ops.tanh(decoder.forward(ops, ops.relu(encoder.forward(ops, img))));
    const genLosses = (ops: Ops, i: { x: Tensor }) => {
      const rec = reconstruct(ops, i.x);
      return {
        reconstruction: ops.add(l1Loss(ops, rec, i.x), lpips.forward(ops, rec, i.x)),
        generator: generatorLoss(ops, 'hinge', disc.forward(ops, rec)),
      };
    };

    // λ from the helper, and from two separately taken gradients.
    const probe = compileAdaptiveWeight<{ x: HostTensor }>(engine, genLosses, decoder.weight);
    const { weight: lambda } = await probe.run({ x });
    const wrt = { variables: [decoder.weight] };
    const recGrad = await engine.valueAndGrad<{ x: HostTensor }, { loss: Tensor }>((ops, i) => ({ loss: genLosses(ops, i).reconstruction }), wrt).run({ x });
    const genGrad = await engine.valueAndGrad<{ x: HostTensor }, { loss: Tensor }>((ops, i) => ({ loss: genLosses(ops, i).generator }), wrt).run({ x });
    const norm = (t: HostTensor) => Math.sqrt(Array.from(t.data).reduce((s, v) => s + v * v, 0));
    const key = `grad:${decoder.weight.key}`;
    const expected = Math.min(Math.max(norm(recGrad[key]!) / (norm(genGrad[key]!) + 1e-4), 0), 1e4);
    expect(lambda).toBeGreaterThan(0);
    expect(lambda).toBeCloseTo(expected, 4);

    const gParams = [...paramsUnder('encoder.'), ...paramsUnder('decoder.')];
    const before = decoder.weight.value.clone();
    const gStep = engine.compileTrainStep<{ x: HostTensor; lambda: HostTensor }, { loss: Tensor; rec: Tensor; g: Tensor }>(
      (ops, i) => {
        const l = genLosses(ops, i);
        return { loss: ops.add(l.reconstruction, ops.mul(i.lambda, l.generator)), rec: l.reconstruction, g: l.generator };
      },
      gParams,
      { kind: 'adam', lr: 1e-3 },
    );
    const g = await gStep.run({ x, lambda: HostTensor.from([lambda], []) });
    await engine.sync();
    expect(Number.isFinite(g.outputs.loss.item())).toBe(true);
    expect(g.outputs.loss.item()).toBeCloseTo(g.outputs.rec.item() + lambda * g.outputs.g.item(), 4);
    expect(decoder.weight.value.data).not.toEqual(before.data);

    // D step: the reconstruction is a constant for D.
    const logits = engine.compile<{ x: HostTensor }, { real: Tensor }>((ops, i) => ({ real: disc.forward(ops, i.x) }));
    const { real: realLogits } = await logits.run({ x });
    const realMean = Array.from(realLogits.data).reduce((s, v) => s + v, 0) / realLogits.size;
    const dStep = engine.compileTrainStep<{ x: HostTensor }, { loss: Tensor; hinge: Tensor; lecam: Tensor }>(
      (ops, i) => {
        const fake = ops.stopGradient(reconstruct(ops, i.x));
        const real = disc.forward(ops, i.x);
        const fakeLogits = disc.forward(ops, fake);
        const hinge = discriminatorLoss(ops, 'hinge', real, fakeLogits);
        const reg = lecam.forward(ops, real, fakeLogits);
        return { loss: ops.add(hinge, ops.mul(reg, 0.001)), hinge, lecam: reg };
      },
      paramsUnder('disc.'),
      { kind: 'adam', lr: 1e-3 },
    );
    const d = await dStep.run({ x });
    await engine.sync();
    expect(Number.isFinite(d.outputs.loss.item())).toBe(true);
    expect(d.outputs.lecam.item()).toBeGreaterThanOrEqual(0);
    // EMA init 0, decay 0.999: after one update it holds 0.001 · batch mean.
    expect(lecam.emaReal.value.item()).toBeCloseTo(0.001 * realMean, 6);
    expect(lecam.numUpdates.value.item()).toBe(1);
  });
});
