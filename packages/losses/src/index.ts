/**
 * @zoo/losses: pixel losses, GAN objectives, LeCam, the VQGAN adaptive
 * weight and LPIPS, all written against `Ops`. Importing the package
 * registers the `loss` kinds: l1, l2, hinge, non-saturating, lecam,
 * adaptive-weight, lpips, r1; and `metric:lpips`.
 */
export * from './errors.js';
export * from './pixel.js';
export * from './gan.js';
export * from './lecam.js';
export * from './adaptive-weight.js';
export * from './r1.js';
export * from './components.js';
export { LPIPS, LPIPS_NETS, shippedLpipsWeights, type LpipsConfig, type LpipsNet } from './lpips/lpips.js';
export { LpipsMetric, type LpipsMetricConfig, type LpipsMetricValue } from './lpips/metric.js';
export type { LeCamResolvedConfig, LpipsResolvedConfig, LpipsMetricResolvedConfig } from './register.js';
import { registerLosses } from './register.js';

export { registerLosses };
// Importing the package registers into the process-wide registry; registerLosses(registry) does it for another.
registerLosses();
