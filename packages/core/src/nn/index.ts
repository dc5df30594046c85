/** nn building blocks written once against `Ops` (PyTorch names, layouts and default init). */
export * from './init.js';
export * from './checks.js';
export * from './layer.js';
export * from './conv.js';
export * from './causal-conv3d.js';
export * from './conv-transpose.js';
export * from './linear.js';
export * from './norm.js';
export * from './activations.js';
export * from './sequential.js';
export * from './resample.js';
export * from './sampling.js';
export * from './attention.js';
export * from './embedding.js';
export * from './transformer.js';
export * from './batch-norm.js';
export * from './axial-attention.js';
