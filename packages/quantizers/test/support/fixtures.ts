/** Loads the parity fixtures copied into test/fixtures and compares host tensors. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HostTensor } from '@zoo/core';

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
export { expectClose } from '@zoo/core/testing';

export function expectExact(got: HostTensor, want: FixtureTensor, what = ''): void {
  expect({ what, shape: got.shape }).toEqual({ what, shape: [...want.shape] });
  expect({ what, data: Array.from(got.data) }).toEqual({ what, data: want.data });
}
