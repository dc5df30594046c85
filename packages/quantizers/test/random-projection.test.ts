/**
 * BEST-RQ random-projection quantizer against vector-quantize-pytorch v1.31.0
 * `RandomProjectionQuantizer` (one codebook; fixture from
 * scripts/fixtures/quantizer_zoo.py): indices exact on both engines. It is
 * index-only, so it is exported but not a registered tokenizer quantizer.
 */
import { HostTensor, type Engine } from '@zoo/core';
import { quantizerNames } from '../src/index.js';
import { RandomProjectionQuantizer } from '../src/random-projection.js';
import { ENGINES, makeEngine } from './support/engines.js';
import { expectExact, float, loadFixture } from './support/fixtures.js';

describe.each(ENGINES)('random-projection on %s', (engineName) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await makeEngine(engineName);
  });
  afterAll(async () => engine?.dispose());

  it('indices equal the reference with its frozen projection and codebook', async () => {
    const fx = loadFixture('random_projection');
    const c = fx.config;
    const q = new RandomProjectionQuantizer({ dim: c.dim, codebookSize: c.codebook_size, codebookDim: c.codebook_dim });
    q.loadStateDict(Object.fromEntries(Object.entries(fx.buffers).map(([k, v]) => [k, float(v as never)])));
    expect(q.parameters()).toEqual([]);
    const out = await engine.compile((ops, { x }) => ({ indices: q.forward(ops, x!).indices })).run({ x: float(fx.inputs.x) });
    expectExact(out.indices!, fx.outputs.indices, 'indices');
  });

  it('its own init: unit codes, indices in range, not offered to --quantizers', async () => {
    const q = new RandomProjectionQuantizer({ dim: 6, codebookSize: 32, codebookDim: 4, seed: 3 });
    const e = q.vq._codebook.embed.value.data;
    for (let k = 0; k < 32; k++) expect(Math.hypot(...Array.from(e.slice(k * 4, k * 4 + 4)))).toBeCloseTo(1, 5);
    const x = HostTensor.from(Array.from({ length: 2 * 6 * 9 }, (_, i) => Math.sin(i * 1.3)), [2, 6, 3, 3]);
    const out = await engine.compile((ops, { x }) => ({ indices: q.forward(ops, x!).indices })).run({ x });
    expect(out.indices!.shape).toEqual([2, 3, 3]);
    expect(Array.from(out.indices!.data).every((v) => v >= 0 && v < 32)).toBe(true);
    expect(quantizerNames()).not.toContain('random-projection');
  });
});
