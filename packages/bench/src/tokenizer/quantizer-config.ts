/**
 * The quantizer config a tokenizer gets for `--quantizers <name>
 * --codebook-size K`: whatever quantizer `name` declared at its registration
 * in @zoo/quantizers (`quantizerDefaults`), so any registered quantizer can
 * swap the bottleneck of any preset with no edit here.
 */
import { quantizerDefaults, quantizerNames, type QuantizerChoice } from '@zoo/quantizers';
import { TokenizerSpecError } from './spec.js';

export type { QuantizerChoice };

/** Config of quantizer `name` for a latent width and codebook size; a bad name or size is a TokenizerSpecError. */
export function quantizerConfig(name: string, c: QuantizerChoice): Record<string, unknown> {
  if (!quantizerNames().includes(name)) {
    throw new TokenizerSpecError(`unknown quantizer '${name}'. Valid: ${quantizerNames().join(', ')}`);
  }
  try {
    return quantizerDefaults(name, c);
  } catch (e) {
    throw new TokenizerSpecError((e as Error).message);
  }
}
