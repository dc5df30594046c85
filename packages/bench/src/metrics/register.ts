/**
 * Registers the metrics under kind `metric` (side effect of importing
 * metrics/index.ts). Reconstruction metrics implement ReconstructionMetric
 * (update(reference, reconstruction) / result()); LPIPS is meant to join them
 * as `metric:lpips` from @zoo/losses, implementing the same interface.
 */
import { z } from 'zod';
import { registry, type Registry } from '@zoo/core';
import { CodebookStats } from './codebook.js';
import { FrechetMetric } from './fvd.js';
import { PsnrMetric } from './psnr.js';
import { SsimMetric } from './ssim.js';

export const psnrSchema = z.object({
  /** Pixel value range (default 1: pixels in [0, 1]). */
  dataRange: z.number().positive().default(1),
});
export const ssimSchema = z.object({
  /** `wang` (11-tap Gaussian σ 1.5, population covariance; default) or `skimage` (7x7 uniform, sample covariance). */
  mode: z.enum(['wang', 'skimage']).default('wang'),
  dataRange: z.number().positive().default(1),
});
const frechetFields = {
  /** ONNX feature network; absent = the metric reports itself unavailable. */
  modelPath: z.string().min(1).optional(),
  /** Square input side the frames are resized to (default: the model's static input size). */
  inputSize: z.number().int().min(8).optional(),
  threads: z.number().int().min(1).optional(),
};
export const fvdSchema = z.object({
  ...frechetFields,
  /** I3D defaults: clips as NCTHW in [-1, 1]. */
  layout: z.enum(['NCTHW', 'NTHWC', 'NCHW', 'NHWC']).default('NCTHW'),
  range: z.enum(['-1..1', '0..1', '0..255']).default('-1..1'),
});
export const fidSchema = z.object({
  ...frechetFields,
  /** Inception defaults: frames as NCHW in [0, 1]. */
  layout: z.enum(['NCTHW', 'NTHWC', 'NCHW', 'NHWC']).default('NCHW'),
  range: z.enum(['-1..1', '0..1', '0..255']).default('0..1'),
});
export const codebookSchema = z.object({
  /** Number of codes K (required). */
  codebookSize: z.number().int().min(1),
});

declare module '@zoo/core' {
  interface ComponentTypes {
    'metric:psnr': { config: z.infer<typeof psnrSchema>; instance: PsnrMetric };
    'metric:ssim': { config: z.infer<typeof ssimSchema>; instance: SsimMetric };
    'metric:fvd': { config: z.infer<typeof fvdSchema>; instance: FrechetMetric };
    'metric:fid': { config: z.infer<typeof fidSchema>; instance: FrechetMetric };
    'metric:codebook': { config: z.infer<typeof codebookSchema>; instance: CodebookStats };
  }
}

/** Registers the `metric` kinds psnr, ssim, fvd, fid, codebook into `target` (default: the process-wide registry). Idempotent per component (`Registry.ensure`). */
export function registerMetrics(target: Registry = registry): void {
  target.ensure('metric', 'psnr', (c) => new PsnrMetric(c), {
    schema: psnrSchema,
    description: 'PSNR on [0,1] pixels: per-video MSE, mean of per-video PSNR',
  });
  target.ensure('metric', 'ssim', (c) => new SsimMetric(c), {
    schema: ssimSchema,
    description: 'SSIM, mean over channels, frames and videos (Wang et al. or scikit-image default window)',
    reference: 'Wang et al. 2004; scikit-image 0.19.3 structural_similarity',
  });
  target.ensure('metric', 'fvd', (c) => new FrechetMetric('fvd', c), {
    schema: fvdSchema,
    description: 'Fréchet Video Distance over a user-supplied I3D ONNX model (--fvd-model); unavailable without it',
    reference: 'Unterthiner et al. 2018',
  });
  target.ensure('metric', 'fid', (c) => new FrechetMetric('fid', c), {
    schema: fidSchema,
    description: 'Fréchet Inception Distance over a user-supplied ONNX model (--fid-model); unavailable without it',
    reference: 'Heusel et al. 2017',
  });
  target.ensure('metric', 'codebook', (c) => new CodebookStats(c.codebookSize), {
    schema: codebookSchema,
    description: 'codebook usage (fraction of codes used) and perplexity (exp entropy of code frequencies)',
  });
}
