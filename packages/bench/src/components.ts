/**
 * Every component the zoo ships, registered explicitly: `registerAll(registry)`
 * puts each package's encoders, quantizers, discriminators, losses, datasets
 * and metrics into `registry` (default: the process-wide one, which the CLI
 * and `createDynamic` use). Importing the packages still registers them into
 * the process-wide registry as before; this is the call that does not rely on it.
 */
import { registry, type Registry } from '@zoo/core';
import { registerDiscriminators } from '@zoo/discriminators';
import { registerEncoders } from '@zoo/encoders-3d';
import { registerLosses } from '@zoo/losses';
import { registerQuantizers } from '@zoo/quantizers';
import { registerDatasets } from './data/index.js';
import { registerMetrics } from './metrics/index.js';

export function registerAll(target: Registry = registry): void {
  registerEncoders(target);
  registerQuantizers(target);
  registerDiscriminators(target);
  registerLosses(target);
  registerDatasets(target);
  registerMetrics(target);
}

registerAll();
