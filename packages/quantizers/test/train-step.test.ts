import { HostTensor, Rng } from '@zoo/core';
import { Linear } from '../src/linear.js';
import { LFQ } from '../src/lfq.js';
import { VectorQuantizer } from '../src/vq.js';
import { ENGINES, makeEngine } from './support/engines.js';

function batch(seed: number): HostTensor<'float32'> {
  return new HostTensor([2, 8, 4], new Rng(seed).fillNormal(new Float32Array(64)), 'float32');
}

describe.each(ENGINES)('quantizers inside compileTrainStep on %s', (engineName) => {
  it('a learnable codebook (vqvae placement) moves onto the data: the VQ loss falls', async () => {
    const engine = await makeEngine(engineName);
    const vq = new VectorQuantizer({ dim: 4, codebookSize: 4, learnableCodebook: true, lossPlacement: 'vqvae', seed: 1 });
    const step = engine.compileTrainStep(
      (ops, { z }) => {
        const o = vq.forward(ops, z!);
        return { loss: o.loss };
      },
      vq.parameters(),
      { kind: 'adam', lr: 0.05 },
    );
    const z = batch(2);
    const first = (await step.run({ z })).outputs.loss.item();
    let last = first;
    for (let i = 0; i < 30; i++) last = (await step.run({ z })).outputs.loss.item();
    expect(last).toBeLessThan(0.8 * first);
    await engine.dispose();
  });

  it('EMA buffers update inside a train step that optimizes a projection in front of the quantizer', async () => {
    const engine = await makeEngine(engineName);
    const proj = new Linear(4, 4, new Rng(3));
    const vq = new VectorQuantizer({ dim: 4, codebookSize: 4, decay: 0.5, seed: 4 });
    const before = Array.from(vq._codebook.clusterSize.value.data);
    const step = engine.compileTrainStep(
      (ops, { z }) => {
        const h = ops.reshape(proj.forward(ops, ops.reshape(z!, [16, 4])), [2, 8, 4]);
        const o = vq.forward(ops, h);
        return { loss: ops.add(ops.mean(ops.square(ops.sub(o.quantized, z!))), o.loss) };
      },
      proj.parameters(),
      { kind: 'adam', lr: 0.01 },
    );
    await step.run({ z: batch(5) });
    await step.run({ z: batch(6) });
    await engine.sync();
    const after = Array.from(vq._codebook.clusterSize.value.data);
    expect(after).not.toEqual(before);
    // two EMA steps at decay 0.5 from all-ones: Σ cluster_size = 0.25·4 + 0.75·16 tokens
    expect(after.reduce((a, b) => a + b, 0)).toBeCloseTo(0.25 * 4 + 0.75 * 16, 4);
    await engine.dispose();
  });

  it('LFQ with projections trains its Linear layers through the straight-through output', async () => {
    const engine = await makeEngine(engineName);
    const lfq = new LFQ({ dim: 4, codebookSize: 8, seed: 7 });
    const w0 = Array.from(lfq.project_in!.weight.value.data);
    const step = engine.compileTrainStep(
      (ops, { z }) => {
        const o = lfq.forward(ops, z!);
        return { loss: ops.add(ops.mean(ops.square(ops.sub(o.quantized, z!))), o.loss) };
      },
      lfq.parameters(),
      { kind: 'adam', lr: 0.01 },
    );
    const r = await step.run({ z: batch(8) });
    await engine.sync();
    expect(r.gradNorm).toBeGreaterThan(0);
    expect(Array.from(lfq.project_in!.weight.value.data)).not.toEqual(w0);
    await engine.dispose();
  });
});
