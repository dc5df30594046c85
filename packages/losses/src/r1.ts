/**
 * R1 gradient penalty (Mescheder et al. 2018; StyleGAN's r1 term):
 *
 *   R1 = mean_b ‖∇_{x_b} Σ D(x_b)‖²      on real samples, weighted γ/2 by the caller.
 *
 * Two ways to compute it:
 * - `r1Penalty` (exact, the default of `loss:r1`): the gradient is taken
 *   inside the step with `ops.grad`, and the outer backward pass
 *   differentiates through it (double backprop), as StyleGAN does with
 *   create_graph=True. Every op of D must be twice differentiable on the
 *   engine (convs, leakyRelu, norms, average pooling: yes; max pooling on
 *   tfjs: no, and the outer gradient then names the kernel).
 * - `r1PenaltyEstimate` (`mode: 'estimate'`): a first-order estimator, for a
 *   direction v with E[v vᵀ] = I (e.g. v ~ N(0, I)),
 *     E_v[(v · ∇D)²] = ‖∇D‖²,
 *   and v · ∇D is taken by a central difference, (ΣD(x + εv) − ΣD(x − εv)) / 2ε,
 *   which is an ordinary function of D's parameters. Unbiased up to O(ε²)
 *   and noisy (one direction per sample); pass fresh directions every step
 *   from the host (`Rng.fillNormal`) so a compiled step never reuses them.
 *   No second-order rules needed, one extra D forward/backward on 2N samples.
 * Both treat `real` as a constant (stopGradient): R1 regularizes D only.
 * With a BatchNorm discriminator in train mode the samples share batch
 * statistics, so ∇_{x_b} mixes samples (and the estimate's two halves share
 * them too): prefer group/no norm.
 */
import { ShapeError, type Ops, type Tensor } from '@zoo/core';

/**
 * Exact R1: mean over the batch of ‖∇_x ΣD(x)‖² (summing D over the batch
 * and its patches gives each sample's own gradient when samples do not
 * interact), differentiable w.r.t. D's parameters through `ops.grad`.
 * @param discriminator maps a batch [N, ...] to logits [N, ...] (summed per sample).
 */
export function r1Penalty(ops: Ops, discriminator: (x: Tensor) => Tensor, real: Tensor): Tensor {
  if (real.shape.length < 1 || real.shape[0]! < 1) throw new ShapeError('r1Penalty real', '[N, ...] with N >= 1', real.shape);
  const x = ops.stopGradient(real);
  const [g] = ops.grad(ops.sum(discriminator(x)), [x]);
  return ops.div(ops.sum(ops.square(g!)), real.shape[0]!);
}

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
