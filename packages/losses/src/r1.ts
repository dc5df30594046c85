/**
 * R1 gradient penalty (Mescheder et al. 2018; StyleGAN's r1 term):
 *
 *   R1 = E_b ‖∇_x Σ D(x_b)‖²      on real samples, weighted γ/2 by the caller.
 *
 * The exact penalty differentiates a gradient (double backprop), which `Ops`
 * and the engines do not provide. This is the first-order estimator instead:
 * for a direction v with E[v vᵀ] = I (e.g. v ~ N(0, I)),
 *   E_v[(v · ∇D)²] = ‖∇D‖²,
 * and v · ∇D is taken by a central difference, (ΣD(x + εv) − ΣD(x − εv)) / 2ε,
 * which is an ordinary function of D's parameters, so the penalty trains D
 * through the usual backward pass. It is unbiased up to O(ε²) and noisy
 * (one direction per sample); pass fresh directions every step from the host
 * (`Rng.fillNormal`) so a compiled step never reuses them.
 * D runs on [x + εv; x − εv] as one batch: with a BatchNorm discriminator in
 * train mode the two halves share batch statistics, so prefer group/no norm.
 */
import { ShapeError, type Ops, type Tensor } from '@zoo/core';

/**
 * @param discriminator maps a batch [N, ...] to logits [N, ...] (summed per sample).
 * @param direction same shape as `real`; standard-normal entries (or any E[vvᵀ] = I).
 * @param eps central-difference step. Default 1e-2 (float32 logits keep ~1e-5 relative accuracy).
 */
export function r1PenaltyEstimate(
  ops: Ops,
  discriminator: (x: Tensor) => Tensor,
  real: Tensor,
  direction: Tensor,
  eps = 1e-2,
): Tensor {
  if (direction.shape.length !== real.shape.length || direction.shape.some((d, i) => d !== real.shape[i])) {
    throw new ShapeError('r1PenaltyEstimate direction', `[${real.shape.join(', ')}] (the shape of real)`, direction.shape);
  }
  const n = real.shape[0]!;
  const x = ops.stopGradient(real);
  const step = ops.mul(ops.stopGradient(direction), eps);
  const logits = discriminator(ops.concat([ops.add(x, step), ops.sub(x, step)], 0));
  const perLogit = logits.shape.slice(1).reduce((a, b) => a * b, 1);
  const perSample = ops.sum(ops.reshape(logits, [2 * n, perLogit]), 1);
  const plus = ops.slice(perSample, [0], [n], [0]);
  const minus = ops.slice(perSample, [n], [2 * n], [0]);
  const directional = ops.div(ops.sub(plus, minus), 2 * eps);
  return ops.mean(ops.square(directional));
}
