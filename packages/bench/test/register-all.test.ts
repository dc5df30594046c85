/** Explicit registration: registerAll fills any registry with what importing the packages registers. */
import { COMPONENT_KINDS, Registry, registry } from '@zoo/core';
import { registerAll } from '../src/components.js';

describe('registerAll', () => {
  test('a fresh registry gets every component the process-wide one has, kind by kind', () => {
    const fresh = new Registry();
    registerAll(fresh);
    for (const kind of COMPONENT_KINDS) expect({ kind, names: fresh.names(kind) }).toEqual({ kind, names: registry.names(kind) });
    expect(fresh.names('encoder')).toEqual(['causal3d', 'conv2d', 'inflated3d']);
    expect(fresh.names('quantizer')).toEqual(expect.arrayContaining(['vq', 'lfq', 'fsq', 'grouped']));
    expect(fresh.names('dataset')).toEqual(['images', 'synthetic', 'ucf101', 'videos']);
  });

  test('is idempotent and builds working components from the registry it was given', () => {
    const fresh = new Registry();
    registerAll(fresh);
    registerAll(fresh);
    expect(fresh.list().length).toBe(registry.list().length);
    const q = fresh.createDynamic('quantizer', 'fsq', { levels: [4, 4] }) as { codebookSize: number };
    expect(q.codebookSize).toBe(16);
  });
});
