import { HostTensor, type Engine } from '@zoo/core';
import { ResidualVQ } from '../src/rvq.js';
import { VectorQuantizer } from '../src/vq.js';
import { ENGINES, makeEngine } from './support/engines.js';
import { expectClose, expectExact, float, loadFixture } from './support/fixtures.js';

function fixtureRVQ(fx: ReturnType<typeof loadFixture>): ResidualVQ {
  const c = fx.config;
  const rvq = new ResidualVQ({
    numQuantizers: c.num_quantizers,
    layer: {
      kind: 'vq',
      config: { dim: c.dim, codebookSize: c.codebook_size, learnableCodebook: true, commitmentWeight: c.commitment_weight, rotationTrick: fx.resolved_defaults.rotation_trick },
    },
  });
  const books = float(fx.params.codebooks);
  const per = c.codebook_size * c.dim;
  const sd: Record<string, HostTensor> = {};
  for (let i = 0; i < c.num_quantizers; i++) {
    sd[`layers.${i}._codebook.embed`] = new HostTensor([1, c.codebook_size, c.dim], books.data.slice(i * per, (i + 1) * per) as Float32Array, 'float32');
  }
  rvq.loadStateDict(sd, false);
  return rvq;
}

describe.each(ENGINES)('rvq on %s', (engineName) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await makeEngine(engineName);
  });
  afterAll(async () => engine?.dispose());

  describe.each(['rvq_learnable_ste', 'rvq_learnable_rotation_trick'])('%s', (name) => {
    const fx = loadFixture(name);

    it('train: quantized, indices [B, N, L], per-layer losses, grads w.r.t. x and every codebook', async () => {
      const rvq = fixtureRVQ(fx);
      const vars = rvq.layers.map((l) => (l as VectorQuantizer)._codebook.embed);
      const out = await engine
        .valueAndGrad(
          (ops, { x }) => {
            const o = rvq.forward(ops, x!);
            return { loss: ops.add(ops.sum(o.quantized), o.loss), quantized: o.quantized, indices: o.indices, losses: o.breakdown['losses']! };
          },
          { inputs: ['x'], variables: vars },
        )
        .run({ x: float(fx.inputs.x) });
      expectExact(out.indices!, fx.outputs.indices, 'indices');
      expectClose(out.quantized!, fx.outputs.quantized, { rtol: 1e-5, atol: 1e-6 }, 'quantized');
      expectClose(out.losses!, fx.outputs.losses, { rtol: 1e-5, atol: 1e-7 }, 'losses');
      expectClose(out['grad:x']!, fx.grads.x, { rtol: 1e-5, atol: 1e-6 }, 'grad x');
      const g = vars.map((v) => out[`grad:${v.key}`]!.data);
      const flat = new Float32Array(g.reduce((n, a) => n + a.length, 0));
      let o = 0;
      for (const a of g) {
        flat.set(a, o);
        o += a.length;
      }
      expectClose(new HostTensor([3, 16, 8], flat, 'float32'), fx.grads.codebooks, { rtol: 1e-5, atol: 1e-7 }, 'grad codebooks');
    });

    it('eval: exact lookups, zero losses, indicesToCodes reproduces the output', async () => {
      const rvq = fixtureRVQ(fx).eval();
      const out = await engine
        .compile((ops, { x }) => {
          const o = rvq.forward(ops, x!);
          return { quantized: o.quantized, indices: o.indices, losses: o.breakdown['losses']!, codes: rvq.indicesToCodes(ops, o.indices) };
        })
        .run({ x: float(fx.inputs.x) });
      expectExact(out.indices!, fx.outputs.eval_indices, 'eval indices');
      expectClose(out.quantized!, fx.outputs.eval_quantized, { rtol: 1e-6, atol: 1e-7 }, 'eval quantized');
      expect(Array.from(out.losses!.data)).toEqual([0, 0, 0]);
      expectClose(out.codes!, fx.outputs.eval_quantized, { rtol: 1e-6, atol: 1e-7 }, 'indicesToCodes');
    });
  });

  it('quantize dropout: dropped layers give index -1 and no output; codes of a dropped layer count as zero', async () => {
    const rvq = new ResidualVQ({ numQuantizers: 3, layer: { kind: 'fsq', config: { levels: [5, 5] } }, quantizeDropout: true, seed: 1 });
    const masks = Array.from({ length: 20 }, () => Array.from(rvq.sampleDropoutMask().data));
    for (const mk of masks) expect(mk[0]).toBe(1); // cutoff 0 always kept
    expect(new Set(masks.map((mk) => mk.join(''))).size).toBeGreaterThan(1);
    const x = HostTensor.from(Array.from({ length: 2 * 3 * 2 }, (_, i) => Math.cos(i)), [2, 3, 2]);
    const run = engine.compile((ops, { x: xin, mask }) => {
      const o = rvq.forward(ops, xin!, { layerMask: mask! });
      return { q: o.quantized, idx: o.indices, codes: rvq.indicesToCodes(ops, o.indices) };
    });
    const full = await run.run({ x, mask: HostTensor.from([1, 1, 1], [3]) });
    const part = await run.run({ x, mask: HostTensor.from([1, 0, 0], [3]) });
    // indices are [B, N, L]: layer 0 as in the full stack, layers 1 and 2 dropped
    const fullIdx = Array.from(full.idx!.data);
    const expected = fullIdx.map((v, i) => (i % 3 === 0 ? v : -1));
    expect(Array.from(part.idx!.data)).toEqual(expected);
    expectClose(part.codes!, part.q!, { rtol: 1e-6, atol: 1e-7 }, 'codes of partial stack');
  });
});
