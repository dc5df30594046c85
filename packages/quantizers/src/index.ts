/**
 * @zoo/quantizers: the discrete bottlenecks of visual tokenizers, written once
 * against `Ops` so they run on both engines. Importing the package registers
 * them as `quantizer` components (`quantizerNames()` lists them);
 * `registerQuantizers(registry)` registers them into another registry.
 */
import { registerQuantizers } from './register.js';

registerQuantizers();

export * from './types.js';
export { registerQuantizer, quantizerDefaults, quantizerNames, type QuantizerChoice, type QuantizerRegistration } from './registration.js';
// Every registered quantizer's module (classes, schemas, config types) is re-exported by its registration.
export * from './register.js';
export { flattenTokens, flattenIndices, defaultLayout, type TokenView } from './layout.js';
export { rotationTrick, straightThrough } from './rotation-trick.js';
export { emaCodebookUpdate, type EmaState } from './ema.js';
export { Codebook, type CodebookOptions } from './codebook.js';
export { lfqEntropy, implicitCodebook, entropy as lfqEntropyOf, type LfqEntropy } from './lfq-entropy.js';
export { Linear } from './linear.js';
export { kmeans, hostTokens, sampleRows, type HostTokens, type KMeansResult } from './host/kmeans.js';
export { CodebookUsage, CodebookUsageError, type UsageSummary } from './host/usage.js';
export { nearestCodes, type NearestOptions, type NearestResult } from './nearest.js';
