/**
 * @zoo/encoders-3d: VQGAN (per-frame 2-D), MAGVIT (inflated 3-D) and
 * MAGVIT-v2 (causal 3-D) encoders and decoders, one file per family under
 * families/. Importing it registers the `encoder` and `decoder` kind of every
 * family into the process-wide registry (`registerEncoders(registry)` does
 * the same for another registry). Throughput timing: `@zoo/encoders-3d/bench`.
 */
import { registerEncoders } from './register.js';

export * from './errors.js';
export { familySchemas } from './config.js';
export * from './families/index.js';
export * from './kits.js';
export * from './frame-blocks.js';
export * from './causal-sampling.js';
export * from './backbone.js';
export * from './family-geometry.js';
export * from './autoencoder.js';
export * from './models.js';
export * from './inflate.js';
export * from './presets.js';
export { registerEncoders } from './register.js';

registerEncoders();
export * from './videogpt.js';
export * from './open-magvit2.js';
