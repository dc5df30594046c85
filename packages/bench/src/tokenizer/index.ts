/** Tokenizers assembled from registry names: specs, presets, quantizer configs, the Tokenizer module. */
export * from './spec.js';
export * from './quantizer-config.js';
export * from './presets.js';
export * from './tokenizer.js';
export * from './init.js';
