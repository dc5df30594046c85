/** The `zoo tokenizers` job: options, datasets, evaluation protocol, ONNX export/import, report assembly. */
export * from './options.js';
export * from './datasets.js';
export * from './entries.js';
export * from './codec.js';
export * from './evaluate.js';
export * from './onnx-codec.js';
export * from './onnx-export.js';
export * from './report-assets.js';
export * from './run-tokenizers.js';
