/**
 * `pnpm bench engine`: the same workloads on every engine in one run, so the
 * ratios printed are measured on the same machine at the same time.
 * Workloads (issue #3): a conv2d layer (4x64x64x64, k3), a conv3d layer
 * (1x64x8x32x32, k3), a 2048^3 matmul and a small 3D-conv autoencoder; each
 * timed as forward only and as one train step (forward + backward + Adam).
 */
import {
  HostTensor,
  Rng,
  timeRepeats,
  Variable,
  sizeOf,
  silu,
  upsampleNearest,
  type Engine,
  type Ops,
  type Tensor,
  type Shape,
} from '@zoo/core';

export interface Workload {
  name: string;
  /** FLOPs of one forward pass (multiply-add = 2). */
  forwardFlops: number;
  inputs: Record<string, HostTensor>;
  params: Variable[];
  loss(ops: Ops, inputs: Record<string, Tensor>): Tensor;
  /** Matmul has no train step worth timing; it is forward only. */
  trainable: boolean;
}

function randn(rng: Rng, shape: Shape, std = 1): HostTensor<'float32'> {
  return new HostTensor(shape, rng.fillNormal(new Float32Array(sizeOf(shape)), 0, std), 'float32');
}

function convParam(rng: Rng, shape: Shape, key: string): Variable {
  const fanIn = sizeOf(shape.slice(1));
  return new Variable(randn(rng, shape, 1 / Math.sqrt(fanIn)), true, key);
}

export function convLayer(dims: 2 | 3): Workload {
  const rng = new Rng(dims);
  const xShape = dims === 2 ? [4, 64, 64, 64] : [1, 64, 8, 32, 32];
  const wShape = dims === 2 ? [64, 64, 3, 3] : [64, 64, 3, 3, 3];
  const w = convParam(rng, wShape, 'weight');
  const b = new Variable(HostTensor.zeros([64]), true, 'bias');
  const outElems = sizeOf(xShape); // same padding, stride 1, Cout = Cin
  return {
    name: `conv${dims}d ${xShape.join('x')} k3`,
    forwardFlops: 2 * outElems * sizeOf(wShape.slice(1)),
    inputs: { x: randn(rng, xShape) },
    params: [w, b],
    trainable: true,
    loss: (ops, { x }) => ops.mean(ops.square(ops.conv(x!, ops.variable(w), ops.variable(b), { padding: 1 }))),
  };
}

export function matmul(n = 2048): Workload {
  const rng = new Rng(7);
  const b = new Variable(randn(rng, [n, n]), true, 'b');
  return {
    name: `matmul ${n}^3`,
    forwardFlops: 2 * n ** 3,
    inputs: { a: randn(rng, [n, n]) },
    params: [b],
    trainable: false,
    loss: (ops, { a }) => ops.mean(ops.matmul(a!, ops.variable(b))),
  };
}

/**
 * A small video autoencoder (channels 3-32-64, two stride-2 3D convs down,
 * nearest-upsample + conv up) on a 1x3x8x32x32 clip; enough layers that
 * per-op overheads show, small enough for tfjs-wasm.
 */
export function autoencoder3d(): Workload {
  const rng = new Rng(3);
  const layers: [number, number][] = [
    [3, 32],
    [32, 64],
    [64, 32],
    [32, 3],
  ];
  const ws = layers.map(([ci, co], i) => convParam(rng, [co, ci, 3, 3, 3], `conv${i}.weight`));
  const bs = layers.map(([, co], i) => new Variable(HostTensor.zeros([co]), true, `conv${i}.bias`));
  const x0: Shape = [1, 3, 8, 32, 32];
  const flops =
    2 * (32 * 4 * 16 * 16) * 3 * 27 + // 3->32 stride 2
    2 * (64 * 2 * 8 * 8) * 32 * 27 + // 32->64 stride 2
    2 * (32 * 4 * 16 * 16) * 64 * 27 + // up, 64->32
    2 * (3 * 8 * 32 * 32) * 32 * 27; // up, 32->3
  return {
    name: `autoencoder3d ${x0.join('x')}`,
    forwardFlops: flops,
    inputs: { x: randn(rng, x0) },
    params: [...ws, ...bs],
    trainable: true,
    loss: (ops, { x }) => {
      const conv = (h: Tensor, i: number, stride: number) =>
        ops.conv(h, ops.variable(ws[i]!), ops.variable(bs[i]!), { stride, padding: 1 });
      let h = silu(ops, conv(x!, 0, 2));
      h = silu(ops, conv(h, 1, 2));
      h = silu(ops, conv(upsampleNearest(ops, h, 2), 2, 1));
      const y = conv(upsampleNearest(ops, h, 2), 3, 1);
      return ops.mean(ops.square(ops.sub(y, x!)));
    },
  };
}

export const WORKLOADS = {
  conv2d: () => convLayer(2),
  conv3d: () => convLayer(3),
  matmul: () => matmul(),
  autoencoder: () => autoencoder3d(),
} as const;
export type WorkloadName = keyof typeof WORKLOADS;

export interface Timing {
  workload: string;
  engine: string;
  phase: 'forward' | 'train';
  /** Median of the timed runs after one warm-up, in milliseconds (core's timingStats). */
  ms: number;
  runs: number;
  gflops: number;
}

/**
 * Times `phase` of a workload: one warm-up call (compilation, allocation), then
 * up to `repeats` runs while their total stays under `budgetMs` (at least one).
 */
export async function timeWorkload(
  engine: Engine,
  w: Workload,
  phase: 'forward' | 'train',
  opts: { repeats: number; budgetMs: number },
): Promise<Timing> {
  let run: () => Promise<unknown>;
  if (phase === 'forward') {
    const f = engine.compile((ops, inputs) => ({ loss: w.loss(ops, inputs) }));
    run = () => f.run(w.inputs);
  } else {
    const step = engine.compileTrainStep((ops, inputs) => ({ loss: w.loss(ops, inputs) }), w.params, {
      kind: 'adam',
      lr: 1e-4,
    });
    run = () => step.run(w.inputs);
  }
  const { medianMs, n } = await timeRepeats(run, { warmup: 1, repeats: opts.repeats, budgetMs: opts.budgetMs });
  // A train step costs about three forward passes (forward, input grad, weight grad).
  const flops = phase === 'train' ? 3 * w.forwardFlops : w.forwardFlops;
  return { workload: w.name, engine: engine.name === 'tfjs' ? `tfjs-${engine.device}` : `onnx-${engine.device}`, phase, ms: medianMs, runs: n, gflops: flops / (medianMs * 1e6) };
}
