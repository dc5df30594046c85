/** Test helpers: engines by name, fixture loading, comparisons. */
import type { Engine } from '@zoo/core';
import { TEST_ENGINES, createTestEngine, readJsonFile, type JsonTensor, type TestEngineName } from '@zoo/core/testing';

export type { JsonTensor };
export type EngineName = TestEngineName;
export const ENGINES: readonly EngineName[] = TEST_ENGINES;

/** tfjs on wasm (the fast pure-JS backend); onnx on CPU. Callers dispose it. */
export const makeEngine = (name: EngineName): Promise<Engine> => createTestEngine(name, { tfjsBackend: 'wasm' });

export const loadFixture = <T>(name: string): T => readJsonFile<T>(new URL(`./fixtures/${name}`, import.meta.url));

/** Fixture tensors as float32, and max-abs-difference checks that name the worst element. */
export { floatTensor as host, expectClose } from '@zoo/core/testing';
