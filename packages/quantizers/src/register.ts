/**
 * Registers the quantizers as `quantizer` components (on import of
 * '@zoo/quantizers'), so tokenizers can be assembled from names:
 * `create('quantizer', 'lfq', { codebookSize: 2 ** 18 })`.
 */
import { registry } from '@zoo/core';
import { CosineVectorQuantizer, cosineVQSchema, type CosineVQConfigInput } from './cosine-vq.js';
import { FSQ, fsqSchema, type FSQConfigInput } from './fsq.js';
import { LFQ, lfqSchema, type LFQConfigInput } from './lfq.js';
import { ResidualVQ, rvqSchema, type RVQConfigInput } from './rvq.js';
import { VectorQuantizer, vqSchema, type VQConfigInput } from './vq.js';

// Configs are the schemas' input types (fields with defaults optional, nested
// layer configs too); the factories receive them with defaults filled in.
declare module '@zoo/core' {
  interface ComponentTypes {
    'quantizer:vq': { config: VQConfigInput; instance: VectorQuantizer };
    'quantizer:cosine-vq': { config: CosineVQConfigInput; instance: CosineVectorQuantizer };
    'quantizer:lfq': { config: LFQConfigInput; instance: LFQ };
    'quantizer:fsq': { config: FSQConfigInput; instance: FSQ };
    'quantizer:rvq': { config: RVQConfigInput; instance: ResidualVQ };
  }
}

const REFERENCE = 'lucidrains/vector-quantize-pytorch v1.31.0 (0d7d1aa)';

// Guarded so a second copy of this module (src and dist in one process) does not throw.
if (!registry.has('quantizer', 'vq')) {
  registry.register('quantizer', 'vq', (c) => new VectorQuantizer(c), {
    schema: vqSchema,
    description: 'Nearest-neighbour codebook (VQ-VAE): EMA or learnable, rotation trick, k-means init, dead-code restart',
    reference: `${REFERENCE} VectorQuantize`,
  });
  registry.register('quantizer', 'cosine-vq', (c) => new CosineVectorQuantizer(c), {
    schema: cosineVQSchema,
    description: 'l2-normalised inputs and codebook, cosine-similarity lookup (ViT-VQGAN / TECO)',
    reference: `${REFERENCE} VectorQuantize(use_cosine_sim=True)`,
  });
  registry.register('quantizer', 'lfq', (c) => new LFQ(c), {
    schema: lfqSchema,
    description: 'Lookup-free quantization (MAGVIT-v2): sign bits, entropy penalty, factorized entropy for 2^18 codes',
    reference: `${REFERENCE} LFQ; Open-MAGVIT2 for factorizedBits / lsb-first`,
  });
  registry.register('quantizer', 'fsq', (c) => new FSQ(c), {
    schema: fsqSchema,
    description: 'Finite scalar quantization: bounded, rounded channels, implicit grid codebook',
    reference: `${REFERENCE} FSQ`,
  });
  registry.register('quantizer', 'rvq', (c) => new ResidualVQ(c), {
    schema: rvqSchema,
    description: 'Residual stack of any quantizer kind with quantize dropout (SoundStream)',
    reference: `${REFERENCE} ResidualVQ`,
  });
}
