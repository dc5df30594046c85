/**
 * Trainer behaviour at a tiny budget: a run killed mid-way and resumed ends
 * exactly where an uninterrupted run ends (same seed), and a non-finite loss
 * stops training with a clear message while the last good checkpoint stays.
 */
import { readdirSync } from 'node:fs';
import { createEngine, HostTensor, type Engine } from '@zoo/core';
import { batchClips, type Dataset } from '../src/data/dataset.js';
import { SyntheticDataset, syntheticSchema } from '../src/data/synthetic.js';
import { presetSpec } from '../src/tokenizer/presets.js';
import { Tokenizer } from '../src/tokenizer/tokenizer.js';
import { loadLatestCheckpoint } from '../src/train/checkpoint.js';
import { trainConfigSchema } from '../src/train/config.js';
import { NonFiniteLossError, train, TrainingAbortedError } from '../src/train/trainer.js';
import { makeTempDir, removeTempDirs } from '@zoo/core/testing';

afterAll(removeTempDirs);

const data = (): Dataset => new SyntheticDataset(syntheticSchema.parse({ frames: 2, resolution: 8, sampling: 'train', length: 6, seed: 3 }));
const spec = (q: string) => {
  const s = presetSpec('vqgan', { frames: 2, resolution: 8, codebookSize: 16, quantizer: q });
  // Tiny and with the GAN phase inside the budget, so the resume crosses a D-step checkpoint too.
  return { ...s, encoder: { ...s.encoder, config: { ...s.encoder.config, ch: 4, normGroups: 2 } }, losses: { ...s.losses, discStart: 3, perceptualWeight: 0 } };
};
const config = trainConfigSchema.parse({ steps: 6, batch: 2, lr: 1e-3, checkpointEvery: 2, restartEvery: 3, seed: 1 });

function flat(t: Tokenizer): number[] {
  return Object.values(t.stateDict()).flatMap((v) => Array.from(v.data));
}

describe.each(['onnx'] as const)('trainer on %s', (name) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await createEngine({ engine: name });
  });
  afterAll(async () => {
    await engine.dispose();
  });

  it('resumes a killed run to the same final state as an uninterrupted run', async () => {
    const full = new Tokenizer(spec('vq'));
    const dirA = makeTempDir('zoo-train-a-');
    const a = await train({ engine, tokenizer: full, config, data: data(), checkpointDir: dirA });
    expect(a.state.step).toBe(6);

    const dirB = makeTempDir('zoo-train-b-');
    const ctrl = new AbortController();
    const first = new Tokenizer(spec('vq'));
    await expect(
      train({ engine, tokenizer: first, config, data: data(), checkpointDir: dirB, signal: ctrl.signal, checkpointOnAbort: false, onStep: (s) => s === 5 && ctrl.abort() }),
    ).rejects.toThrow(TrainingAbortedError);
    // Killed after step 5: the newest checkpoint is step 4.
    expect((await loadLatestCheckpoint(dirB))!.state.step).toBe(4);

    const resumed = new Tokenizer(spec('vq'));
    const b = await train({ engine, tokenizer: resumed, config, data: data(), checkpointDir: dirB, resume: true });
    expect(b.resumedFrom).toBe(4);
    expect(b.stepsThisRun).toBe(2);
    expect(b.state.curves.map((c) => c['loss'])).toEqual(a.state.curves.map((c) => c['loss']));
    expect(flat(resumed)).toEqual(flat(full));
  }, 240_000);

  it('stops on a non-finite loss and keeps the last good checkpoint', async () => {
    const clean = data();
    // Batch 3 (0-based) carries a NaN pixel: the step that sees it must not be saved.
    let batchNo = 0;
    const poisoned: Dataset = {
      ...clean,
      name: 'poisoned',
      length: clean.length,
      clipShape: clean.clipShape,
      sampling: clean.sampling,
      clips: (o) => clean.clips(o),
      stats: () => clean.stats(),
      batches: (n, o) =>
        (async function* () {
          for await (const b of batchClips(clean.clips(o), n)) {
            if (batchNo++ === 3) {
              const bad = b.clone();
              bad.data[0] = Number.NaN;
              yield bad as HostTensor<'float32'>;
            } else yield b;
          }
        })(),
    };
    const dir = makeTempDir('zoo-train-nan-');
    const tok = new Tokenizer(spec('fsq'));
    const err = await train({ engine, tokenizer: tok, config, data: poisoned, checkpointDir: dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NonFiniteLossError);
    expect((err as Error).message).toMatch(/diverged at step 4.*last good checkpoint is .*step-0000002/);
    expect(readdirSync(dir).filter((n) => n.startsWith('step-'))).toEqual(['step-0000002']);
  }, 240_000);
});
