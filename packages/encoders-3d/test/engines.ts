/**
 * Engines for the encoder tests, created by name. An engine whose factory is
 * not exported from @zoo/core yet is left out with a warning.
 */
import * as core from '@zoo/core';
import { HostTensor, Rng, sizeOf, type Engine, type Shape } from '@zoo/core';

export type EngineName = 'tfjs' | 'onnx';

const factories: Record<EngineName, string> = { tfjs: 'createTfjsEngine', onnx: 'createOnnxEngine' };

function factory(name: EngineName): ((opts?: object) => Promise<Engine>) | undefined {
  const f = (core as Record<string, unknown>)[factories[name]];
  return typeof f === 'function' ? (f as (opts?: object) => Promise<Engine>) : undefined;
}

export const ENGINE_NAMES: EngineName[] = (['tfjs', 'onnx'] as const).filter((n) => {
  if (factory(n)) return true;
  console.warn(`encoders-3d tests: ${factories[n]} is not exported from @zoo/core yet; skipping the ${n} engine`);
  return false;
});

const cache = new Map<EngineName, Promise<Engine>>();

export function makeEngine(name: EngineName): Promise<Engine> {
  let e = cache.get(name);
  if (!e) {
    const f = factory(name);
    if (!f) throw new Error(`${factories[name]} is not available`);
    e = name === 'onnx' ? f({ threads: 1 }) : f();
    cache.set(name, e);
  }
  return e;
}

export async function disposeEngines(): Promise<void> {
  for (const e of cache.values()) await (await e).dispose();
  cache.clear();
}

export function randn(rng: Rng, shape: Shape, std = 1): HostTensor<'float32'> {
  return new HostTensor(shape, rng.fillNormal(new Float32Array(sizeOf(shape)), 0, std), 'float32');
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}
