/**
 * Bench metrics: PSNR, SSIM, FVD/FID (Fréchet distance over ONNX features),
 * codebook usage and perplexity, rate (tokens, bits per pixel, compression
 * ratio) and throughput helpers. Registered as kind `metric` on import.
 */
import { registerMetrics } from './register.js';

export { registerMetrics };
// Importing the package registers into the process-wide registry; registerMetrics(registry) does it for another.
registerMetrics();

export * from './layout.js';
export * from './psnr.js';
export * from './ssim.js';
export * from './frechet.js';
export * from './feature-extractor.js';
export * from './fvd.js';
export * from './codebook.js';
export * from './compression.js';
export * from './throughput.js';
export { psnrSchema, ssimSchema, fvdSchema, fidSchema, codebookSchema } from './register.js';
