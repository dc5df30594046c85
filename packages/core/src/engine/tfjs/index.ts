/** The eager TensorFlow.js engine (see engine.ts) and its backend discovery. */
export { createTfjsEngine, type TfjsEngineOptions } from './engine.js';
export { availableTfjsBackends, TFJS_BACKEND_ORDER, type TfjsBackendName } from './backends.js';
export { TfjsEngineError } from './tensors.js';
