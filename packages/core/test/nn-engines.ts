/**
 * Engines for the nn tests, created by name. An engine whose factory is not
 * exported from @zoo/core yet is left out with a warning (the lead narrows or
 * widens the list at integration).
 */
import * as core from '../src/index.js';
import type { Engine } from '../src/index.js';

export type EngineName = 'tfjs' | 'onnx';

const factories: Record<EngineName, string> = { tfjs: 'createTfjsEngine', onnx: 'createOnnxEngine' };

function factory(name: EngineName): ((opts?: object) => Promise<Engine>) | undefined {
  const f = (core as Record<string, unknown>)[factories[name]];
  return typeof f === 'function' ? (f as (opts?: object) => Promise<Engine>) : undefined;
}

export const ENGINE_NAMES: EngineName[] = (['tfjs', 'onnx'] as const).filter((n) => {
  if (factory(n)) return true;
  console.warn(`nn tests: ${factories[n]} is not exported from @zoo/core yet; skipping the ${n} engine`);
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
