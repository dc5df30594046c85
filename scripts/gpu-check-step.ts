/**
 * Times one training step of a preset on the onnx engine's CPU and WebGPU
 * devices (run by scripts/gpu-check.sh; `pnpm exec tsx scripts/gpu-check-step.ts
 * [preset] [steps]`). The bench's default clip size (17 frames, 16 px,
 * batch 2) with the discriminator on from step 0, so the step timed is the
 * full one (generator + discriminator programs). The first step compiles
 * and is reported apart; the median of the others is the step time.
 */
import { createOnnxEngine, type OnnxDevice } from '../packages/core/src/index.js';
import { SyntheticDataset, syntheticSchema } from '../packages/bench/src/data/synthetic.js';
import { presetSpec } from '../packages/bench/src/tokenizer/presets.js';
import { Tokenizer } from '../packages/bench/src/tokenizer/tokenizer.js';
import { trainConfigSchema } from '../packages/bench/src/train/config.js';
import { train } from '../packages/bench/src/train/trainer.js';

const preset = process.argv[2] ?? 'vqgan';
const steps = Number(process.argv[3] ?? 6);
const frames = 17;
const resolution = 16;

async function time(device: OnnxDevice): Promise<{ firstMs: number; stepMs: number }> {
  const engine = await createOnnxEngine({ device });
  try {
    const s = presetSpec(preset, { frames, resolution, codebookSize: 256 });
    const spec = { ...s, losses: { ...s.losses, discStart: 0 } };
    const data = new SyntheticDataset(syntheticSchema.parse({ frames, resolution, sampling: 'train', length: 64, seed: 1 }));
    const stamps: number[] = [performance.now()];
    const config = trainConfigSchema.parse({ steps, batch: 2, checkpointEvery: 0, restartEvery: 0 });
    await train({ engine, tokenizer: new Tokenizer(spec), config, data, onStep: () => stamps.push(performance.now()) });
    const d = stamps.slice(1).map((t, i) => t - stamps[i]!);
    const rest = d.slice(1).sort((a, b) => a - b);
    return { firstMs: d[0]!, stepMs: rest[Math.floor(rest.length / 2)] ?? NaN };
  } finally {
    await engine.dispose();
  }
}

const rows: [string, { firstMs: number; stepMs: number }][] = [];
for (const device of ['cpu', 'webgpu'] as const) rows.push([device, await time(device)]);
console.log(`preset ${preset}, ${frames} frames x ${resolution} px, batch 2, generator + discriminator step (median of ${steps - 1})`);
for (const [device, r] of rows) console.log(`  onnx ${device.padEnd(6)}  step ${r.stepMs.toFixed(1)} ms   first step (compile) ${r.firstMs.toFixed(0)} ms`);
const [cpu, gpu] = [rows[0]![1].stepMs, rows[1]![1].stepMs];
console.log(`  webgpu / cpu step time: ${(gpu / cpu).toFixed(2)}`);
