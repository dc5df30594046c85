/**
 * `cosine-vq`: l2-normalised inputs and codebook, nearest code by cosine
 * similarity (ViT-VQGAN, Yu et al. 2021; TECO), as vector-quantize-pytorch's
 * `use_cosine_sim=True`. The quantized output lives on the unit sphere (it is
 * not rescaled to |z|) and the commitment loss is taken against normalize(z).
 */
import { z } from 'zod';
import { VectorQuantizer, vqBaseFields } from './vq.js';

export const cosineVQSchema = z.object({
  ...vqBaseFields,
  /**
   * Train the (normalised-at-lookup) codebook by gradient instead of EMA.
   * Default false; vector-quantize-pytorch does not offer this combination,
   * ViT-VQGAN trains its codebook by gradient. The loss is then β·mse(q, ẑ)
   * with both sides attached ('joint', the reference's learnable placement).
   */
  learnableCodebook: z.boolean().default(false),
});

export type CosineVQConfig = z.output<typeof cosineVQSchema>;
export type CosineVQConfigInput = z.input<typeof cosineVQSchema>;

/** Defaults (vector-quantize-pytorch): EMA decay 0.8, eps 1e-5, β 0.25, rotation trick on. */
export class CosineVectorQuantizer extends VectorQuantizer {
  constructor(config: CosineVQConfigInput) {
    super({ ...cosineVQSchema.parse(config), lossPlacement: 'joint' }, 'cosine-vq', true);
  }
}
