/**
 * VQGAN's adaptive generator weight (taming-transformers
 * `calculate_adaptive_weight`):
 *
 *   λ = clamp(‖∇_W L_rec‖ / (‖∇_W L_G‖ + 1e-4), 0, 1e4) · discWeight
 *
 * where W is the decoder's last-layer weight and the norms are Frobenius norms
 * over the whole tensor. λ is a constant for the generator step. Taking ∇_W
 * inside a training graph would need gradients of gradients, which `Ops` does
 * not offer, so λ is computed from two separately taken gradients
 * (`engine.valueAndGrad`, see `compileAdaptiveWeight`) and passed to the
 * training step as an input.
 *
 * The magvit2-pytorch variant is clamp(‖∇perc‖ / max(‖∇gen‖, 1e-3), max 1e3),
 * with NaN mapped to 1; its adversarial weight multiplies outside.
 */
import type { Engine, HostTensor, Inputs, Ops, Tensor, TensorInputs, Variable } from '@zoo/core';
import { LossConfigError } from './errors.js';

export type AdaptiveWeightVariant = 'taming' | 'magvit2';

export interface AdaptiveWeightConfig {
  /** Multiplies λ (taming's disc_weight). Default 1.0 (taming VQLPIPSWithDiscriminator). */
  discWeight?: number;
  /** 'taming' (default): ε 1e-4 added, clamp [0, 1e4]. 'magvit2': norm floored at 1e-3, clamp at 1e3, NaN → 1. */
  variant?: AdaptiveWeightVariant;
}

export interface AdaptiveWeightResult {
  /** λ, already multiplied by discWeight. */
  weight: number;
  recGradNorm: number;
  genGradNorm: number;
}

/** Frobenius norm of a host tensor, accumulated in float64. */
export function gradNorm(t: HostTensor): number {
  let s = 0;
  for (let i = 0; i < t.data.length; i++) {
    const v = t.data[i]!;
    s += v * v;
  }
  return Math.sqrt(s);
}

function check(config: AdaptiveWeightConfig): Required<AdaptiveWeightConfig> {
  const discWeight = config.discWeight ?? 1.0;
  const variant = config.variant ?? 'taming';
  if (variant !== 'taming' && variant !== 'magvit2') {
    throw new LossConfigError(`adaptive weight: variant must be 'taming' or 'magvit2', got '${String(variant)}'`);
  }
  return { discWeight, variant };
}

/** λ from the two gradient norms (host side). */
export function adaptiveWeightFromNorms(recNorm: number, genNorm: number, config: AdaptiveWeightConfig = {}): number {
  const { discWeight, variant } = check(config);
  if (variant === 'taming') {
    const w = recNorm / (genNorm + 1e-4);
    return Math.min(Math.max(w, 0), 1e4) * discWeight;
  }
  const w = Math.min(recNorm / Math.max(genNorm, 1e-3), 1e3);
  return (Number.isNaN(w) ? 1 : w) * discWeight;
}

/** λ from the two gradients w.r.t. the last layer's weight (host side). */
export function adaptiveWeightFromGrads(
  recGrad: HostTensor,
  genGrad: HostTensor,
  config: AdaptiveWeightConfig = {},
): AdaptiveWeightResult {
  const recGradNorm = gradNorm(recGrad);
  const genGradNorm = gradNorm(genGrad);
  return { weight: adaptiveWeightFromNorms(recGradNorm, genGradNorm, config), recGradNorm, genGradNorm };
}

/** λ in-graph, for callers that already hold both gradients as engine tensors. Result is detached. */
export function adaptiveWeight(ops: Ops, recGrad: Tensor, genGrad: Tensor, config: AdaptiveWeightConfig = {}): Tensor {
  const { discWeight, variant } = check(config);
  const recNorm = ops.sqrt(ops.sum(ops.square(recGrad)));
  const genNorm = ops.sqrt(ops.sum(ops.square(genGrad)));
  const ratio =
    variant === 'taming'
      ? ops.clip(ops.div(recNorm, ops.add(genNorm, 1e-4)), 0, 1e4)
      : ops.minimum(ops.div(recNorm, ops.maximum(genNorm, 1e-3)), 1e3);
  return ops.stopGradient(ops.mul(ratio, discWeight));
}

/** The two losses whose gradients w.r.t. the last layer define λ. */
export interface AdaptiveWeightLosses {
  reconstruction: Tensor;
  generator: Tensor;
}

/**
 * Compiles the two gradient computations once; `run(inputs)` returns λ for a
 * batch. `fn` runs twice per call (once per loss), a price paid once per
 * generator step for the ratio's faithful definition.
 */
export function compileAdaptiveWeight<I extends Inputs>(
  engine: Engine,
  fn: (ops: Ops, inputs: TensorInputs<I>) => AdaptiveWeightLosses,
  lastLayerWeight: Variable,
  config: AdaptiveWeightConfig = {},
): { run(inputs: I): Promise<AdaptiveWeightResult> } {
  check(config);
  const wrt = { variables: [lastLayerWeight] };
  const rec = engine.valueAndGrad<I, { loss: Tensor }>((ops, x) => ({ loss: fn(ops, x).reconstruction }), wrt);
  const gen = engine.valueAndGrad<I, { loss: Tensor }>((ops, x) => ({ loss: fn(ops, x).generator }), wrt);
  const gradOf = (out: Record<string, HostTensor>, keys: readonly string[]): HostTensor => {
    const key = keys.find((k) => k.startsWith('grad:'));
    const g = key === undefined ? undefined : out[key];
    if (!g) throw new LossConfigError(`adaptive weight: the engine returned no gradient for '${lastLayerWeight.key}'`);
    return g;
  };
  return {
    async run(inputs: I): Promise<AdaptiveWeightResult> {
      const r = await rec.run(inputs);
      const g = await gen.run(inputs);
      return adaptiveWeightFromGrads(gradOf(r, rec.gradKeys), gradOf(g, gen.gradKeys), config);
    },
  };
}
