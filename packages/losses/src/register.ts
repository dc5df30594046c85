/** Registers the `loss` kinds of @zoo/losses in core's registry (on import). */
import { registry, type Registry } from '@zoo/core';
import { z } from 'zod';
import {
  AdaptiveGanWeight,
  GanLoss,
  PixelLoss,
  R1Penalty,
  type AdaptiveGanWeightConfig,
  type GanLossConfig,
  type R1PenaltyConfig,
} from './components.js';
import { LeCam } from './lecam.js';
import { LPIPS, type LpipsNet } from './lpips/lpips.js';
import { LpipsMetric } from './lpips/metric.js';

export interface LeCamResolvedConfig {
  decay: number;
  init: number;
  startStep: number;
  updateOrder: 'before-loss' | 'after-loss';
}

export interface LpipsResolvedConfig {
  net: LpipsNet;
  weightsPath?: string | undefined;
}

export interface LpipsMetricResolvedConfig extends LpipsResolvedConfig {
  engine: 'onnx' | 'tfjs';
  batchFrames: number;
}

declare module '@zoo/core' {
  interface ComponentTypes {
    'loss:l1': { config: Record<string, never>; instance: PixelLoss };
    'loss:l2': { config: Record<string, never>; instance: PixelLoss };
    'loss:hinge': { config: GanLossConfig; instance: GanLoss };
    'loss:non-saturating': { config: GanLossConfig; instance: GanLoss };
    'loss:lecam': { config: LeCamResolvedConfig; instance: LeCam };
    'loss:adaptive-weight': { config: AdaptiveGanWeightConfig; instance: AdaptiveGanWeight };
    'loss:lpips': { config: LpipsResolvedConfig; instance: LPIPS };
    'loss:r1': { config: R1PenaltyConfig; instance: R1Penalty };
    'metric:lpips': { config: LpipsMetricResolvedConfig; instance: LpipsMetric };
  }
}

const empty = z.object({}).strict() as unknown as z.ZodType<Record<string, never>>;
const ganSchema = z
  .object({ combine: z.enum(['mean', 'sum']).default('mean') })
  .strict();

/** Registers the `loss` kinds and `metric:lpips` into `target` (default: the process-wide registry). Idempotent per component (`Registry.ensure`). */
export function registerLosses(target: Registry = registry): void {
  target.ensure('loss', 'l1', () => new PixelLoss('l1'), { schema: empty, description: 'mean absolute error' });
  target.ensure('loss', 'l2', () => new PixelLoss('l2'), { schema: empty, description: 'mean squared error' });
  target.ensure('loss', 'hinge', (c) => new GanLoss('hinge', c), {
    schema: ganSchema,
    description: "hinge GAN loss; D: combine 'mean' = taming's 0.5·(...), 'sum' = magvit2-pytorch; G: −E[D(fake)]",
    reference: 'CompVis/taming-transformers hinge_d_loss; lucidrains/magvit2-pytorch hinge_discr_loss',
  });
  target.ensure('loss', 'non-saturating', (c) => new GanLoss('non-saturating', c), {
    schema: ganSchema,
    description: 'non-saturating (softplus / BCE) GAN loss; D combine as for hinge; G: E[softplus(−D(fake))]',
    reference: 'CompVis/taming-transformers vanilla_d_loss',
  });
  target.ensure('loss', 'lecam', (c) => new LeCam(c), {
    schema: z
      .object({
        decay: z.number().min(0).max(1).default(0.999),
        init: z.number().default(0),
        startStep: z.number().int().min(0).default(0),
        updateOrder: z.enum(['before-loss', 'after-loss']).default('before-loss'),
      })
      .strict(),
    description: 'LeCam regularizer with EMA of real/fake logits (apply its weight, e.g. 0.001, outside)',
    reference: 'google/lecam-gan lecam_reg; Open-MAGVIT2 LeCAM_EMA (init 0, decay 0.999)',
  });
  target.ensure('loss', 'adaptive-weight', (c) => new AdaptiveGanWeight(c), {
    schema: z
      .object({
        discWeight: z.number().min(0).default(1.0),
        discStart: z.number().int().min(0).default(0),
        variant: z.enum(['taming', 'magvit2']).default('taming'),
      })
      .strict(),
    description: 'VQGAN adaptive generator weight ‖∇L_rec‖/(‖∇L_G‖+1e-4), clamped to [0, 1e4], times discWeight',
    reference: 'CompVis/taming-transformers calculate_adaptive_weight, adopt_weight',
  });
  const lpipsFields = { net: z.enum(['alex', 'squeeze', 'vgg']).default('alex'), weightsPath: z.string().min(1).optional() };
  target.ensure('loss', 'lpips', (c) => new LPIPS(c), {
    schema: z.object(lpipsFields).strict(),
    description: "LPIPS v0.1 perceptual distance (alex/squeeze weights shipped; 'vgg' needs weightsPath)",
    reference: 'richzhang/PerceptualSimilarity v0.1',
  });
  target.ensure('loss', 'r1', (c) => new R1Penalty(c), {
    schema: z
      .object({ mode: z.enum(['exact', 'estimate']).default('exact'), eps: z.number().positive().default(1e-2) })
      .strict(),
    description:
      "R1 gradient penalty mean_b ‖∇_x ΣD(x_b)‖²: mode 'exact' (default, double backprop via ops.grad) or " +
      "'estimate' (E_v[(v·∇D)²] by central differences, eps); weight γ/2 outside",
    reference: 'Mescheder et al. 2018 (R1); StyleGAN2 r1 (create_graph=True); estimator: E[vvᵀ] = I',
  });
  target.ensure('metric', 'lpips', (c) => new LpipsMetric(c), {
    schema: z
      .object({ ...lpipsFields, engine: z.enum(['onnx', 'tfjs']).default('onnx'), batchFrames: z.number().int().min(1).default(16) })
      .strict(),
    description: 'LPIPS v0.1 (lower is better), mean over frames; unavailable when its weights are missing',
    reference: 'richzhang/PerceptualSimilarity v0.1',
  });
}
