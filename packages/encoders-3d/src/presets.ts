/**
 * Named configurations at test, small and paper scale. Paper-scale entries
 * follow the references named on each; small ones keep the same shape of
 * network with fewer channels/blocks for CPU runs.
 */
import type { EncoderFamily } from './config.js';
import { EncoderConfigError } from './errors.js';
import type { FamilyInput } from './families/index.js';
import { VideoDecoder, VideoEncoder } from './autoencoder.js';

export interface Preset<F extends EncoderFamily = EncoderFamily> {
  family: F;
  config: FamilyInput<F>;
  description: string;
  reference: string;
}

type AnyPreset = { [F in EncoderFamily]: Preset<F> }[EncoderFamily];

export const presets = {
  'vqgan-tiny': {
    family: 'conv2d',
    config: { ch: 8, chMult: [1, 2], numResBlocks: 1, zChannels: 4, attention: true, normGroups: 4 },
    description: 'unit-test scale VQGAN, f2',
    reference: 'taming-transformers',
  },
  'vqgan-small': {
    family: 'conv2d',
    config: { ch: 32, chMult: [1, 2, 2, 4], numResBlocks: 1, zChannels: 64, attention: true, normGroups: 8 },
    description: 'CPU-scale VQGAN, f8',
    reference: 'taming-transformers',
  },
  'vqgan-f16': {
    family: 'conv2d',
    config: { ch: 128, chMult: [1, 1, 2, 2, 4], numResBlocks: 2, zChannels: 256, attention: true },
    description: 'VQGAN f16 (ImageNet config)',
    reference: 'Esser et al. 2021, taming-transformers configs/imagenet_vqgan.yaml',
  },
  'magvit-tiny': {
    family: 'inflated3d',
    config: { ch: 8, chMult: [1, 2], numResBlocks: 1, zChannels: 4, temporalCompression: 2, normGroups: 4 },
    description: 'unit-test scale MAGVIT 3D VQ, 2x2x2',
    reference: 'MAGVIT (Yu et al. 2023)',
  },
  'magvit-small': {
    family: 'inflated3d',
    config: { ch: 32, chMult: [1, 2, 2, 4], numResBlocks: 1, zChannels: 64, temporalCompression: 4, normGroups: 8 },
    description: 'CPU-scale MAGVIT 3D VQ, 4x8x8',
    reference: 'MAGVIT (Yu et al. 2023)',
  },
  'magvit-b': {
    family: 'inflated3d',
    config: { ch: 64, chMult: [1, 2, 2, 4], numResBlocks: 2, zChannels: 256, temporalCompression: 4 },
    description: 'MAGVIT-B 3D VQ encoder/decoder, 4x8x8',
    reference: 'Yu et al. 2023 (arXiv 2212.05199), google-research/magvit configs',
  },
  'magvit-l': {
    family: 'inflated3d',
    config: { ch: 128, chMult: [1, 2, 2, 4], numResBlocks: 2, zChannels: 256, temporalCompression: 4 },
    description: 'MAGVIT-L 3D VQ encoder/decoder, 4x8x8',
    reference: 'Yu et al. 2023 (arXiv 2212.05199), google-research/magvit configs',
  },
  'magvit2-tiny': {
    family: 'causal3d',
    config: { ch: 8, chMult: [1, 2, 2], numResBlocks: 1, zChannels: 4, temporalCompression: 4, normGroups: 4 },
    description: 'unit-test scale MAGVIT-v2 causal tokenizer, 4x4x4',
    reference: 'MAGVIT-v2 (Yu et al. 2024)',
  },
  'magvit2-small': {
    family: 'causal3d',
    config: { ch: 32, chMult: [1, 2, 2, 4], numResBlocks: 1, zChannels: 18, temporalCompression: 4, normGroups: 8 },
    description: 'CPU-scale MAGVIT-v2 causal tokenizer, 4x8x8',
    reference: 'MAGVIT-v2 (Yu et al. 2024)',
  },
  magvit2: {
    family: 'causal3d',
    config: { ch: 128, chMult: [1, 2, 2, 4], numResBlocks: 4, zChannels: 18, temporalCompression: 4 },
    description: 'MAGVIT-v2 causal video tokenizer, 4x8x8, LFQ dim 18',
    reference: 'Yu et al. 2024 (arXiv 2310.05737), appendix architecture',
  },
} as const satisfies Record<string, AnyPreset>;

export type PresetName = keyof typeof presets;

export function presetNames(): PresetName[] {
  return Object.keys(presets) as PresetName[];
}

export function getPreset(name: string): AnyPreset {
  if (!(name in presets)) {
    throw new EncoderConfigError(`unknown encoder preset '${name}'. Presets: ${presetNames().join(', ')}`);
  }
  return presets[name as PresetName] as AnyPreset;
}

/** Encoder and decoder of a preset; `overrides` replace individual config fields. */
export function createFromPreset(
  name: string,
  overrides: Record<string, unknown> = {},
): { encoder: VideoEncoder; decoder: VideoDecoder } {
  const p = getPreset(name);
  const config = { ...p.config, ...overrides } as FamilyInput<typeof p.family>;
  return { encoder: new VideoEncoder(p.family, config), decoder: new VideoDecoder(p.family, config) };
}
