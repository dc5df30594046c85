/**
 * One registration per quantizer: `registerQuantizer` puts the factory and
 * schema into the core registry and keeps, beside it, the quantizer's config
 * for a given latent width and codebook size. That is what lets
 * `--quantizers <name>` swap any registered quantizer into a tokenizer with
 * no per-quantizer code outside the quantizer's own registration.
 */
import { registry, UnknownComponentError, type Registry, type ConfigOf, type InstanceOf, type NamesOf, type RegistrationSpec } from '@zoo/core';

/** What a tokenizer asks of its bottleneck: latent width, codebook size (codes per token, or its nearest equivalent), seed. */
export interface QuantizerChoice {
  /** Channels the encoder produces (the quantizer's input dim). */
  dim: number;
  /** Codebook size K. */
  codebookSize: number;
  /** Seed of the quantizer's own initialisation (default 0). */
  seed?: number;
}

export interface QuantizerRegistration<N extends NamesOf<'quantizer'>> extends RegistrationSpec<ConfigOf<'quantizer', N>> {
  /**
   * The config a tokenizer uses for this latent width and codebook size.
   * Throws `QuantizerConfigError` for a size the quantizer cannot have
   * (e.g. LFQ needs a power of two).
   */
  defaults(choice: Required<QuantizerChoice>): ConfigOf<'quantizer', N>;
}

type DefaultsFn = (choice: Required<QuantizerChoice>) => Record<string, unknown>;

// Shared through a global so two copies of this module (src and dist in one process) see one table, as they see one registry.
const KEY = Symbol.for('@zoo/quantizers/defaults');
const table = ((globalThis as Record<symbol, unknown>)[KEY] ??= new Map<string, DefaultsFn>()) as Map<string, DefaultsFn>;

/**
 * Registers quantizer `name` into `target` (default: the process-wide
 * registry) and its tokenizer defaults into the process-wide defaults table;
 * a name already in `target` is left as it is.
 */
export function registerQuantizer<N extends NamesOf<'quantizer'>>(
  name: N,
  factory: (config: ConfigOf<'quantizer', N>) => InstanceOf<'quantizer', N>,
  spec: QuantizerRegistration<N>,
  target: Registry = registry,
): void {
  const { defaults, ...rest } = spec;
  target.ensure('quantizer', name, factory, rest);
  if (!table.has(name)) table.set(name, defaults as unknown as DefaultsFn);
}

/** Names of the quantizers that declare tokenizer defaults, sorted. */
export function quantizerNames(): string[] {
  return [...table.keys()].sort();
}

/**
 * The registered config of quantizer `name` for a latent width and codebook
 * size. Unknown name: `UnknownComponentError` listing the valid names.
 */
export function quantizerDefaults(name: string, choice: QuantizerChoice): Record<string, unknown> {
  const fn = table.get(name);
  if (!fn) throw new UnknownComponentError('quantizer', name, quantizerNames());
  return fn({ dim: choice.dim, codebookSize: choice.codebookSize, seed: choice.seed ?? 0 });
}
