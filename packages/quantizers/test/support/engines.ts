/** Creates an engine by name for engine-parameterized tests. */
import { createRequire } from 'node:module';
import { createOnnxEngine, createTfjsEngine, type Engine } from '@zoo/core';

export type EngineName = 'tfjs' | 'onnx';

/** Engines every parity test runs on; ZOO_TEST_ENGINES=tfjs narrows it (comma-separated). */
export const ENGINES: readonly EngineName[] = (process.env['ZOO_TEST_ENGINES']?.split(',') as EngineName[] | undefined) ?? ['tfjs', 'onnx'];

interface GradConfig {
  kernelName: string;
  inputsToSave?: string[];
  gradFunc: (dy: unknown, saved: { shape: number[] }[], attrs: unknown) => Record<string, () => unknown>;
}
interface TfGradApi {
  getGradient(kernel: string): GradConfig | undefined;
  registerGradient(config: GradConfig): void;
  zeros(shape: number[], dtype: 'float32'): unknown;
}

let gatherPatched = false;
/**
 * TEST-ONLY WORKAROUND (remove once the tfjs engine does it itself): tfjs's
 * GatherV2 gradient hands back the int32 indices as their "gradient", so
 * valueAndGrad fails whenever the indices depend on a differentiated input
 * (argmin over distances -> gather of the codebook). A float32 zero gradient
 * for the indices, as tfjs's OneHot gradient does, is the fix.
 */
function patchTfjsGatherGradient(): void {
  if (gatherPatched) return;
  gatherPatched = true;
  const require = createRequire(import.meta.url);
  const tf = require('../../../core/node_modules/@tensorflow/tfjs-core') as TfGradApi;
  const orig = tf.getGradient('GatherV2');
  if (!orig) return;
  tf.registerGradient({
    ...orig,
    gradFunc: (dy, saved, attrs) => {
      const g = orig.gradFunc(dy, saved, attrs);
      return { ...g, indices: () => tf.zeros(saved[1]!.shape, 'float32') };
    },
  });
}

export async function makeEngine(name: EngineName): Promise<Engine> {
  if (name === 'tfjs') {
    const engine = await createTfjsEngine({ backend: 'cpu' });
    patchTfjsGatherGradient();
    return engine;
  }
  return createOnnxEngine({ threads: 1 });
}
