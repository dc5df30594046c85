/**
 * The table of encoder families. Adding a family: write families/<name>.ts
 * exporting a `FamilySpec`, add it here, and test it; the encoder/decoder
 * classes, registration, presets' typing and `benchEncoders` read this table.
 */
import type { z } from 'zod';
import { causal3dFamily } from './causal3d.js';
import { conv2dFamily } from './conv2d.js';
import { inflated3dFamily } from './inflated3d.js';
import type { FamilySpec } from './spec.js';

export const FAMILIES = {
  conv2d: conv2dFamily,
  inflated3d: inflated3dFamily,
  causal3d: causal3dFamily,
} as const;

export type EncoderFamily = keyof typeof FAMILIES;

/** Parsed config of each family. */
export type FamilyConfigs = { [F in EncoderFamily]: z.output<(typeof FAMILIES)[F]['schema']> };

/** The config a caller passes (defaults optional). */
export type FamilyInput<F extends EncoderFamily> = z.input<(typeof FAMILIES)[F]['schema']>;

export const familyNames = (): EncoderFamily[] => Object.keys(FAMILIES) as EncoderFamily[];

/** The spec of `family`, typed loosely enough to call with any of its configs. */
export function familySpec(family: EncoderFamily): FamilySpec {
  return FAMILIES[family] as unknown as FamilySpec;
}

export * from './spec.js';
export * from './conv2d.js';
export * from './inflated3d.js';
export * from './causal3d.js';
