/**
 * Bench datasets: the common Dataset contract, ucf101, synthetic, videos and
 * images sources (registered as kind `dataset` on import), ffmpeg discovery,
 * the decode cache and the decode benchmark.
 */
import { registerDatasets } from './register.js';

export { registerDatasets };
// Importing the package registers into the process-wide registry; registerDatasets(registry) does it for another.
registerDatasets();

export * from './dataset.js';
export * from './clip-sampling.js';
export * from './clip-cache.js';
export * from './ffmpeg.js';
export * from './ordered-pool.js';
export * from './video-file-dataset.js';
export * from './ucf101.js';
export * from './video-folder.js';
export * from './image-folder.js';
export * from './synthetic.js';
export * from './bench-decode.js';
