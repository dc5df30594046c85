/** The trainer: config and schedule, objectives, checkpoints (safetensors + JSON state), resume, NaN guard. */
export * from './config.js';
export * from './checkpoint.js';
export * from './model-state.js';
export * from './batch-stream.js';
export * from './objectives.js';
export * from './trainer.js';
