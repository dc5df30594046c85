/** Test helpers: engines by name, fixture loading, comparisons. */
import { readFileSync } from 'node:fs';
import { HostTensor, createOnnxEngine, createTfjsEngine, type Engine } from '@zoo/core';

export type EngineName = 'tfjs' | 'onnx';
export const ENGINES: readonly EngineName[] = ['tfjs', 'onnx'];

/** tfjs on wasm (the fast pure-JS backend); onnx on CPU. */
export function makeEngine(name: EngineName): Promise<Engine> {
  return name === 'tfjs' ? createTfjsEngine({ backend: 'wasm' }) : createOnnxEngine({ device: 'cpu' });
}

export interface JsonTensor {
  shape: number[];
  dtype: string;
  data: number[];
}

export function loadFixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as T;
}

export function host(t: JsonTensor): HostTensor<'float32'> {
  return new HostTensor(t.shape, Float32Array.from(t.data), 'float32');
}

/** Max |a − b| after checking shapes agree. */
export function maxAbsDiff(a: HostTensor, b: HostTensor | JsonTensor): number {
  expect(a.shape).toEqual(b.shape);
  let m = 0;
  for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs(a.data[i]! - b.data[i]!));
  return m;
}

export function expectClose(a: HostTensor, b: HostTensor | JsonTensor, tol: number): void {
  expect(maxAbsDiff(a, b)).toBeLessThanOrEqual(tol);
}
