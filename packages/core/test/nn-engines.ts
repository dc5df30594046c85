/** Engines for the nn tests (shared per test file). */
import { TEST_ENGINES, disposeTestEngines, testEngine, type TestEngineName } from '../src/testing.js';
import type { Engine } from '../src/index.js';

export type EngineName = TestEngineName;
export const ENGINE_NAMES: EngineName[] = [...TEST_ENGINES];
export const makeEngine = (name: EngineName): Promise<Engine> => testEngine(name, { onnxThreads: 1 });
export const disposeEngines = disposeTestEngines;
