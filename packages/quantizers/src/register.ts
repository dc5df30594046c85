/**
 * Registers the quantizers as `quantizer` components (on import of
 * '@zoo/quantizers'), so tokenizers can be assembled from names:
 * `create('quantizer', 'lfq', { codebookSize: 2 ** 18 })`. Each registration
 * also declares the quantizer's config for a latent width and codebook size
 * (`quantizerDefaults`), which `pnpm bench tokenizers --quantizers` uses.
 */
import { BSQ, bsqSchema, type BSQConfigInput } from './bsq.js';
import { CosineVectorQuantizer, cosineVQSchema, type CosineVQConfigInput } from './cosine-vq.js';
import { FSQ, fsqLevelsFor, fsqSchema, type FSQConfigInput } from './fsq.js';
import { GroupedQuantizer, groupedSchema, type GroupedConfigInput } from './grouped.js';
import { GumbelVQ, gumbelVQSchema, type GumbelVQConfigInput } from './gumbel-vq.js';
import { IBQ, ibqSchema, type IBQConfigInput } from './ibq.js';
import { LatentQuantization, latentQuantizationSchema, type LatentQuantizationConfigInput } from './latent-quantization.js';
import { LFQ, lfqSchema, type LFQConfigInput } from './lfq.js';
import { registry, type Registry } from '@zoo/core';
import { registerQuantizer, type QuantizerChoice } from './registration.js';
import { ResidualFSQ, residualFSQSchema, type ResidualFSQConfigInput } from './residual-fsq.js';
import { ResidualLFQ, residualLFQSchema, type ResidualLFQConfigInput } from './residual-lfq.js';
import { ResidualVQ, rvqSchema, type RVQConfigInput } from './rvq.js';
import { SimVQ, simvqSchema, type SimVQConfigInput } from './simvq.js';
import { RandomProjectionQuantizer, randomProjectionSchema, type RandomProjectionConfigInput } from './random-projection.js';
import { QuantizerConfigError } from './types.js';
import { VectorQuantizer, vqSchema, type VQConfigInput } from './vq.js';

// The public API of each registered kind, re-exported by the package index from here, so a new
// quantizer is its own file, its test and the lines of this file that import, export and register it.
export * from './vq.js';
export * from './cosine-vq.js';
export * from './lfq.js';
export * from './fsq.js';
export * from './rvq.js';
export * from './bsq.js';
export * from './simvq.js';
export * from './ibq.js';
export * from './gumbel-vq.js';
export * from './residual-fsq.js';
export * from './residual-lfq.js';
export * from './grouped.js';
export * from './latent-quantization.js';
export * from './random-projection.js';

// Configs are the schemas' input types (fields with defaults optional, nested
// layer configs too); the factories receive them with defaults filled in.
declare module '@zoo/core' {
  interface ComponentTypes {
    'quantizer:vq': { config: VQConfigInput; instance: VectorQuantizer };
    'quantizer:cosine-vq': { config: CosineVQConfigInput; instance: CosineVectorQuantizer };
    'quantizer:lfq': { config: LFQConfigInput; instance: LFQ };
    'quantizer:fsq': { config: FSQConfigInput; instance: FSQ };
    'quantizer:rvq': { config: RVQConfigInput; instance: ResidualVQ };
    'quantizer:bsq': { config: BSQConfigInput; instance: BSQ };
    'quantizer:simvq': { config: SimVQConfigInput; instance: SimVQ };
    'quantizer:ibq': { config: IBQConfigInput; instance: IBQ };
    'quantizer:gumbel-vq': { config: GumbelVQConfigInput; instance: GumbelVQ };
    'quantizer:residual-fsq': { config: ResidualFSQConfigInput; instance: ResidualFSQ };
    'quantizer:residual-lfq': { config: ResidualLFQConfigInput; instance: ResidualLFQ };
    'quantizer:grouped': { config: GroupedConfigInput; instance: GroupedQuantizer };
    'quantizer:latent-quantization': { config: LatentQuantizationConfigInput; instance: LatentQuantization };
    'quantizer:random-projection': { config: RandomProjectionConfigInput; instance: RandomProjectionQuantizer };
  }
}

const REFERENCE = 'lucidrains/vector-quantize-pytorch v1.31.0 (0d7d1aa)';

/** log2 K for kinds whose codebook is 2^bits (LFQ and its relatives). */
function powerOfTwoBits(name: string, codebookSize: number): number {
  const bits = Math.log2(codebookSize);
  if (!Number.isInteger(bits) || bits < 1) throw new QuantizerConfigError(name, `needs a power-of-two codebook size, got ${codebookSize}`);
  return bits;
}

/**
 * VQ in a tokenizer: an EMA codebook with k-means init and dead-code restarts
 * (vector-quantize-pytorch's recommended recipe for codebook health).
 */
const vqRecipe = (c: Required<QuantizerChoice>) =>
  ({ dim: c.dim, codebookSize: c.codebookSize, kmeansInit: true, thresholdEmaDeadCode: 1, decay: 0.8, seed: c.seed }) as const;

/**
 * LFQ's entropy weight in a tokenizer is 0.02, not the reference's 0.1:
 * measured on the default bench run (K = 2^8, 1000 steps), 0.1 makes the
 * entropy term dominate the loss (−0.42 against a reconstruction loss of
 * 0.16) and costs 0.5 dB PSNR, while usage stays at 0.97–1.0 for weights
 * 0.005–0.1 (0 lets it fall to 0.70).
 */
export const LFQ_ENTROPY_WEIGHT = 0.02;

/** Width of the random projection in a tokenizer: 16, the code width of BEST-RQ (Chiu et al. 2022: 8192 codes of 16 dimensions). */
export const RANDOM_PROJECTION_CODEBOOK_DIM = 16;

/** Registers every quantizer of the package into `target` (default: the process-wide registry). Idempotent per name. */
export function registerQuantizers(target: Registry = registry): void {
  registerQuantizer('vq', (c) => new VectorQuantizer(c), {
    schema: vqSchema,
    description: 'Nearest-neighbour codebook (VQ-VAE): EMA or learnable, rotation trick, k-means init, dead-code restart',
    reference: `${REFERENCE} VectorQuantize`,
    defaults: vqRecipe,
  }, target);
  registerQuantizer('cosine-vq', (c) => new CosineVectorQuantizer(c), {
    schema: cosineVQSchema,
    description: 'l2-normalised inputs and codebook, cosine-similarity lookup (ViT-VQGAN / TECO)',
    reference: `${REFERENCE} VectorQuantize(use_cosine_sim=True)`,
    defaults: vqRecipe,
  }, target);
  registerQuantizer('lfq', (c) => new LFQ(c), {
    schema: lfqSchema,
    description: 'Lookup-free quantization (MAGVIT-v2): sign bits, entropy penalty, factorized entropy for 2^18 codes',
    reference: `${REFERENCE} LFQ; Open-MAGVIT2 for factorizedBits / lsb-first`,
    // Projects in and out when log2 K differs from the latent width.
    defaults: (c) => {
      powerOfTwoBits('lfq', c.codebookSize);
      return { dim: c.dim, codebookSize: c.codebookSize, entropyLossWeight: LFQ_ENTROPY_WEIGHT, seed: c.seed };
    },
  }, target);
  registerQuantizer('fsq', (c) => new FSQ(c), {
    schema: fsqSchema,
    description: 'Finite scalar quantization: bounded, rounded channels, implicit grid codebook',
    reference: `${REFERENCE} FSQ`,
    defaults: (c) => ({ dim: c.dim, levels: fsqLevelsFor(c.codebookSize), seed: c.seed }),
  }, target);
  registerQuantizer('rvq', (c) => new ResidualVQ(c), {
    schema: rvqSchema,
    description: 'Residual stack of any quantizer kind with quantize dropout (SoundStream)',
    reference: `${REFERENCE} ResidualVQ`,
    // Two VQ layers of size K. Residual layers have no host-side k-means hook: random-init EMA codebooks.
    defaults: (c) => ({ numQuantizers: 2, layer: { kind: 'vq' as const, config: { ...vqRecipe(c), kmeansInit: false, thresholdEmaDeadCode: 0 } }, seed: c.seed }),
  }, target);
  registerQuantizer('bsq', (c) => new BSQ(c), {
    schema: bsqSchema,
    description: 'Binary spherical quantization (BSQ-ViT): LFQ with inputs and codes on the unit sphere, entropy penalty',
    reference: `${REFERENCE} LFQ(spherical=True); Zhao et al. 2024 (arXiv 2406.07548)`,
    // As LFQ in a tokenizer (projections when log2 K differs from the width), with the reference's entropy weight 0.1 (not tuned here).
    defaults: (c) => {
      powerOfTwoBits('bsq', c.codebookSize);
      return { dim: c.dim, codebookSize: c.codebookSize, seed: c.seed };
    },
  }, target);
  registerQuantizer('simvq', (c) => new SimVQ(c), {
    schema: simvqSchema,
    description: 'SimVQ: frozen random codebook through one learned linear map (no dead codes), rotation trick',
    reference: `${REFERENCE} SimVQ; Zhu et al. 2024 (arXiv 2411.02038)`,
    defaults: (c) => ({ dim: c.dim, codebookSize: c.codebookSize, seed: c.seed }),
  }, target);
  registerQuantizer('ibq', (c) => new IBQ(c), {
    schema: ibqSchema,
    description: 'Index backpropagation quantization (IBQ): straight-through one-hot over a softmax, so every code gets gradient; double quantization + entropy loss',
    reference: 'TencentARC/SEED-Voken b9a17ea IndexPropagationQuantize; released IBQ configs for the entropy loss',
    defaults: (c) => ({ dim: c.dim, codebookSize: c.codebookSize, seed: c.seed }),
  }, target);
  registerQuantizer('gumbel-vq', (c) => new GumbelVQ(c), {
    schema: gumbelVQSchema,
    description: 'Gumbel-softmax VQ (taming GumbelQuantize): 1x1 logits, straight-through Gumbel one-hot, KL to uniform, temperature schedule',
    reference: 'CompVis/taming-transformers 3ba01b2 GumbelQuantize, LambdaWarmUpCosineScheduler',
    // The reference's class defaults (constant τ 1.0); a spec's temperatureSchedule is followed by the trainer through beforeStep.
    defaults: (c) => ({ dim: c.dim, codebookSize: c.codebookSize, seed: c.seed }),
  }, target);
  registerQuantizer('residual-fsq', (c) => new ResidualFSQ(c), {
    schema: residualFSQSchema,
    description: 'Residual FSQ: soft-clamped input, symmetric hard-clamped FSQ layers on grids L^-i finer, quantize dropout',
    reference: `${REFERENCE} ResidualFSQ`,
    // Two layers of the FSQ paper's levels for K (K codes per layer).
    defaults: (c) => ({ dim: c.dim, levels: fsqLevelsFor(c.codebookSize), numQuantizers: 2, seed: c.seed }),
  }, target);
  registerQuantizer('residual-lfq', (c) => new ResidualLFQ(c), {
    schema: residualLFQSchema,
    description: 'Residual LFQ: LFQ layers with codebook scale 2^-i, per-layer entropy and commitment losses, quantize dropout',
    reference: `${REFERENCE} ResidualLFQ`,
    // Two layers of log2 K bits, LFQ's tokenizer entropy weight.
    defaults: (c) => {
      powerOfTwoBits('residual-lfq', c.codebookSize);
      return { dim: c.dim, codebookSize: c.codebookSize, numQuantizers: 2, entropyLossWeight: LFQ_ENTROPY_WEIGHT, seed: c.seed };
    },
  }, target);
  registerQuantizer('grouped', (c) => new GroupedQuantizer(c), {
    schema: groupedSchema,
    description: 'Channel groups, each quantized by its own quantizer of any registered kind (GroupedResidualVQ / FSQ / LFQ)',
    reference: `${REFERENCE} GroupedResidualVQ, GroupedResidualFSQ`,
    // Two groups of a 2-layer residual VQ (GroupedResidualVQ's use), each of K codes; an odd latent width cannot be halved.
    defaults: (c) => {
      if (c.dim % 2) throw new QuantizerConfigError('grouped', `the tokenizer default splits the latent width into 2 groups; ${c.dim} is odd`);
      const half = { ...vqRecipe({ ...c, dim: c.dim / 2 }), kmeansInit: false, thresholdEmaDeadCode: 0 };
      return { groups: 2, quantizer: { name: 'rvq', config: { numQuantizers: 2, layer: { kind: 'vq', config: half } } }, seed: c.seed };
    },
  }, target);
  registerQuantizer('latent-quantization', (c) => new LatentQuantization(c), {
    schema: latentQuantizationSchema,
    description: 'Latent quantization: per-channel nearest of its own scalar value set, straight-through, commitment + quantization loss',
    reference: `${REFERENCE} LatentQuantize; Hsu et al. 2023 (arXiv 2305.18378)`,
    // The FSQ paper's levels for K (same grid sizes as fsq), projected when their count differs from the width.
    defaults: (c) => ({ dim: c.dim, levels: fsqLevelsFor(c.codebookSize), seed: c.seed }),
  }, target);
  registerQuantizer('random-projection', (c) => new RandomProjectionQuantizer(c), {
    schema: randomProjectionSchema,
    description: 'BEST-RQ random-projection quantizer: frozen LayerNorm + random projection + random unit codes pick the index; a learned output embedding decodes it (ours)',
    reference: `${REFERENCE} RandomProjectionQuantizer (indices); Chiu et al. 2022 (arXiv 2202.01855); decode embedding and its VQ-VAE losses ours`,
    // One codebook of K codes, 16-wide projection (BEST-RQ's code width), commitment 0.25 as vq.
    defaults: (c) => ({ dim: c.dim, codebookSize: c.codebookSize, codebookDim: RANDOM_PROJECTION_CODEBOOK_DIM, seed: c.seed }),
  }, target);
}
