/**
 * The onnx engine's WebGPU device against its CPU device, per encoder family
 * x quantizer, in two parts (small shapes: 8 px, 2-3 frames, 4 channels keep
 * lavapipe fast):
 * 1. One step of the real training loop from the same initialization and
 *    data: the losses agree (relErr < 1e-4: float32 kernels summing in another
 *    order), buffers within 2e-4, and parameters as Adam allows (below).
 * 2. The gradients: the CPU run's state after that step is loaded on both
 *    devices and the generator objective's gradient w.r.t. every parameter is
 *    compared, each within 1e-3 of its own largest |value| plus 1e-6 of the
 *    largest over all parameters (for parameters whose gradient is float
 *    noise). A 0.2% error in any one tensor fails this.
 * Parameters after an Adam step cannot carry the gradient check: the first
 * step is lr·g/(|g| + eps), which hides magnitudes and turns float noise in
 * a near-zero gradient into a move of up to lr; and the previous design's
 * second step started from states that differ by ~1e-7, enough for rounding
 * to flip a near-tied code assignment (seen on lavapipe with causal3d +
 * simvq, docs/benchmarks.md, 2026-12-05 A/Bs). Part 2 starts both devices
 * from the same bits.
 * Skips with the reason when no WebGPU adapter starts.
 */
import { createOnnxEngine, type Engine, type HostTensor, type Tensor } from '@zoo/core';
import { describeOnWebGpu, maxAbs, maxAbsDiff, relErr } from '@zoo/core/testing';
import { SyntheticDataset, syntheticSchema } from '../src/data/synthetic.js';
import { presetSpec, withQuantizer } from '../src/tokenizer/presets.js';
import { quantizerNames } from '@zoo/quantizers';
import { Tokenizer } from '../src/tokenizer/tokenizer.js';
import { trainConfigSchema } from '../src/train/config.js';
import { train } from '../src/train/trainer.js';
import { BatchStream } from '../src/train/batch-stream.js';
import { generatorObjective } from '../src/train/objectives.js';

/** Encoder family -> the preset that uses it (its recipe around the encoder), and a frame count its temporal compression takes. */
const FAMILIES = [
  ['conv2d', 'vqgan', 2],
  ['inflated3d', 'magvit', 2],
  ['causal3d', 'magvit2', 3],
] as const;

const LR = 1e-3;
const cases = FAMILIES.flatMap(([family, preset, frames]) => quantizerNames().map((q) => [family, q, preset, frames] as const));

function caseSpec(preset: string, quantizer: string, frames: number) {
  const base = withQuantizer(presetSpec(preset, { frames, resolution: 8, codebookSize: 16 }), quantizer, 16);
  const spec = {
    ...base,
    encoder: { ...base.encoder, config: { ...base.encoder.config, ch: 4, normGroups: 2 } },
    // the GAN and LPIPS are other suites' business (discriminators, losses); this one is encoder x quantizer
    discriminator: undefined,
    losses: { ...base.losses, perceptualWeight: 0, discWeight: 0 },
  };
  const data = new SyntheticDataset(syntheticSchema.parse({ frames, resolution: 8, sampling: 'train', length: 4, seed: 1 }));
  return { spec, data };
}
type Case = ReturnType<typeof caseSpec>;

async function trainOneStep(engine: Engine, { spec, data }: Case) {
  const tokenizer = new Tokenizer(spec);
  const losses: number[] = [];
  const config = trainConfigSchema.parse({ steps: 1, batch: 2, lr: LR, warmupSteps: 0, checkpointEvery: 0, restartEvery: 0, seed: 3 });
  await train({ engine, tokenizer, config, data, onStep: (_s, v) => losses.push(v['loss']!) });
  await engine.sync();
  return { losses, state: tokenizer.stateDict(), trained: new Set(tokenizer.generatorParams().map((v) => v.key)) };
}

async function gradients(engine: Engine, { spec, data }: Case, state: Record<string, HostTensor>) {
  const tokenizer = new Tokenizer(spec);
  tokenizer.loadStateDict(state);
  const { batch } = await new BatchStream(data, 2, 0, 0).next();
  const vg = engine.valueAndGrad<{ x: HostTensor }, Record<string, Tensor> & { loss: Tensor }>(generatorObjective({ tokenizer, losses: spec.losses }, false), { variables: tokenizer.generatorParams() });
  const out = await vg.run({ x: batch });
  return Object.fromEntries(vg.gradKeys.map((k) => [k, out[k]!]));
}

/** Engines per case, disposed after it: GPU sessions do not pile up over the cases. */
async function onDevice<T>(device: 'cpu' | 'webgpu', f: (engine: Engine) => Promise<T>): Promise<T> {
  const engine = await createOnnxEngine({ device });
  try {
    return await f(engine);
  } finally {
    await engine.dispose();
  }
}

await describeOnWebGpu('one train step and the gradients per encoder family x quantizer: webgpu vs cpu', () => {
  it.each(cases)('%s + %s (%s recipe): loss within 1e-4, buffers within 2e-4, 99.9%% of parameters within 2e-4, gradients within 1e-3', async (_family, q, preset, frames) => {
    const k = caseSpec(preset, q, frames);
    const [c, g] = [await onDevice('cpu', (e) => trainOneStep(e, k)), await onDevice('webgpu', (e) => trainOneStep(e, k))];
    expect(g.losses.length).toBe(1);
    expect(relErr([g.losses[0]!], [c.losses[0]!])).toBeLessThan(1e-4);
    expect(Object.keys(g.state).sort()).toEqual(Object.keys(c.state).sort());
    // Buffers (EMA codebooks, running statistics) are not Adam-normalised: tight. A parameter's first Adam step
    // is lr·g/(|g| + eps), so an element whose gradient is float noise (ibq's decoder GroupNorm bias at this
    // width, a near-zero weight) moves by up to ±lr on either device: each element within 2·lr, and all but
    // 0.1% of the elements within 2e-4 (seen: at most 1 of 45375; a missing or sign-flipped update moves
    // whole tensors by ~lr).
    let off = 0;
    let total = 0;
    for (const [name, t] of Object.entries(c.state)) {
      const gt = g.state[name]!.data;
      const d = maxAbsDiff(gt, t.data);
      if (d >= (c.trained.has(name) ? 2 * LR : 2e-4)) throw new Error(`${name}: after one step webgpu and cpu differ by ${d}`);
      if (!c.trained.has(name)) continue;
      total += t.size;
      for (let i = 0; i < t.size; i++) if (Math.abs(gt[i]! - t.data[i]!) >= 2e-4) off++;
    }
    expect(off / total).toBeLessThan(1e-3);

    const [gc, gg] = [await onDevice('cpu', (e) => gradients(e, k, c.state)), await onDevice('webgpu', (e) => gradients(e, k, c.state))];
    const largest = Math.max(...Object.values(gc).map((t) => maxAbs(t.data)));
    for (const [name, t] of Object.entries(gc)) {
      const d = maxAbsDiff(gg[name]!.data, t.data);
      const tol = 1e-3 * maxAbs(t.data) + 1e-6 * largest;
      if (!(d <= tol)) throw new Error(`${name}: gradients on webgpu and cpu differ by ${d} (tolerance ${tol})`);
    }
  }, 180_000);
});
