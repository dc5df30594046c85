/**
 * Tokenizer presets: the papers' recipes (which encoder family, quantizer,
 * discriminator and losses go together) at a CPU scale that trains in
 * minutes on small clips. Widths are reduced; the structure and the loss
 * recipe follow the reference named on each preset.
 *
 * `--quantizers` replaces the preset's quantizer (same encoder, same
 * losses), which is how one run compares quantizers.
 */
import { quantizerConfig } from './quantizer-config.js';
import { TokenizerSpecError, type TokenizerSpec, parseTokenizerSpec } from './spec.js';

export interface PresetOptions {
  /** Codebook size K (default 256: small enough that usage is measurable on a short run). */
  codebookSize?: number;
  /** Quantizer kind replacing the preset's own. */
  quantizer?: string;
  /** Clip frames and side, for the discriminators that need them. */
  frames: number;
  resolution: number;
  seed?: number;
}

interface PresetDef {
  description: string;
  reference: string;
  build(o: Required<Omit<PresetOptions, 'quantizer'>> & { quantizer?: string }): Omit<TokenizerSpec, 'name' | 'init'>;
}

/** Latent width shared by every preset at CPU scale: log2(256) so LFQ needs no projection at the default K. */
const Z = 8;

/**
 * Spatial compression at CPU scale: f4 (two downsampling levels) from 32 px,
 * f2 below, where f4 leaves too few pixels per token to reconstruct anything.
 */
function chMultFor(resolution: number): number[] {
  return resolution >= 32 ? [1, 2, 2] : [1, 2];
}

/** PatchGAN depth that keeps its 4x4 convs inside the frame: 3 (taming) from 32 px, fewer below. */
function patchLayersFor(resolution: number): number {
  return Math.max(1, Math.min(3, Math.floor(Math.log2(resolution)) - 2));
}

function lossDefaults(over: Partial<TokenizerSpec['losses']>): TokenizerSpec['losses'] {
  return parseTokenizerSpec({ name: 'x', encoder: { name: 'conv2d' }, quantizer: { name: 'vq' }, losses: over }).losses;
}

const PRESETS: Record<string, PresetDef> = {
  'videogpt-vqvae': {
    description: '3D conv VQ-VAE with an EMA VQ codebook, L2 reconstruction, no GAN',
    reference: 'Yan et al. 2021 (VideoGPT), wilson1yan/VideoGPT vqvae.py',
    build: (o) => ({
      encoder: { name: 'inflated3d', config: { ch: 16, chMult: chMultFor(o.resolution), numResBlocks: 1, zChannels: Z, temporalCompression: 1, normGroups: 4, seed: o.seed } },
      quantizer: { name: o.quantizer ?? 'vq', config: quantizerConfig(o.quantizer ?? 'vq', { dim: Z, codebookSize: o.codebookSize, seed: o.seed }) },
      losses: lossDefaults({ reconstruction: 'l2' }),
    }),
  },
  vqgan: {
    description: 'per-frame 2D conv VQGAN + VQ + PatchGAN (per frame) + LPIPS, adaptive GAN weight',
    reference: 'Esser et al. 2021 (VQGAN), CompVis/taming-transformers vqperceptual.py',
    build: (o) => ({
      encoder: { name: 'conv2d', config: { ch: 16, chMult: chMultFor(o.resolution), numResBlocks: 1, zChannels: Z, attention: false, normGroups: 4, seed: o.seed } },
      quantizer: { name: o.quantizer ?? 'vq', config: quantizerConfig(o.quantizer ?? 'vq', { dim: Z, codebookSize: o.codebookSize, seed: o.seed }) },
      discriminator: { name: 'frame-patchgan', config: { ndf: 16, nLayers: patchLayersFor(o.resolution), norm: 'group', framesPerVideo: o.frames, seed: o.seed } },
      losses: lossDefaults({ reconstruction: 'l1', perceptualWeight: 1, gan: 'hinge', discWeight: 0.8, adaptiveWeight: true }),
    }),
  },
  magvit: {
    description: 'inflated 3D conv + VQ + StyleGAN-style 3D discriminator + LeCam + LPIPS',
    reference: 'Yu et al. 2023 (MAGVIT), google-research/magvit',
    build: (o) => ({
      encoder: { name: 'inflated3d', config: { ch: 16, chMult: chMultFor(o.resolution), numResBlocks: 1, zChannels: Z, temporalCompression: o.frames % 2 === 0 ? 2 : 1, normGroups: 4, seed: o.seed } },
      quantizer: { name: o.quantizer ?? 'vq', config: quantizerConfig(o.quantizer ?? 'vq', { dim: Z, codebookSize: o.codebookSize, seed: o.seed }) },
      discriminator: { name: 'stylegan3d', config: { frames: o.frames, height: o.resolution, width: o.resolution, filters: 8, channelMultipliers: [2, 4], seed: o.seed } },
      losses: lossDefaults({ reconstruction: 'l1', perceptualWeight: 0.1, gan: 'non-saturating', discWeight: 0.1, adaptiveWeight: false, lecamWeight: 0.001 }),
    }),
  },
  magvit2: {
    description: 'causal 3D conv + LFQ + StyleGAN-style 3D discriminator + LeCam + LPIPS',
    reference: 'Yu et al. 2024 (MAGVIT-v2, arXiv 2310.05737); lucidrains/magvit2-pytorch',
    build: (o) => ({
      encoder: { name: 'causal3d', config: { ch: 16, chMult: chMultFor(o.resolution), numResBlocks: 1, zChannels: Z, temporalCompression: (o.frames - 1) % 2 === 0 && o.frames > 1 ? 2 : 1, normGroups: 4, seed: o.seed } },
      quantizer: { name: o.quantizer ?? 'lfq', config: quantizerConfig(o.quantizer ?? 'lfq', { dim: Z, codebookSize: o.codebookSize, seed: o.seed }) },
      discriminator: { name: 'stylegan3d', config: { frames: o.frames, height: o.resolution, width: o.resolution, filters: 8, channelMultipliers: [2, 4], seed: o.seed } },
      losses: lossDefaults({ reconstruction: 'l1', perceptualWeight: 0.1, gan: 'hinge', discWeight: 0.1, adaptiveWeight: true, lecamWeight: 0.001 }),
    }),
  },
};

export function presetNames(): string[] {
  return Object.keys(PRESETS);
}

export function describePreset(name: string): { description: string; reference: string } {
  const p = PRESETS[name];
  if (!p) throw new TokenizerSpecError(`unknown tokenizer preset '${name}'. Presets: ${presetNames().join(', ')}`);
  return { description: p.description, reference: p.reference };
}

/** The spec of preset `name`, named '<preset>' or '<preset>+<quantizer>' when the quantizer is swapped. */
export function presetSpec(name: string, o: PresetOptions): TokenizerSpec {
  const p = PRESETS[name];
  if (!p) throw new TokenizerSpecError(`unknown tokenizer preset '${name}'. Presets: ${presetNames().join(', ')}`);
  const body = p.build({ codebookSize: o.codebookSize ?? 256, frames: o.frames, resolution: o.resolution, seed: o.seed ?? 0, ...(o.quantizer ? { quantizer: o.quantizer } : {}) });
  return parseTokenizerSpec({ name: o.quantizer ? `${name}+${o.quantizer}` : name, ...body });
}

/** Replaces the quantizer of any spec (presets and JSON configs alike), keeping the latent width. */
export function withQuantizer(spec: TokenizerSpec, quantizer: string, codebookSize: number, seed = 0): TokenizerSpec {
  const dim = Number((spec.encoder.config as { zChannels?: unknown }).zChannels ?? Z);
  return {
    ...spec,
    name: `${spec.name.split('+')[0]}+${quantizer}`,
    quantizer: { name: quantizer, config: quantizerConfig(quantizer, { dim, codebookSize, seed }) },
  };
}
