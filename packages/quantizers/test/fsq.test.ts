import { HostTensor, type Engine } from '@zoo/core';
import { FSQ } from '../src/fsq.js';
import { ENGINES, makeEngine } from './support/engines.js';
import { expectClose, expectExact, float, host, loadFixture } from './support/fixtures.js';

describe.each(ENGINES)('fsq on %s', (engineName) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await makeEngine(engineName);
  });
  afterAll(async () => engine?.dispose());

  describe.each(['fsq_8555', 'fsq_8555_symmetric'])('%s', (name) => {
    const fx = loadFixture(name);
    const make = () => new FSQ({ levels: fx.config.levels, preserveSymmetry: fx.config.preserve_symmetry ?? false });

    it('quantized, indices, level indices and the straight-through gradient of quantized.sum()', async () => {
      const fsq = make();
      expect(fsq.basis).toEqual(fx.resolved_defaults.basis);
      expect(fsq.codebookSize).toBe(fx.resolved_defaults.codebook_size);
      const out = await engine
        .valueAndGrad(
          (ops, { z }) => {
            const o = fsq.forward(ops, z!);
            const flat = ops.reshape(ops.stopGradient(o.quantized), [-1, 4]);
            return {
              loss: ops.add(ops.sum(o.quantized), o.loss),
              quantized: o.quantized,
              indices: o.indices,
              levels: ops.reshape(fsq.levelIndicesOf(ops, flat), [2, 6, 4]),
              toCodes: fsq.indicesToCodes(ops, o.indices),
              toIndices: ops.reshape(fsq.codesToIndices(ops, flat), [2, 6]),
            };
          },
          { inputs: ['z'] },
        )
        .run({ z: float(fx.inputs.z) });
      expectClose(out.quantized!, fx.outputs.quantized, { rtol: 1e-6, atol: 1e-7 }, 'quantized');
      expectExact(out.indices!, fx.outputs.indices, 'indices');
      expect(out.indices!.dtype).toBe('int32');
      expectExact(out.levels!, fx.outputs.level_indices, 'level indices');
      expectClose(out.toCodes!, fx.outputs.indices_to_codes, { rtol: 1e-6, atol: 1e-7 }, 'indices_to_codes');
      expectExact(out.toIndices!, fx.outputs.codes_to_indices, 'codes_to_indices');
      expectClose(out['grad:z']!, fx.grads.z, { rtol: 1e-5, atol: 1e-6 }, 'grad z');
    });

    it('round trip over the whole implicit codebook: indices -> codes -> indices', async () => {
      const fsq = make();
      const all = HostTensor.int(Array.from({ length: 1000 }, (_, i) => i), [10, 100]);
      const out = await engine
        .compile((ops, { idx }) => {
          const codes = fsq.indicesToCodes(ops, idx!);
          return { codes, back: fsq.forward(ops, ops.mul(codes, 1)).indices, direct: fsq.codesToIndices(ops, ops.reshape(codes, [1000, 4])) };
        })
        .run({ idx: all });
      expectClose(out.codes!.reshape([1000, 4]), host(fx.outputs.implicit_codebook), { rtol: 1e-6, atol: 1e-7 }, 'implicit codebook');
      expect(Array.from(out.direct!.data)).toEqual(Array.from(all.data));
    });
  });

  it('dim != len(levels) adds Linear projections; indicesToCodes goes through project_out', async () => {
    const fsq = new FSQ({ levels: [5, 5], dim: 6, seed: 2 });
    expect(fsq.namedVariables().map(([k]) => k)).toEqual(['project_in.weight', 'project_in.bias', 'project_out.weight', 'project_out.bias']);
    const z = HostTensor.from(Array.from({ length: 4 * 6 }, (_, i) => Math.cos(i * 0.9)), [1, 4, 6]);
    const out = await engine
      .valueAndGrad(
        (ops, { z: zin }) => {
          const o = fsq.forward(ops, zin!);
          return { loss: ops.sum(o.quantized), q: o.quantized, back: fsq.indicesToCodes(ops, o.indices) };
        },
        { inputs: ['z'], variables: [fsq.project_in!.weight] },
      )
      .run({ z });
    expect(out.q!.shape).toEqual([1, 4, 6]);
    expectClose(out.back!, out.q!, { rtol: 1e-5, atol: 1e-6 }, 'indicesToCodes = quantized');
    expect(Array.from(out['grad:project_in.weight']!.data).some((g) => g !== 0)).toBe(true);
  });

  it('accepts channels-first video and returns [B, T, H, W] indices', async () => {
    const fsq = new FSQ({ levels: [3, 4] });
    const z = HostTensor.from(Array.from({ length: 2 * 2 * 2 * 3 * 3 }, (_, i) => Math.sin(i)), [2, 2, 2, 3, 3]); // [B, C, T, H, W]
    const out = await engine
      .compile((ops, { z: zin }) => {
        const o = fsq.forward(ops, zin!);
        return { q: o.quantized, idx: o.indices, back: fsq.indicesToCodes(ops, o.indices) };
      })
      .run({ z });
    expect(out.q!.shape).toEqual([2, 2, 2, 3, 3]);
    expect(out.idx!.shape).toEqual([2, 2, 3, 3]);
    expectClose(out.back!, out.q!, { rtol: 1e-6, atol: 1e-7 }, 'indicesToCodes(indices) = quantized');
  });
});
