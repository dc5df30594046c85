/**
 * The tokenizer's default parameter init (tokenizer/init.ts): He-normal conv
 * weights with every residual branch's last conv zeroed. Checked directly on
 * the weights, and by what it is for: the same tiny tokenizer, same data and
 * seed, reconstructs better after a few dozen steps than with PyTorch's
 * default init (the slow start that kept the default run under the
 * mean-frame baseline).
 */
import { createEngine, type Engine } from '@zoo/core';
import { SyntheticDataset, syntheticSchema } from '../src/data/synthetic.js';
import { presetSpec } from '../src/tokenizer/presets.js';
import type { InitScheme } from '../src/tokenizer/init.js';
import { Tokenizer } from '../src/tokenizer/tokenizer.js';
import { trainConfigSchema } from '../src/train/config.js';
import { train } from '../src/train/trainer.js';

const spec = (init: InitScheme) => ({ ...presetSpec('vqgan', { frames: 1, resolution: 16, codebookSize: 64, quantizer: 'fsq' }), init, discriminator: undefined });

function std(xs: Float32Array): number {
  const m = xs.reduce((s, v) => s + v, 0) / xs.length;
  return Math.sqrt(xs.reduce((s, v) => s + (v - m) ** 2, 0) / xs.length);
}

describe('tokenizer init', () => {
  it("'kaiming-zero-residual' zeroes each res block's last conv and draws the other convs from N(0, 2/fan_in)", () => {
    const state = new Tokenizer(spec('kaiming-zero-residual')).stateDict();
    const residualOut = Object.keys(state).filter((k) => /\.conv2\.(weight|bias)$/.test(k));
    expect(residualOut.length).toBeGreaterThan(0);
    for (const k of residualOut) expect(state[k]!.data.every((v) => v === 0)).toBe(true);
    const w = state['encoder.conv_in.weight']!;
    const fanIn = w.shape.slice(1).reduce((a, b) => a * b, 1);
    expect(std(w.data)).toBeCloseTo(Math.sqrt(2 / fanIn), 1);
    expect(state['encoder.conv_in.bias']!.data.every((v) => v === 0)).toBe(true);
  });

  it("'torch' keeps PyTorch's default U(±1/√fan_in) init", () => {
    const state = new Tokenizer(spec('torch')).stateDict();
    const w = state['decoder.mid.block_1.conv2.weight']!;
    const bound = 1 / Math.sqrt(w.shape.slice(1).reduce((a, b) => a * b, 1));
    expect(w.data.some((v) => v !== 0)).toBe(true);
    expect(w.data.every((v) => Math.abs(v) <= bound)).toBe(true);
  });

  describe('learning speed', () => {
    let engine: Engine;
    beforeAll(async () => {
      engine = await createEngine({ engine: 'onnx' });
    });
    afterAll(async () => {
      await engine.dispose();
    });

    async function finalRec(init: InitScheme): Promise<number> {
      const data = new SyntheticDataset(syntheticSchema.parse({ frames: 1, resolution: 16, sampling: 'train', length: 64, seed: 5 }));
      const config = trainConfigSchema.parse({ steps: 40, batch: 8, lr: 2e-3, checkpointEvery: 0, seed: 5 });
      const r = await train({ engine, tokenizer: new Tokenizer(spec(init)), config, data });
      const last = r.state.curves.slice(-8).map((p) => p['rec']!);
      return last.reduce((s, v) => s + v, 0) / last.length;
    }

    it('reconstructs better after 40 steps (same data and seed) than the same tokenizer with PyTorch default init', async () => {
      const ours = await finalRec('kaiming-zero-residual');
      const torch = await finalRec('torch');
      expect(ours).toBeLessThan(torch);
    }, 120_000);
  });
});
