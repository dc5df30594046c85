/**
 * What each family needs beyond the shared body: its kit, its per-level
 * resampling factors, its compression, and the input lengths it accepts.
 */
import { Rng } from '@zoo/core';
import type { z } from 'zod';
import { familySchemas, type EncoderFamily, type FamilyConfigs } from './config.js';
import { EncoderConfigError } from './errors.js';
import { kit2d, kitCausal, kitInflated, type ConvKit, type LevelFactors } from './kits.js';
import type { BodyConfig } from './backbone.js';

export interface Compression {
  /** Frames per latent frame (causal: after the first frame). */
  time: number;
  /** Pixels per latent pixel along H and W. */
  space: number;
}

/** Parse a (partial) config with the family's schema; errors become EncoderConfigError. */
export function resolveConfig<F extends EncoderFamily>(family: F, config?: z.input<(typeof familySchemas)[F]>): FamilyConfigs[F] {
  const parsed = familySchemas[family].safeParse(config ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(config)'}: ${i.message}`);
    throw new EncoderConfigError(`invalid ${family} config: ${issues.join('; ')}`);
  }
  return parsed.data as FamilyConfigs[F];
}

export function compressionOf(family: EncoderFamily, cfg: FamilyConfigs[EncoderFamily]): Compression {
  const space = cfg.spatialCompression ?? 2 ** (cfg.chMult.length - 1);
  const time = family === 'conv2d' ? 1 : (cfg as FamilyConfigs['causal3d']).temporalCompression;
  return { time, space };
}

export function levelFactors(family: EncoderFamily, cfg: FamilyConfigs[EncoderFamily]): LevelFactors[] {
  const { time, space } = compressionOf(family, cfg);
  const nS = Math.log2(space);
  const nT = Math.log2(time);
  return cfg.chMult.map((_, i) => ({ time: i < nT ? 2 : 1, space: i < nS ? 2 : 1 }));
}

export function kitFor(family: EncoderFamily, cfg: FamilyConfigs[EncoderFamily]): ConvKit {
  const norm = { groups: cfg.normGroups, eps: cfg.normEps };
  if (family === 'conv2d') return kit2d(norm);
  if (family === 'inflated3d') return kitInflated((cfg as FamilyConfigs['inflated3d']).spatialPadding, norm);
  const c = cfg as FamilyConfigs['causal3d'];
  return kitCausal(c.padMode, c.spatialPadMode ?? c.padMode, norm);
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

export function rngFor(cfg: { seed: number }, part: 'encoder' | 'decoder'): Rng {
  return new Rng(part === 'encoder' ? cfg.seed : cfg.seed ^ 0x5bd1e995);
}

/** Latent frames for `frames` input frames, or undefined if the family cannot take that length. */
export function latentFrames(family: EncoderFamily, tc: number, frames: number): number | undefined {
  if (family === 'causal3d') return (frames - 1) % tc === 0 ? 1 + (frames - 1) / tc : undefined;
  return frames % tc === 0 ? frames / tc : undefined;
}

/** Output frames the decoder produces for `latent` latent frames. */
export function decodedFrames(family: EncoderFamily, tc: number, latent: number): number {
  return family === 'causal3d' ? 1 + (latent - 1) * tc : latent * tc;
}

export function frameRule(family: EncoderFamily, tc: number): string {
  if (tc === 1) return 'any T';
  return family === 'causal3d' ? `T = 1 + ${tc}k` : `T divisible by ${tc}`;
}
