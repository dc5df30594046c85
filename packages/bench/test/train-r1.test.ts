/**
 * The optional R1 penalty in the discriminator step (losses.r1Weight): the
 * D step reports it, it is finite and positive on real clips, and a zero
 * weight leaves the D loss unchanged (same seed, same data).
 */
import { createEngine, type Engine } from '@zoo/core';
import { SyntheticDataset, syntheticSchema } from '../src/data/synthetic.js';
import { presetSpec } from '../src/tokenizer/presets.js';
import { Tokenizer } from '../src/tokenizer/tokenizer.js';
import { trainConfigSchema } from '../src/train/config.js';
import { train } from '../src/train/trainer.js';

const data = () => new SyntheticDataset(syntheticSchema.parse({ frames: 2, resolution: 8, sampling: 'train', length: 4, seed: 1 }));
const spec = (r1Weight: number) => {
  const s = presetSpec('vqgan', { frames: 2, resolution: 8, codebookSize: 16, quantizer: 'fsq' });
  return { ...s, encoder: { ...s.encoder, config: { ...s.encoder.config, ch: 4, normGroups: 2 } }, losses: { ...s.losses, discStart: 0, perceptualWeight: 0, r1Weight } };
};
const config = trainConfigSchema.parse({ steps: 3, batch: 2, lr: 1e-3, checkpointEvery: 0, seed: 2 });

describe('R1 in the discriminator step (onnx)', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await createEngine({ engine: 'onnx' });
  });
  afterAll(async () => {
    await engine.dispose();
  });

  it('adds γ/2 · R1 to the D loss when r1Weight > 0', async () => {
    const seen: Record<string, number>[] = [];
    await train({ engine, tokenizer: new Tokenizer(spec(10)), config, data: data(), onStep: (_s, v) => seen.push(v) });
    for (const v of seen) {
      expect(Number.isFinite(v['d_r1'])).toBe(true);
      expect(v['d_r1']).toBeGreaterThan(0);
      expect(v['d_loss']).toBeCloseTo(v['d_dloss']! + 5 * v['d_r1']!, 4);
    }
    const off: Record<string, number>[] = [];
    await train({ engine, tokenizer: new Tokenizer(spec(0)), config, data: data(), onStep: (_s, v) => off.push(v) });
    expect(off[0]!['d_r1']).toBeUndefined();
    // step 1 runs on identical weights and data: the GAN loss itself is unchanged by the penalty
    expect(off[0]!['d_dloss']).toBeCloseTo(seen[0]!['d_dloss']!, 5);
  }, 120_000);
});
