/** Engines for the encoder tests (shared per test file) and comparison helpers. */
import { TEST_ENGINES, disposeTestEngines, testEngine, type TestEngineName } from '@zoo/core/testing';
import type { Engine } from '@zoo/core';

export { randn, maxAbs, maxAbsDiff } from '@zoo/core/testing';
export type EngineName = TestEngineName;
export const ENGINE_NAMES: EngineName[] = [...TEST_ENGINES];
export const makeEngine = (name: EngineName): Promise<Engine> => testEngine(name, { onnxThreads: 1 });
export const disposeEngines = disposeTestEngines;
