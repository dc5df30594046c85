import { ConfigError, HostTensor, ShapeError, create, registry } from '@zoo/core';
import '../src/index.js';
import { LFQ, ResidualVQ, VectorQuantizer } from '../src/index.js';
import { ENGINES, makeEngine } from './support/engines.js';
import { expectClose } from './support/fixtures.js';

/** [B, N, D] -> [B, D, H, W] with N = H·W (channels-first image). */
function toImage(x: HostTensor, h: number, w: number): HostTensor {
  const [b, n, d] = x.shape as [number, number, number];
  const out = new Float32Array(x.size);
  for (let i = 0; i < b; i++) for (let p = 0; p < n; p++) for (let c = 0; c < d; c++) out[(i * d + c) * n + p] = x.data[(i * n + p) * d + c]!;
  return new HostTensor([b, d, h, w], out, 'float32');
}

describe.each(ENGINES)('layouts on %s', (engineName) => {
  it('channels-first images, channels-last images and tokens quantize identically', async () => {
    const engine = await makeEngine(engineName);
    const vq = new VectorQuantizer({ dim: 3, codebookSize: 8, seed: 5 }).eval();
    const tokens = HostTensor.from(Array.from({ length: 2 * 6 * 3 }, (_, i) => Math.sin(0.7 * i) * 0.3), [2, 6, 3]);
    const image = toImage(tokens, 2, 3);
    const out = await engine
      .compile((ops, { t, img }) => {
        const a = vq.forward(ops, t!);
        const b = vq.forward(ops, img!);
        const last = vq.forward(ops, ops.reshape(t!, [2, 2, 3, 3]), { layout: 'channels-last' });
        return { qa: a.quantized, ia: a.indices, qb: b.quantized, ib: b.indices, il: last.indices, codes: vq.indicesToCodes(ops, b.indices) };
      })
      .run({ t: tokens, img: image });
    expect(out.qb!.shape).toEqual([2, 3, 2, 3]);
    expect(out.ib!.shape).toEqual([2, 2, 3]);
    expect(Array.from(out.ib!.data)).toEqual(Array.from(out.ia!.data));
    expect(Array.from(out.il!.data)).toEqual(Array.from(out.ia!.data));
    expectClose(out.qb!, toImage(out.qa!, 2, 3), { rtol: 0, atol: 0 }, 'image quantized');
    expectClose(out.codes!, out.qb!, { rtol: 0, atol: 0 }, 'indicesToCodes in image layout');
    await engine.dispose();
  });

  it('a wrong feature size is a ShapeError naming the module, the expected and the actual shape', async () => {
    const engine = await makeEngine(engineName);
    const lfq = new LFQ({ codebookSize: 16 });
    const fn = engine.compile((ops, { x }) => ({ q: lfq.forward(ops, x!).quantized }));
    await expect(fn.run({ x: HostTensor.zeros([1, 3, 5]) })).rejects.toThrow(ShapeError);
    await expect(fn.run({ x: HostTensor.zeros([1, 3, 5]) })).rejects.toThrow(/lfq: expected shape \[\.\.\., 4\]/);
    await engine.dispose();
  });
});

describe('registry', () => {
  it('registers every quantizer kind', () => {
    expect(registry.names('quantizer')).toEqual(expect.arrayContaining(['cosine-vq', 'fsq', 'lfq', 'rvq', 'vq']));
  });

  it('fills defaults from the schema', () => {
    const vq = create('quantizer', 'vq', { dim: 4, codebookSize: 8 });
    expect(vq).toBeInstanceOf(VectorQuantizer);
    expect(vq.config).toMatchObject({ decay: 0.8, eps: 1e-5, commitmentWeight: 0.25, rotationTrick: true, emaUpdate: true, lossPlacement: 'joint' });
    const lfq = create('quantizer', 'lfq', { codebookSize: 2 ** 18, factorizedBits: [9, 9] });
    expect(lfq.config).toMatchObject({ entropyLossWeight: 0.1, commitmentLossWeight: 0.25, diversityGamma: 1, invTemperature: 100, bitOrder: 'msb-first' });
    expect(lfq.dim).toBe(18);
    const rvq = create('quantizer', 'rvq', { numQuantizers: 2, layer: { kind: 'fsq', config: { levels: [8, 5, 5, 5] } } });
    expect(rvq).toBeInstanceOf(ResidualVQ);
    expect(rvq.namedVariables().map(([k]) => k)).toEqual([]);
  });

  it('rejects bad configs with the field and what is allowed', () => {
    expect(() => create('quantizer', 'lfq', { codebookSize: 12 })).toThrow(ConfigError);
    expect(() => create('quantizer', 'lfq', { codebookSize: 12 })).toThrow(/codebookSize = 12: must be a power of two/);
    expect(() => create('quantizer', 'vq', { dim: 4, codebookSize: 8, decay: 1.5 })).toThrow(/decay = 1.5/);
  });

  it('names state-dict keys as vector-quantize-pytorch', () => {
    const rvq = new ResidualVQ({ numQuantizers: 2, layer: { kind: 'vq', config: { dim: 4, codebookSize: 8 } } });
    expect(Object.keys(rvq.stateDict())).toEqual([
      'layers.0._codebook.embed',
      'layers.0._codebook.cluster_size',
      'layers.0._codebook.embed_avg',
      'layers.0._codebook.initted',
      'layers.1._codebook.embed',
      'layers.1._codebook.cluster_size',
      'layers.1._codebook.embed_avg',
      'layers.1._codebook.initted',
    ]);
    expect(new LFQ({ codebookSize: 16, dim: 6 }).namedVariables().map(([k]) => k)).toEqual([
      'project_in.weight',
      'project_in.bias',
      'project_out.weight',
      'project_out.bias',
    ]);
  });
});
