/**
 * The registry-facing objects: each `loss` kind resolves to one of these,
 * holding its (validated, defaulted) config and the functions that use it.
 */
import type { Engine, Inputs, Ops, Tensor, TensorInputs, Variable, HostTensor } from '@zoo/core';
import {
  adaptiveWeightFromGrads,
  compileAdaptiveWeight,
  type AdaptiveWeightLosses,
  type AdaptiveWeightResult,
  type AdaptiveWeightVariant,
} from './adaptive-weight.js';
import { adoptWeight, discriminatorLoss, generatorLoss, type DiscriminatorLossCombine, type GanLossKind } from './gan.js';
import { l1Loss, l2Loss } from './pixel.js';
import { LossConfigError } from './errors.js';
import { r1Penalty, r1PenaltyEstimate } from './r1.js';

export type PixelLossKind = 'l1' | 'l2';

export class PixelLoss {
  constructor(readonly kind: PixelLossKind) {}
  forward(ops: Ops, x: Tensor, y: Tensor): Tensor {
    return this.kind === 'l1' ? l1Loss(ops, x, y) : l2Loss(ops, x, y);
  }
}

export interface GanLossConfig {
  /** 'mean' = 0.5·(real + fake) terms (taming, the default); 'sum' = no ½ (magvit2-pytorch). */
  combine: DiscriminatorLossCombine;
}

export class GanLoss {
  constructor(
    readonly kind: GanLossKind,
    readonly config: GanLossConfig,
  ) {}
  discriminator(ops: Ops, logitsReal: Tensor, logitsFake: Tensor): Tensor {
    return discriminatorLoss(ops, this.kind, logitsReal, logitsFake, this.config.combine);
  }
  generator(ops: Ops, logitsFake: Tensor): Tensor {
    return generatorLoss(ops, this.kind, logitsFake);
  }
}

export interface AdaptiveGanWeightConfig {
  /** taming disc_weight. Default 1.0. */
  discWeight: number;
  /** Global step at which the adversarial terms switch on (taming disc_start; before it adopt_weight gives 0). Default 0. */
  discStart: number;
  /** Default 'taming'. */
  variant: AdaptiveWeightVariant;
}

/** VQGAN's adaptive generator weight with its discriminator start step. */
export class AdaptiveGanWeight {
  constructor(readonly config: AdaptiveGanWeightConfig) {}

  /** taming's disc_factor gate: 0 before discStart, `factor` from then on. */
  discFactor(globalStep: number, factor = 1): number {
    return adoptWeight(factor, globalStep, this.config.discStart);
  }

  fromGrads(recGrad: HostTensor, genGrad: HostTensor): AdaptiveWeightResult {
    return adaptiveWeightFromGrads(recGrad, genGrad, this.config);
  }

  compile<I extends Inputs>(
    engine: Engine,
    fn: (ops: Ops, inputs: TensorInputs<I>) => AdaptiveWeightLosses,
    lastLayerWeight: Variable,
  ): { run(inputs: I): Promise<AdaptiveWeightResult> } {
    return compileAdaptiveWeight(engine, fn, lastLayerWeight, this.config);
  }
}

export type R1Mode = 'exact' | 'estimate';

export interface R1PenaltyConfig {
  /** 'exact' (default): double backprop through `ops.grad`; 'estimate': central-difference estimator. */
  mode: R1Mode;
  /** Central-difference step of the estimate. Default 1e-2 (unused when exact). */
  eps: number;
}

/** The R1 penalty (see r1.ts); weight it γ/2 outside. */
export class R1Penalty {
  constructor(readonly config: R1PenaltyConfig) {}
  /** `direction` (same shape as `real`, E[vvᵀ] = I) is needed only in 'estimate' mode, and ignored when exact. */
  forward(ops: Ops, discriminator: (x: Tensor) => Tensor, real: Tensor, direction?: Tensor): Tensor {
    if (this.config.mode === 'exact') return r1Penalty(ops, discriminator, real);
    if (!direction) throw new LossConfigError("loss:r1 with mode 'estimate' needs a direction tensor (e.g. standard-normal, same shape as real)");
    return r1PenaltyEstimate(ops, discriminator, real, direction, this.config.eps);
  }
}
