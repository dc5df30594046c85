/** Checkpoint directories: save/load round trip, engine sync, and detection of incomplete saves. */
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CheckpointError,
  HostTensor,
  Module,
  StateDictError,
  createTfjsEngine,
  loadCheckpoint,
  readCheckpoint,
  readSafetensorsWithMetadata,
  saveCheckpoint,
  type Variable,
} from '../src/index.js';

class Inner extends Module {
  readonly w = this.param('weight', HostTensor.from([1, 2, 3, 4], [2, 2]));
  readonly b = this.param('bias', HostTensor.from([0.5, -0.5], [2]));
}
class Net extends Module {
  readonly inner = this.child('proj', new Inner());
  readonly ema: Variable = this.buffer('ema', HostTensor.from([9, 8, 7], [3]));
  readonly layers = this.children('layers', [new Inner(), new Inner()]);
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'zoo-ckpt-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('checkpoints', () => {
  it('round-trips model state, optimizer state and meta through PyTorch-readable files', async () => {
    const a = new Net();
    a.inner.w.value = HostTensor.from([5, 6, 7, 8], [2, 2]);
    a.ema.value = HostTensor.from([1, 1, 2], [3]);
    const optimizer = { step: HostTensor.int([12], []), 'exp_avg:proj.weight': HostTensor.from([0.1, 0.2, 0.3, 0.4], [2, 2]) };
    const ck = join(dir, 'step-12');
    await saveCheckpoint(ck, a, { optimizer, meta: { step: 12, config: { lr: 1e-4 } } });
    expect((await readdir(ck)).sort()).toEqual(['checkpoint.json', 'model.safetensors', 'optimizer.safetensors']);
    const { tensors, metadata } = await readSafetensorsWithMetadata(join(ck, 'model.safetensors'));
    expect(metadata).toEqual({ format: 'pt' });
    expect(Object.keys(tensors).sort()).toEqual(['ema', 'layers.0.bias', 'layers.0.weight', 'layers.1.bias', 'layers.1.weight', 'proj.bias', 'proj.weight']);

    const b = new Net();
    const loaded = await loadCheckpoint(ck, b);
    expect(b.stateDict()).toEqual(a.stateDict());
    expect(loaded.meta).toEqual({ step: 12, config: { lr: 1e-4 } });
    expect(loaded.optimizer!['step']!.item()).toBe(12);
    expect(Array.from(loaded.optimizer!['exp_avg:proj.weight']!.data)).toEqual(Array.from(optimizer['exp_avg:proj.weight'].data));
  });

  it('saves a flat state dict of several root modules and reads it back verified, without a module', async () => {
    const gen = new Net();
    gen.inner.w.value = HostTensor.from([4, 3, 2, 1], [2, 2]);
    const disc = new Inner();
    // Separate root modules keyed under their own prefixes, as a GAN trainer holds them.
    const model: Record<string, HostTensor> = { ...gen.stateDict() };
    for (const [k, v] of disc.namedVariables('discriminator.')) model[k] = v.value;
    const ck = join(dir, 'flat');
    await saveCheckpoint(ck, model, { optimizer: {}, meta: { step: 3 } });
    const back = await readCheckpoint(ck);
    expect(Object.keys(back.model).sort()).toEqual(Object.keys(model).sort());
    expect(Array.from(back.model['proj.weight']!.data)).toEqual([4, 3, 2, 1]);
    expect(Array.from(back.model['discriminator.weight']!.data)).toEqual([1, 2, 3, 4]);
    expect(back.optimizer).toEqual({});
    expect(back.meta).toEqual({ step: 3 });
    // A torn model file is caught by the index, as for a Module checkpoint.
    await writeFile(join(ck, 'model.safetensors'), (await readFile(join(ck, 'model.safetensors'))).subarray(0, 16));
    await expect(readCheckpoint(ck)).rejects.toThrow(/incomplete or mixed/);
  });

  it('syncs the engine first, so device-side training progress is what gets saved', async () => {
    const engine = await createTfjsEngine({ backend: 'cpu' });
    try {
      const net = new Net();
      const step = engine.compileTrainStep(
        (ops) => ({ loss: ops.sum(ops.square(ops.variable(net.inner.w))) }),
        [net.inner.w],
        { kind: 'adam', lr: 0.5 },
      );
      await step.run({});
      const ck = join(dir, 'synced');
      await saveCheckpoint(ck, net, { engine, optimizer: await step.optimizerState() });
      const fresh = new Net();
      const loaded = await loadCheckpoint(ck, fresh);
      // Adam's first step moves each weight by lr (sign of the gradient), here all positive.
      [0.5, 1.5, 2.5, 3.5].forEach((w, i) => expect(fresh.inner.w.value.data[i]).toBeCloseTo(w, 5));
      expect(loaded.optimizer!['step']!.item()).toBe(1);
    } finally {
      await engine.dispose();
    }
  });

  it('reports a directory whose files do not match checkpoint.json as incomplete', async () => {
    const ck = join(dir, 'torn');
    await saveCheckpoint(ck, new Net(), { meta: { step: 1 } });
    const other = join(dir, 'other');
    const n2 = new Net();
    n2.ema.value = HostTensor.from([0, 0, 0], [3]);
    await saveCheckpoint(other, n2, { meta: { step: 2 } });
    // As if the process died after replacing model.safetensors but before checkpoint.json.
    await writeFile(join(ck, 'model.safetensors'), await readFile(join(other, 'model.safetensors')));
    await expect(loadCheckpoint(ck, new Net())).rejects.toThrow(CheckpointError);
    await expect(loadCheckpoint(ck, new Net())).rejects.toThrow(/incomplete or mixed/);
  });

  it('gives clear errors for a missing directory and for a model that does not fit', async () => {
    await expect(loadCheckpoint(join(dir, 'nope'), new Net())).rejects.toThrow(/no checkpoint.json/);
    const ck = join(dir, 'inner-only');
    await saveCheckpoint(ck, new Inner());
    await expect(loadCheckpoint(ck, new Net())).rejects.toThrow(StateDictError);
  });

  it('rejects meta that is not JSON-serializable before touching the directory', async () => {
    const meta: Record<string, unknown> = {};
    meta['self'] = meta;
    const ck = join(dir, 'cyclic');
    await expect(saveCheckpoint(ck, new Net(), { meta })).rejects.toThrow(TypeError);
    expect(await readdir(ck)).toEqual([]);
  });
});
