/** Loads the parity fixtures copied into test/fixtures and compares host tensors. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HostTensor, type Ops, type Tensor } from '@zoo/core';
import { expectClose } from '@zoo/core/testing';
import type { Quantizer } from '../../src/types.js';

export interface FixtureTensor {
  shape: number[];
  dtype: 'float32' | 'int64' | 'int32' | 'bool';
  data: number[];
}
// Fixture JSON is nested records of tensors; callers index what they need.
export type Fixture = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const here = dirname(fileURLToPath(import.meta.url));

export function loadFixture(name: string): Fixture {
  return JSON.parse(readFileSync(join(here, '..', 'fixtures', `${name}.json`), 'utf8')) as Fixture;
}

export function host(t: FixtureTensor): HostTensor {
  if (t.dtype === 'float32') return new HostTensor(t.shape, Float32Array.from(t.data), 'float32');
  if (t.dtype === 'bool') return new HostTensor(t.shape, Uint8Array.from(t.data), 'bool');
  return new HostTensor(t.shape, Int32Array.from(t.data), 'int32');
}

export function float(t: FixtureTensor): HostTensor<'float32'> {
  return new HostTensor(t.shape, Float32Array.from(t.data), 'float32');
}


/** The shared comparison (meaning: `Tolerance` in @zoo/core/testing). */
export { expectClose };

export function expectExact(got: HostTensor, want: FixtureTensor, what = ''): void {
  expect({ what, shape: got.shape }).toEqual({ what, shape: [...want.shape] });
  expect({ what, data: Array.from(got.data) }).toEqual({ what, data: want.data });
}

/**
 * The outputs the entropy-regularised quantizers' fixtures record (LFQ, BSQ):
 * loss = quantized.sum() + aux loss (what the reference backpropagates), and
 * the aux loss with its terms.
 */
export function entropyFixtureOutputs(q: Quantizer): (ops: Ops, inputs: Record<string, Tensor>) => Record<string, Tensor> & { loss: Tensor } {
  return (ops, { x }) => {
    const o = q.forward(ops, x!);
    return {
      loss: ops.add(ops.sum(o.quantized), o.loss),
      quantized: o.quantized,
      indices: o.indices,
      aux: o.loss,
      perSample: o.breakdown['perSampleEntropy']!,
      codebook: o.breakdown['codebookEntropy']!,
      commitment: o.breakdown['commitment']!,
    };
  };
}

/**
 * Checks `entropyFixtureOutputs` results against the fixture: indices exact;
 * quantized and grad x to rtol 1e-5 / atol 1e-6; aux loss and its terms to
 * rtol 1e-5 / atol 1e-7.
 */
export function expectEntropyFixture(out: Record<string, HostTensor>, fx: Fixture): void {
  expectExact(out['indices']!, fx.outputs.indices, 'indices');
  expectClose(out['quantized']!, fx.outputs.quantized, { rtol: 1e-5, atol: 1e-6 }, 'quantized');
  expectClose(out['aux']!, fx.outputs.aux_loss, { rtol: 1e-5, atol: 1e-7 }, 'aux loss');
  expectClose(out['perSample']!, fx.outputs.per_sample_entropy, { rtol: 1e-5, atol: 1e-7 }, 'per-sample entropy');
  expectClose(out['codebook']!, fx.outputs.codebook_entropy, { rtol: 1e-5, atol: 1e-7 }, 'codebook entropy');
  expectClose(out['commitment']!, fx.outputs.commitment_unweighted, { rtol: 1e-5, atol: 1e-7 }, 'commitment');
  expectClose(out['grad:x']!, fx.grads.x, { rtol: 1e-5, atol: 1e-6 }, 'grad x');
}
