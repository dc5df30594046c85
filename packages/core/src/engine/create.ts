/**
 * Choosing an engine by name, for CLIs and configs. `--engine onnx|tfjs` with
 * `--device cpu|cuda` covers the common case; the long names pin a tfjs backend.
 */
import type { Engine } from './engine.js';
import { createOnnxEngine, OnnxDeviceError, type OnnxDevice } from './onnx/index.js';
import { createTfjsEngine } from './tfjs/index.js';

export const ENGINE_CHOICES = [
  'onnx-cpu',
  'onnx-cuda',
  'onnx-webgpu',
  'tfjs',
  'tfjs-tensorflow-gpu',
  'tfjs-tensorflow',
  'tfjs-wasm',
  'tfjs-cpu',
] as const;
export type EngineChoice = (typeof ENGINE_CHOICES)[number];

export class EngineChoiceError extends Error {
  constructor(got: string) {
    super(`unknown engine '${got}'. Valid: ${ENGINE_CHOICES.join(', ')}`);
    this.name = 'EngineChoiceError';
  }
}

export async function createEngineByName(choice: string): Promise<Engine> {
  switch (choice as EngineChoice) {
    case 'onnx-cpu':
      return createOnnxEngine({ device: 'cpu' });
    case 'onnx-cuda':
      return createOnnxEngine({ device: 'cuda' });
    case 'onnx-webgpu':
      return createOnnxEngine({ device: 'webgpu' });
    case 'tfjs':
      return createTfjsEngine();
    case 'tfjs-tensorflow-gpu':
      return createTfjsEngine({ backend: 'tensorflow-gpu' });
    case 'tfjs-tensorflow':
      return createTfjsEngine({ backend: 'tensorflow' });
    case 'tfjs-wasm':
      return createTfjsEngine({ backend: 'wasm' });
    case 'tfjs-cpu':
      return createTfjsEngine({ backend: 'cpu' });
    default:
      throw new EngineChoiceError(choice);
  }
}

/**
 * `--engine` / `--device` as the bench CLI takes them. On tfjs, `cuda` means
 * the tfjs-node-gpu backend (which must be installed); `cpu` lets tfjs pick
 * the fastest CPU backend that loads; `webgpu` is onnx-only (tfjs's WebGPU
 * backend needs a browser's navigator.gpu).
 */
export async function createEngine(opts: { engine?: 'onnx' | 'tfjs'; device?: OnnxDevice } = {}): Promise<Engine> {
  const engine = opts.engine ?? 'onnx';
  const device = opts.device ?? 'cpu';
  if (engine === 'onnx') return createOnnxEngine({ device });
  if (device === 'webgpu') {
    throw new OnnxDeviceError("device 'webgpu' runs on the onnx engine only (tfjs's WebGPU backend needs a browser); use --engine onnx --device webgpu, or --engine tfjs --device cpu|cuda");
  }
  return device === 'cuda' ? createTfjsEngine({ backend: 'tensorflow-gpu' }) : createTfjsEngine();
}
