import type { Engine, Tensor } from '@zoo/core';
import { LeCam, lecamPenalty } from '../src/index.js';
import { ENGINES, expectClose, host, loadFixture, makeEngine, type JsonTensor } from './helpers.js';

interface Batch {
  dis_real: JsonTensor;
  dis_fake: JsonTensor;
}
interface LeCamFixture {
  given_ema_cases: { ema_real: number; ema_fake: number; inputs: Batch; loss: JsonTensor; grads: Batch }[];
  biggan_sequence: { itr: number; inputs: Batch; ema_after_update: { D_real: number; D_fake: number }; loss: JsonTensor }[];
  open_magvit2_sequence: {
    itr: number;
    inputs: Batch;
    ema_after_update: { logits_real_ema: number; logits_fake_ema: number };
    loss: JsonTensor;
  }[];
}

const fx = loadFixture<LeCamFixture>('lecam.json');
const batch = (b: Batch) => ({ real: host(b.dis_real), fake: host(b.dis_fake) });
type In = ReturnType<typeof batch>;

describe.each(ENGINES)('LeCam on %s', (name) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await makeEngine(name);
  });
  afterAll(async () => engine?.dispose());

  test.each(fx.given_ema_cases.map((c) => [`${c.ema_real}/${c.ema_fake}`, c] as const))(
    'penalty with given EMA %s: value and gradients',
    async (_label, c) => {
      const vg = engine.valueAndGrad<In, { loss: Tensor }>(
        (ops, x) => ({ loss: lecamPenalty(ops, x.real, x.fake, c.ema_real, c.ema_fake) }),
        { inputs: ['real', 'fake'] },
      );
      const out = await vg.run(batch(c.inputs));
      expectClose(out.loss, c.loss, { rtol: 0, atol: 1e-6 });
      expectClose(out['grad:real']!, c.grads.dis_real, { rtol: 0, atol: 1e-6 });
      expectClose(out['grad:fake']!, c.grads.dis_fake, { rtol: 0, atol: 1e-6 });
    },
  );

  async function runSequence(lecam: LeCam, steps: { inputs: Batch; loss: JsonTensor; ema: [number, number] }[]): Promise<void> {
    const fn = engine.compile<In, { loss: Tensor }>((ops, x) => ({ loss: lecam.forward(ops, x.real, x.fake) }));
    for (const [i, s] of steps.entries()) {
      const out = await fn.run(batch(s.inputs));
      await engine.sync();
      expectClose(out.loss, s.loss, { rtol: 0, atol: 2e-6 });
      expect(lecam.emaReal.value.item()).toBeCloseTo(s.ema[0], 5);
      expect(lecam.emaFake.value.item()).toBeCloseTo(s.ema[1], 5);
      expect(lecam.numUpdates.value.item()).toBe(i + 1);
    }
  }

  test('BigGAN EMA (init 1000, decay 0.9, start 2), EMA updated before the loss', async () => {
    const lecam = new LeCam({ init: 1000, decay: 0.9, startStep: 2 });
    await runSequence(
      lecam,
      fx.biggan_sequence.map((s) => ({ inputs: s.inputs, loss: s.loss, ema: [s.ema_after_update.D_real, s.ema_after_update.D_fake] })),
    );
  });

  test('Open-MAGVIT2 EMA (init 0, decay 0.999), EMA updated before the loss', async () => {
    const lecam = new LeCam();
    await runSequence(
      lecam,
      fx.open_magvit2_sequence.map((s) => ({
        inputs: s.inputs,
        loss: s.loss,
        ema: [s.ema_after_update.logits_real_ema, s.ema_after_update.logits_fake_ema],
      })),
    );
  });

  test("updateOrder 'after-loss' uses the EMA from before the batch", async () => {
    const lecam = new LeCam({ updateOrder: 'after-loss' });
    const s0 = fx.open_magvit2_sequence[0]!;
    const fn = engine.compile<In, { loss: Tensor; ref: Tensor }>((ops, x) => ({
      loss: lecam.forward(ops, x.real, x.fake),
      ref: lecamPenalty(ops, x.real, x.fake, 0, 0),
    }));
    const out = await fn.run(batch(s0.inputs));
    expectClose(out.loss, out.ref, { rtol: 0, atol: 0 });
    await engine.sync();
    expect(lecam.emaReal.value.item()).toBeCloseTo(s0.ema_after_update.logits_real_ema, 6);
  });
});
