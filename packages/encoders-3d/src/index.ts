/**
 * @zoo/encoders-3d: VQGAN (per-frame 2-D), MAGVIT (inflated 3-D) and
 * MAGVIT-v2 (causal 3-D) encoders and decoders. Importing it registers the
 * `encoder` and `decoder` kinds conv2d, inflated3d and causal3d.
 */
import { registerEncoders } from './register.js';

export * from './errors.js';
export * from './config.js';
export * from './kits.js';
export * from './frame-blocks.js';
export * from './causal-sampling.js';
export * from './backbone.js';
export * from './families.js';
export * from './autoencoder.js';
export * from './models.js';
export * from './inflate.js';
export * from './presets.js';
export * from './bench.js';
export { registerEncoders } from './register.js';

registerEncoders();
export * from './videogpt.js';
export * from './open-magvit2.js';
