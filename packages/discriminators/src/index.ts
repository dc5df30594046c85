/**
 * @zoo/discriminators: PatchGAN (taming NLayerDiscriminator; its BatchNorm is
 * @zoo/core's), MAGVIT's 3D StyleGAN discriminator and a per-frame
 * wrapper for image discriminators on video. Importing the package registers
 * the `discriminator` kinds: patchgan, stylegan3d, frame-patchgan.
 */
export * from './errors.js';
export * from './patchgan.js';
export * from './stylegan3d.js';
export * from './frame-discriminator.js';
export { downsample2x } from './downsample.js';
export type { PatchGanResolvedConfig, StyleGan3dResolvedConfig, FramePatchGanResolvedConfig } from './register.js';
import { registerDiscriminators } from './register.js';

export { registerDiscriminators };
// Importing the package registers into the process-wide registry; registerDiscriminators(registry) does it for another.
registerDiscriminators();
