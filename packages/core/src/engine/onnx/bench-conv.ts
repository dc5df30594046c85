/**
 * The engine benchmark's workload: one convolution layer (bias, 'same'
 * padding) trained with Adam on a mean-squared loss, timed as forward-only
 * and as a full train step (forward + backward + Adam). Engine-neutral, so
 * `pnpm bench engine` can time both engines with it and print ratios.
 * Timings are the minimum over `repeats` runs after `warmup` runs, because
 * the benchmark machines are shared.
 */
import type { Engine } from '../engine.js';
import type { Tensor } from '../../ops.js';
import { HostTensor, sizeOf } from '../../tensor.js';
import { Variable } from '../../nn/variable.js';
import { Rng } from '../../util/rng.js';

export interface ConvLayerBench {
  /** [N, Cin, ...spatial], e.g. [4, 64, 64, 64] or [1, 64, 8, 32, 32]. */
  input: readonly number[];
  cout: number;
  kernel: number;
  /** Default 2. */
  warmup?: number;
  /** Default 5. */
  repeats?: number;
}

export interface ConvLayerTimes {
  forwardMs: number;
  trainStepMs: number;
}

export async function benchConvLayer(engine: Engine, b: ConvLayerBench): Promise<ConvLayerTimes> {
  const rng = new Rng(1);
  const [, cin] = b.input as [number, number];
  const nsp = b.input.length - 2;
  const wShape = [b.cout, cin, ...new Array<number>(nsp).fill(b.kernel)];
  const fanIn = cin * b.kernel ** nsp;
  const w = new Variable(HostTensor.from(rng.fillNormal(new Float32Array(sizeOf(wShape)), 0, 1 / Math.sqrt(fanIn)), wShape), true, 'conv.weight');
  const bias = new Variable(HostTensor.zeros([b.cout]), true, 'conv.bias');
  const x = HostTensor.from(rng.fillNormal(new Float32Array(sizeOf(b.input))), b.input);
  const pad = Math.floor(b.kernel / 2);
  type I = { x: HostTensor };
  const fwd = engine.compile<I, { y: Tensor }>((o, { x }) => ({
    y: o.conv(x, o.variable(w), o.variable(bias), { padding: pad }),
  }));
  const step = engine.compileTrainStep<I, { loss: Tensor }>(
    (o, { x }) => ({ loss: o.mean(o.square(o.conv(x, o.variable(w), o.variable(bias), { padding: pad }))) }),
    [w, bias],
    { kind: 'adam', lr: 1e-4 },
  );
  const time = async (f: () => Promise<unknown>): Promise<number> => {
    for (let i = 0; i < (b.warmup ?? 2); i++) await f();
    let best = Infinity;
    for (let i = 0; i < (b.repeats ?? 5); i++) {
      const t0 = performance.now();
      await f();
      best = Math.min(best, performance.now() - t0);
    }
    return best;
  };
  const forwardMs = await time(() => fwd.run({ x }));
  const trainStepMs = await time(() => step.run({ x }));
  return { forwardMs, trainStepMs };
}
