/** Creates an engine by name for engine-parameterized tests (callers dispose it). */
import { TEST_ENGINES, createTestEngine, type TestEngineName } from '@zoo/core/testing';
import type { Engine } from '@zoo/core';

export type EngineName = TestEngineName;
/** ZOO_TEST_ENGINES=tfjs narrows the list (comma-separated). */
export const ENGINES: readonly EngineName[] = TEST_ENGINES;

/** tfjs on its cpu backend: plain loops sum in an order closer to torch's than XNNPACK does. */
export const makeEngine = (name: EngineName): Promise<Engine> =>
  createTestEngine(name, { tfjsBackend: 'cpu', onnxThreads: 1 });
