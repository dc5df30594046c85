import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostTensor } from '@zoo/core';
import { loadLatestCheckpoint, saveCheckpoint, type TrainState } from '../src/train/checkpoint.js';
import { learningRate, stepSeed, trainConfigSchema } from '../src/train/config.js';
import { decodeSafetensors, encodeSafetensors } from '../src/train/safetensors.js';

const state = (step: number): TrainState => ({ step, epoch: 0, batchInEpoch: step, adaptiveWeight: 1, wallTimeSec: step, curves: [{ step, loss: 1 / step }], evals: [] });

describe('safetensors', () => {
  it('round-trips float32 and int32 tensors with their shapes', () => {
    const t = { a: HostTensor.from([1.5, -2, 3, 4], [2, 2]), b: HostTensor.int([7, 8, 9], [3]) };
    const back = decodeSafetensors(encodeSafetensors(t, { format: 'pt' }));
    expect(back['a']!.shape).toEqual([2, 2]);
    expect(Array.from(back['a']!.data)).toEqual([1.5, -2, 3, 4]);
    expect(back['b']!.dtype).toBe('int32');
    expect(Array.from(back['b']!.data)).toEqual([7, 8, 9]);
  });

  it('aligns the data section to 8 bytes and rejects truncated files', () => {
    const bytes = encodeSafetensors({ x: HostTensor.from([1], [1]) });
    const headerLen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + headerLen) % 8).toBe(0);
    expect(() => decodeSafetensors(bytes.subarray(0, bytes.length - 2), 'f.safetensors')).toThrow(/f.safetensors is corrupt/);
  });
});

describe('checkpoints', () => {
  it('points latest at the newest complete checkpoint and prunes old ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zoo-ckpt-'));
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

  it('finds nothing in an empty directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zoo-ckpt-'));
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
