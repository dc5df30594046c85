/**
 * What the shared body needs from a family, read from its entry in FAMILIES:
 * the parsed config, the kit, the per-level resampling factors, the
 * compression, and the input lengths it accepts.
 */
import { Rng } from '@zoo/core';
import { FAMILIES, familySpec, type EncoderFamily, type FamilyConfigs, type FamilyInput } from './families/index.js';
import { EncoderConfigError } from './errors.js';
import type { ConvKit, LevelFactors } from './kits.js';
import type { BodyConfig } from './backbone.js';

export interface Compression {
  /** Frames per latent frame (causal: after the first frame). */
  time: number;
  /** Pixels per latent pixel along H and W. */
  space: number;
}

/** Parse a (partial) config with the family's schema; errors become EncoderConfigError. */
export function resolveConfig<F extends EncoderFamily>(family: F, config?: FamilyInput<F>): FamilyConfigs[F] {
  if (!(family in FAMILIES)) {
    throw new EncoderConfigError(`unknown encoder family '${String(family)}'. Families: ${Object.keys(FAMILIES).join(', ')}`);
  }
  const parsed = familySpec(family).schema.safeParse(config ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(config)'}: ${i.message}`);
    throw new EncoderConfigError(`invalid ${family} config: ${issues.join('; ')}`);
  }
  return parsed.data as FamilyConfigs[F];
}

export function compressionOf(family: EncoderFamily, cfg: FamilyConfigs[EncoderFamily]): Compression {
  const space = cfg.spatialCompression ?? 2 ** (cfg.chMult.length - 1);
  return { time: familySpec(family).temporalCompression(cfg), space };
}

export function levelFactors(family: EncoderFamily, cfg: FamilyConfigs[EncoderFamily]): LevelFactors[] {
  const { time, space } = compressionOf(family, cfg);
  const nS = Math.log2(space);
  const nT = Math.log2(time);
  return cfg.chMult.map((_, i) => ({ time: i < nT ? 2 : 1, space: i < nS ? 2 : 1 }));
}

export function kitFor(family: EncoderFamily, cfg: FamilyConfigs[EncoderFamily]): ConvKit {
  return familySpec(family).kit(cfg, { groups: cfg.normGroups, eps: cfg.normEps });
}

export function bodyConfig(family: EncoderFamily, cfg: FamilyConfigs[EncoderFamily]): BodyConfig {
  return {
    imageChannels: cfg.channels,
    ch: cfg.ch,
    chMult: cfg.chMult,
    numResBlocks: cfg.numResBlocks,
    zChannels: cfg.zChannels,
    attention: cfg.attention,
    levels: levelFactors(family, cfg),
  };
}

/**
 * Xor'd into the seed of a decoder's init so that encoder and decoder built
 * from one seed draw different weights (MurmurHash2's multiplier: any odd
 * constant with mixed bits would do). Bench's tokenizer init uses the same one.
 */
export const DECODER_SEED_SALT = 0x5bd1e995;

export function rngFor(cfg: { seed: number }, part: 'encoder' | 'decoder'): Rng {
  return new Rng(part === 'encoder' ? cfg.seed : cfg.seed ^ DECODER_SEED_SALT);
}

/** Latent frames for `frames` input frames, or undefined if the family cannot take that length. */
export function latentFrames(family: EncoderFamily, tc: number, frames: number): number | undefined {
  return familySpec(family).frames.latentFrames(tc, frames);
}

/** Output frames the decoder produces for `latent` latent frames. */
export function decodedFrames(family: EncoderFamily, tc: number, latent: number): number {
  return familySpec(family).frames.decodedFrames(tc, latent);
}

export function frameRule(family: EncoderFamily, tc: number): string {
  return tc === 1 ? 'any T' : familySpec(family).frames.describe(tc);
}
