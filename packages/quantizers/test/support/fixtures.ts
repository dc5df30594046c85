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

/** Max |a-b| / (atol + rtol·|b|) must be <= 1: relative with an absolute floor for near-zero values. */
export function expectClose(got: HostTensor, want: FixtureTensor | HostTensor, rtol = 1e-5, atol = 1e-6, what = ''): void {
  const shape = want.shape;
  expect({ what, shape: got.shape }).toEqual({ what, shape: [...shape] });
  const w = want.data as ArrayLike<number>;
  let worst = 0;
  let at = -1;
  for (let i = 0; i < w.length; i++) {
    const g = got.data[i]!;
    const e = Math.fround(w[i]!);
    const r = g === e ? 0 : Math.abs(g - e) / (atol + rtol * Math.abs(e));
    if (!(r <= worst)) {
      worst = r;
      at = i;
    }
  }
  if (!(worst <= 1)) {
    throw new Error(`${what}: mismatch at flat index ${at}: got ${got.data[at]}, want ${w[at]} (rtol ${rtol}, atol ${atol})`);
  }
}

export function expectExact(got: HostTensor, want: FixtureTensor, what = ''): void {
  expect({ what, shape: got.shape }).toEqual({ what, shape: [...want.shape] });
  expect({ what, data: Array.from(got.data) }).toEqual({ what, data: want.data });
}
