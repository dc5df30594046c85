/**
 * Every registered quantizer declares its tokenizer config (latent width,
 * codebook size) and its rate; both must agree with what its forward emits.
 * A new quantizer is covered here by registering it, with no edit to this file.
 */
import { createDynamic, HostTensor, Rng, UnknownComponentError } from '@zoo/core';
import { randn } from '@zoo/core/testing';
import { quantizerDefaults, quantizerNames, QuantizerConfigError, type TrainableQuantizer } from '../src/index.js';
import { makeEngine } from './support/engines.js';

const DIM = 8;
const K = 16;

describe('quantizer registrations', () => {
  it('lists the built-in quantizers and names the valid ones for an unknown name', () => {
    expect(quantizerNames()).toEqual(expect.arrayContaining(['vq', 'cosine-vq', 'lfq', 'fsq', 'rvq']));
    expect(() => quantizerDefaults('pq', { dim: DIM, codebookSize: K })).toThrow(UnknownComponentError);
    expect(() => quantizerDefaults('pq', { dim: DIM, codebookSize: K })).toThrow(/unknown quantizer 'pq'.*fsq.*lfq/);
  });

  it('refuses a codebook size a quantizer cannot have', () => {
    expect(() => quantizerDefaults('lfq', { dim: DIM, codebookSize: 1000 })).toThrow(QuantizerConfigError);
  });

  it.each(quantizerNames())('%s: its declared defaults build, run on [B, C, H, W] and give indices shaped as its rate says', async (name) => {
    const q = createDynamic('quantizer', name, quantizerDefaults(name, { dim: DIM, codebookSize: K, seed: 3 })) as TrainableQuantizer;
    const rate = q.rate();
    expect(q.dim).toBe(DIM);
    expect(rate.bitsPerToken).toBeCloseTo(rate.codebookSizes.reduce((b, k) => b + Math.log2(k), 0), 12);
    // The defaults target K codes per index (FSQ: the nearest grid the levels table allows).
    for (const k of rate.codebookSizes) expect(Math.abs(Math.log2(k) - Math.log2(K))).toBeLessThanOrEqual(1);
    const z = randn(new Rng(1), [2, DIM, 3, 3]);
    q.kmeansInit?.(z);
    const engine = await makeEngine('onnx');
    const out = await engine
      .compile((ops, { z }) => {
        const o = q.forward(ops, z!);
        return { quantized: o.quantized, indices: o.indices, loss: o.loss, codes: q.indicesToCodes(ops, o.indices) };
      })
      .run({ z: z as HostTensor });
    await engine.dispose();
    expect(out.quantized!.shape).toEqual([2, DIM, 3, 3]);
    expect(out.codes!.shape).toEqual([2, DIM, 3, 3]);
    expect(out.indices!.shape).toEqual(rate.indexAxis ? [2, 3, 3, rate.codebookSizes.length] : [2, 3, 3]);
    expect(Number.isFinite(out.loss!.item())).toBe(true);
    const perIndex = rate.indexAxis ? rate.codebookSizes : [rate.codebookSizes[0]!];
    Array.from(out.indices!.data).forEach((v, i) => {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(perIndex[i % perIndex.length]!);
    });
  });
});
