import { HostTensor, Rng, type Engine } from '@zoo/core';
import { bestIndex } from '../src/nearest.js';
import { VectorQuantizer } from '../src/vq.js';
import { ENGINES, makeEngine } from './support/engines.js';
import { expectClose, expectExact, float, loadFixture } from './support/fixtures.js';


function learnableVQ(fx: ReturnType<typeof loadFixture>): VectorQuantizer {
  const vq = new VectorQuantizer({
    dim: fx.config.dim,
    codebookSize: fx.config.codebook_size,
    learnableCodebook: true,
    commitmentWeight: fx.config.commitment_weight,
    rotationTrick: fx.resolved_defaults.rotation_trick,
  });
  vq._codebook.setCodes(float(fx.params.codebook));
  return vq;
}

describe.each(ENGINES)('vq on %s', (engineName) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await makeEngine(engineName);
  });
  afterAll(async () => engine?.dispose());

  describe.each(['vq_learnable_ste', 'vq_learnable_rotation_trick'])('%s', (name) => {
    const fx = loadFixture(name);
    const grad = (k: string, out: Record<string, HostTensor>) => out[k]!;

    it('train forward: quantized, indices, loss, distances and gradients match', async () => {
      const vq = learnableVQ(fx);
      const fn = engine.valueAndGrad(
        (ops, { z }) => {
          const o = vq.forward(ops, z!, { returnDistances: true });
          return {
            loss: ops.add(ops.sum(o.quantized), o.loss),
            quantized: o.quantized,
            indices: o.indices,
            vqLoss: o.loss,
            commitment: o.breakdown['commitment']!,
            distances: o.distances!,
          };
        },
        { inputs: ['z'], variables: [vq._codebook.embed] },
      );
      const out = await fn.run({ z: float(fx.inputs.z) });
      expectExact(out.indices!, fx.outputs.indices, 'indices');
      expectClose(out.quantized!, fx.outputs.quantized, { rtol: 1e-5, atol: 1e-6 }, 'quantized');
      expectClose(out.vqLoss!, fx.outputs.loss, { rtol: 1e-5, atol: 1e-7 }, 'loss');
      expectClose(out.commitment!, fx.outputs.commitment_loss_unweighted, { rtol: 1e-5, atol: 1e-7 }, 'commitment');
      expectClose(out.distances!, fx.outputs.distances, { rtol: 1e-5, atol: 1e-6 }, 'distances');
      expectClose(grad('grad:z', out), fx.grads.z, { rtol: 1e-5, atol: 1e-6 }, 'grad z');
      expectClose(grad('grad:_codebook.embed', out).reshape([16, 8]), fx.grads.codebook, { rtol: 1e-5, atol: 1e-7 }, 'grad codebook');
    });

    it('eval forward is an exact codebook lookup with zero loss', async () => {
      const vq = learnableVQ(fx).eval();
      const out = await engine
        .compile((ops, { z }) => {
          const o = vq.forward(ops, z!);
          return { quantized: o.quantized, indices: o.indices, loss: o.loss };
        })
        .run({ z: float(fx.inputs.z) });
      expectExact(out.indices!, fx.outputs.eval_indices, 'eval indices');
      expectClose(out.quantized!, fx.outputs.eval_quantized, { rtol: 0, atol: 0 }, 'eval quantized');
      expect(out.loss!.item()).toBe(0);
      // Blocked nearest-code search (rows in blocks of 3, |c|² folded into the matmul) picks the same codes.
      const blocked = await engine.compile((ops, { z }) => ({ indices: vq.forward(ops, z!, { chunkSize: 3 }).indices })).run({ z: float(fx.inputs.z) });
      expectExact(blocked.indices!, fx.outputs.eval_indices, 'blocked indices');
      // Frozen compile: the codebook is baked into the graph (folded and pre-packed on onnx).
      const frozen = engine.compile(
        (ops, { z }) => {
          const o = vq.forward(ops, z!, { chunkSize: 3 });
          return { quantized: o.quantized, indices: o.indices };
        },
        { frozen: true },
      );
      const f = await frozen.run({ z: float(fx.inputs.z) });
      expectExact(f.indices!, fx.outputs.eval_indices, 'frozen indices');
      expectClose(f.quantized!, fx.outputs.eval_quantized, { rtol: 0, atol: 0 }, 'frozen quantized');
    });
  });
});

describe.each(ENGINES)('beta placement on %s', (engineName) => {
  // Host reference: with (codebook weight a, commitment weight b) the loss
  // a·mse(q, sg z) + b·mse(sg q, z) has dL/dz = b·2(z−q)/n and dL/dc_k = a·Σ_{i→k} 2(q_i−z_i)/n.
  const cases = [
    ['joint', 0.25, 0.25],
    ['vqvae', 1, 0.25],
    ['taming-legacy', 0.25, 1],
  ] as const;
  it.each(cases)('%s: gradients to z and codebook carry the documented weights', async (placement, a, b) => {
    const engine = await makeEngine(engineName);
    const codes = [1, 0, 0, 1, -1, -1];
    const z = [0.9, 0.2, 0.1, 0.7, -0.8, -1.3, 0.4, 0.1];
    const vq = new VectorQuantizer({ dim: 2, codebookSize: 3, learnableCodebook: true, lossPlacement: placement, rotationTrick: false });
    vq._codebook.setCodes(HostTensor.from(codes, [3, 2]));
    const out = await engine
      .valueAndGrad(
        (ops, { z: zin }) => {
          const o = vq.forward(ops, zin!);
          return { loss: o.loss, indices: o.indices };
        },
        { inputs: ['z'], variables: [vq._codebook.embed] },
      )
      .run({ z: HostTensor.from(z, [1, 4, 2]) });
    const idx = Array.from(out.indices!.data);
    expect(idx).toEqual([0, 1, 2, 0]);
    const n = z.length;
    const gz = z.map((v, i) => (b * 2 * (v - codes[idx[i >> 1]! * 2 + (i & 1)]!)) / n);
    const gc = new Array(6).fill(0);
    z.forEach((v, i) => (gc[idx[i >> 1]! * 2 + (i & 1)] += (a * 2 * (codes[idx[i >> 1]! * 2 + (i & 1)]! - v)) / n));
    expectClose(out['grad:z']!, HostTensor.from(gz, [1, 4, 2]), { rtol: 1e-5, atol: 1e-7 }, 'grad z');
    expectClose(out['grad:_codebook.embed']!, HostTensor.from(gc, [1, 3, 2]), { rtol: 1e-5, atol: 1e-7 }, 'grad codebook');
    await engine.dispose();
  });
});

describe.each(ENGINES)('two-level arg-reduction on %s', (engineName) => {
  it('bestIndex equals a plain argmin/argmax, ties resolving to the first index', async () => {
    const engine = await makeEngine(engineName);
    const r = 5;
    const k = 256; // groups of 64
    const rng = new Rng(9);
    const data = Float32Array.from({ length: r * k }, () => Math.round(rng.normal() * 4)); // many exact ties
    const s = new HostTensor([r, k], data, 'float32');
    const out = await engine
      .compile((ops, { s: sin }) => ({
        a: bestIndex(ops, sin!, false),
        b: ops.argmin(sin!, 1),
        c: bestIndex(ops, sin!, true),
        d: ops.argmax(sin!, 1),
      }))
      .run({ s });
    const first = (pick: (a: number, b: number) => boolean) =>
      Array.from({ length: r }, (_, i) => {
        let best = 0;
        for (let j = 1; j < k; j++) if (pick(data[i * k + j]!, data[i * k + best]!)) best = j;
        return best;
      });
    expect(Array.from(out.a!.data)).toEqual(first((x, y) => x < y));
    expect(Array.from(out.b!.data)).toEqual(first((x, y) => x < y));
    expect(Array.from(out.c!.data)).toEqual(first((x, y) => x > y));
    expect(Array.from(out.d!.data)).toEqual(first((x, y) => x > y));
    await engine.dispose();
  });
});
