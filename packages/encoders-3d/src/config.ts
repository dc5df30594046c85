/**
 * Configs of the encoder families, as zod schemas (defaults live in each
 * family's file under families/ and are what `create('encoder', name)` fills
 * in). Encoder and decoder of a family take the same config, so a pair built
 * from one config fits together.
 */
import { FAMILIES, type EncoderFamily } from './families/index.js';

export { conv2dConfigSchema, type Conv2dConfig } from './families/conv2d.js';
export { inflated3dConfigSchema, type Inflated3dConfig } from './families/inflated3d.js';
export { causal3dConfigSchema, type Causal3dConfig } from './families/causal3d.js';
export type { EncoderFamily, FamilyConfigs } from './families/index.js';

export const familySchemas = Object.fromEntries(Object.entries(FAMILIES).map(([k, v]) => [k, v.schema])) as {
  [F in EncoderFamily]: (typeof FAMILIES)[F]['schema'];
};
