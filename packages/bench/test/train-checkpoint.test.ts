import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { CheckpointError, HostTensor, readSafetensorsWithMetadata } from '@zoo/core';
import { loadCheckpoint, loadLatestCheckpoint, saveCheckpoint, type TrainState } from '../src/train/checkpoint.js';
import { learningRate, stepSeed, trainConfigSchema } from '../src/train/config.js';
import { makeTempDir, removeTempDirs } from '@zoo/core/testing';

afterAll(removeTempDirs);

const state = (step: number): TrainState => ({ step, epoch: 0, batchInEpoch: step, adaptiveWeight: 1, wallTimeSec: step, curves: [{ step, loss: 1 / step }], evals: [] });

describe('checkpoints', () => {
  it('points latest at the newest complete checkpoint and prunes old ones', async () => {
    const dir = makeTempDir('zoo-ckpt-');
    for (const step of [2, 4, 6]) {
      await saveCheckpoint(dir, { state: state(step), model: { w: HostTensor.from([step], [1]) }, optimizer: { step: HostTensor.from([step], [1]) }, meta: { note: 'x' } }, 2);
    }
    expect(readdirSync(dir).filter((n) => n.startsWith('step-')).sort()).toEqual(['step-0000004', 'step-0000006']);
    expect(readdirSync(dir).some((n) => n.startsWith('.tmp'))).toBe(false);
    const ck = await loadLatestCheckpoint(dir);
    expect(ck!.state.step).toBe(6);
    expect(ck!.model['w']!.data[0]).toBe(6);
    expect(ck!.meta).toEqual({ note: 'x' });
  });

  it('round-trips the training state, meta and optimizer tensors bit-exactly (what resume relies on)', async () => {
    const dir = makeTempDir('zoo-ckpt-');
    const st: TrainState = { ...state(3), epoch: 1, adaptiveWeight: 0.25, evals: [{ step: 3, psnr: 21.5 }] };
    // Float bits a decimal/JSON round trip would not keep, and an int32 step counter.
    const moments = HostTensor.from([Math.fround(1 / 3), -0, 1e-30, Math.PI], [2, 2]);
    const path = await saveCheckpoint(dir, {
      state: st,
      model: { 'encoder.w': HostTensor.from([0.1, 0.2], [2]), 'discriminator.w': HostTensor.from([5], [1]) },
      optimizer: { 'g/step': HostTensor.int([3], []), 'g/m:encoder.w': moments },
      meta: { spec: { name: 't' }, data: { frames: 2 } },
    });
    const ck = await loadCheckpoint(path);
    expect(ck.state).toEqual(st);
    expect(ck.meta).toEqual({ spec: { name: 't' }, data: { frames: 2 } });
    expect(ck.optimizer['g/step']!.dtype).toBe('int32');
    expect(ck.optimizer['g/step']!.item()).toBe(3);
    expect(new Uint8Array(ck.optimizer['g/m:encoder.w']!.data.buffer)).toEqual(new Uint8Array(moments.data.buffer));
    expect(ck.optimizer['g/m:encoder.w']!.shape).toEqual([2, 2]);
    expect(Object.keys(ck.model).sort()).toEqual(['discriminator.w', 'encoder.w']);
    // The model file stays a PyTorch-loadable state dict.
    expect((await readSafetensorsWithMetadata(join(path, 'model.safetensors'))).metadata).toEqual({ format: 'pt' });
  });

  it('refuses a step folder whose files do not match its index', async () => {
    const dir = makeTempDir('zoo-ckpt-');
    const path = await saveCheckpoint(dir, { state: state(1), model: { w: HostTensor.from([1, 2], [2]) }, optimizer: {} });
    await writeFile(join(path, 'model.safetensors'), 'torn');
    await expect(loadLatestCheckpoint(dir)).rejects.toThrow(CheckpointError);
  });

  it('finds nothing in an empty directory', async () => {
    const dir = makeTempDir('zoo-ckpt-');
    expect(await loadLatestCheckpoint(dir)).toBeUndefined();
    expect(existsSync(join(dir, 'latest.json'))).toBe(false);
  });
});

describe('learning-rate schedule', () => {
  const c = trainConfigSchema.parse({ steps: 100, lr: 1e-3, warmupSteps: 10, minLrRatio: 0.1 });
  it('warms up linearly, peaks, then decays by cosine to minLrRatio', () => {
    expect(learningRate(c, 0)).toBeCloseTo(1e-4);
    expect(learningRate(c, 9)).toBeCloseTo(1e-3);
    expect(learningRate(c, 10)).toBeCloseTo(1e-3);
    expect(learningRate(c, 55)).toBeCloseTo(1e-3 * (0.1 + 0.9 * 0.5));
    expect(learningRate(c, 100)).toBeCloseTo(1e-4);
    for (let s = 11; s < 100; s++) expect(learningRate(c, s)).toBeLessThanOrEqual(learningRate(c, s - 1));
  });

  it('derives distinct per-step seeds deterministically', () => {
    expect(stepSeed(1, 5, 1)).toBe(stepSeed(1, 5, 1));
    expect(new Set([stepSeed(1, 5, 1), stepSeed(1, 6, 1), stepSeed(2, 5, 1), stepSeed(1, 5, 2)]).size).toBe(4);
  });
});
