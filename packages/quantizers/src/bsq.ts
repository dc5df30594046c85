/**
 * `bsq`: binary spherical quantization (Zhao et al. 2024, "Image and Video
 * Tokenization with Binary Spherical Quantization", arXiv 2406.07548). LFQ
 * on the unit sphere: each codebook's d inputs are l2-normalised, binarised
 * to ±1/√d (× codebookScale), and the LFQ entropy penalty is taken between
 * the normalised inputs and the normalised implicit codebook. Numerics follow
 * lucidrains/vector-quantize-pytorch v1.31.0 `LFQ(spherical=True)`; every
 * other option and default is LFQ's (see lfq.ts).
 */
import type { z } from 'zod';
import { LFQ, lfqSchema } from './lfq.js';

export const bsqSchema = lfqSchema.omit({ spherical: true });

export type BSQConfig = z.output<typeof bsqSchema>;
export type BSQConfigInput = z.input<typeof bsqSchema>;

export class BSQ extends LFQ {
  constructor(config: BSQConfigInput) {
    super({ ...bsqSchema.parse(config), spherical: true });
  }
}
