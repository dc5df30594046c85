import { HostTensor, type Engine } from '@zoo/core';
import { CosineVectorQuantizer } from '../src/cosine-vq.js';
import { VectorQuantizer } from '../src/vq.js';
import { ENGINES, makeEngine } from './support/engines.js';
import { expectClose, expectExact, float, loadFixture, type FixtureTensor } from './support/fixtures.js';

const K = 16;
const D = 8;
const as3 = (t: FixtureTensor) => float(t).reshape([1, K, D]);
const as2 = (t: FixtureTensor) => float(t).reshape([1, K]);

describe.each(ENGINES)('EMA codebooks on %s', (engineName) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await makeEngine(engineName);
  });
  afterAll(async () => engine?.dispose());

  it('vq_ema: two train steps update cluster_size, embed_avg and codebook as the reference', async () => {
    const fx = loadFixture('vq_ema');
    const vq = new VectorQuantizer({ dim: D, codebookSize: K, decay: fx.config.decay, commitmentWeight: fx.config.commitment_weight });
    const s0 = fx.steps[0].state_before;
    vq.loadStateDict({ '_codebook.embed': as3(s0.codebook), '_codebook.cluster_size': as2(s0.cluster_size), '_codebook.embed_avg': as3(s0.embed_avg) }, false);
    const step = engine.compile((ops, { z }) => {
      const o = vq.forward(ops, z!);
      return { quantized: o.quantized, indices: o.indices, loss: o.loss, commitment: o.breakdown['commitment']! };
    });
    for (const [i, st] of fx.steps.entries()) {
      const out = await step.run({ z: float(st.inputs.z) });
      await engine.sync();
      expectExact(out.indices!, st.outputs.indices, `step ${i} indices`);
      // z carries no gradient in the reference, so its quantized is the exact row; ours went through the rotation trick (~2e-7).
      expectClose(out.quantized!, st.outputs.quantized, { rtol: 1e-5, atol: 1e-6 }, `step ${i} quantized`);
      expectClose(out.loss!, st.outputs.loss, { rtol: 1e-5, atol: 1e-7 }, `step ${i} loss`);
      expectClose(out.commitment!, st.outputs.commitment_loss_unweighted, { rtol: 1e-5, atol: 1e-7 }, `step ${i} commitment`);
      const cb = vq._codebook;
      expectClose(cb.clusterSize.value, as2(st.state_after.cluster_size), { rtol: 1e-5, atol: 1e-6 }, `step ${i} cluster_size`);
      expectClose(cb.embedAvg.value, as3(st.state_after.embed_avg), { rtol: 1e-5, atol: 1e-6 }, `step ${i} embed_avg`);
      expectClose(cb.embed.value, as3(st.state_after.codebook), { rtol: 1e-5, atol: 1e-6 }, `step ${i} codebook`);
    }
  });

  it('vq_cosine: eval lookup, similarities, and one EMA step with renormalised codebook', async () => {
    const fx = loadFixture('vq_cosine');
    const vq = new CosineVectorQuantizer({ dim: D, codebookSize: K, commitmentWeight: fx.config.commitment_weight });
    vq.loadStateDict(
      { '_codebook.embed': as3(fx.params.codebook), '_codebook.cluster_size': as2(fx.params.cluster_size_before), '_codebook.embed_avg': as3(fx.params.embed_avg_before) },
      false,
    );
    // The onnx engine caches one traced graph per compiled function: compile again after train()/eval().
    const compile = () =>
      engine.compile((ops, { z }) => {
        const o = vq.forward(ops, z!, { returnDistances: true });
        return { quantized: o.quantized, indices: o.indices, loss: o.loss, similarity: o.distances!, commitment: o.breakdown['commitment'] ?? ops.constant(0) };
      });
    const z = float(fx.inputs.z);
    vq.eval();
    const ev = await compile().run({ z });
    expectExact(ev.indices!, fx.outputs.eval_indices, 'eval indices');
    expectClose(ev.quantized!, fx.outputs.eval_quantized, { rtol: 0, atol: 0 }, 'eval quantized');
    expect(ev.loss!.item()).toBe(0);
    expectClose(ev.similarity!, fx.outputs.cosine_similarity, { rtol: 1e-5, atol: 1e-6 }, 'cosine similarity');
    vq.train();
    const tr = await compile().run({ z });
    await engine.sync();
    expectExact(tr.indices!, fx.outputs.train_indices, 'train indices');
    expectClose(tr.quantized!, fx.outputs.train_quantized, { rtol: 1e-5, atol: 1e-6 }, 'train quantized');
    expectClose(tr.loss!, fx.outputs.train_loss, { rtol: 1e-5, atol: 1e-7 }, 'train loss');
    expectClose(tr.commitment!, fx.outputs.train_commitment_loss_unweighted, { rtol: 1e-5, atol: 1e-7 }, 'train commitment');
    const cb = vq._codebook;
    expectClose(cb.clusterSize.value, as2(fx.outputs.cluster_size_after), { rtol: 1e-5, atol: 1e-6 }, 'cluster_size');
    expectClose(cb.embedAvg.value, as3(fx.outputs.embed_avg_after), { rtol: 1e-5, atol: 1e-6 }, 'embed_avg');
    expectClose(cb.embed.value, as3(fx.outputs.codebook_after), { rtol: 1e-5, atol: 1e-6 }, 'codebook');
  });
});

describe('EMA bookkeeping', () => {
  it('leaves the codebook untouched in eval mode', async () => {
    const engine = await makeEngine(ENGINES[0]!);
    const vq = new VectorQuantizer({ dim: 2, codebookSize: 4, seed: 3 }).eval();
    const before = vq._codebook.embed.value.clone();
    await engine.compile((ops, { z }) => ({ q: vq.forward(ops, z!).quantized })).run({ z: HostTensor.from([1, 2, 3, 4, 5, 6], [1, 3, 2]) });
    await engine.sync();
    expect(Array.from(vq._codebook.embed.value.data)).toEqual(Array.from(before.data));
  });
});
