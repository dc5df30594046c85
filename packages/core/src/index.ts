/**
 * @zoo/core: tensors, the backend-neutral Ops, the onnx and tfjs engines,
 * nn building blocks, checkpoints, the typed registry and logging.
 */
export * from './tensor.js';
export * from './ops.js';
export * from './util/rng.js';
export * from './util/unknown-keys.js';
export * from './util/timing.js';
export * from './nn/variable.js';
export * from './nn/module.js';
export * from './nn/index.js';
export * from './io/index.js';
export * from './engine/engine.js';
export * from './engine/probe.js';
export * from './engine/onnx/index.js';
export * from './engine/tfjs/index.js';
export * from './engine/create.js';
export * from './registry.js';
export * from './log.js';
