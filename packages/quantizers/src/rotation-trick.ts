/**
 * Gradient estimators that carry the decoder's gradient from the quantized
 * vectors back to the encoder output, across the non-differentiable argmin.
 */
import type { Ops, Tensor } from '@zoo/core';

/** Straight-through estimator (VQ-VAE): forward value q, gradient identity to z. */
export function straightThrough(ops: Ops, z: Tensor, q: Tensor): Tensor {
  return ops.add(z, ops.stopGradient(ops.sub(q, z)));
}

/** a / max(b, 1e-6): the reference's safe_div, so a zero vector never makes NaNs. */
function safeDiv(ops: Ops, a: Tensor, b: Tensor): Tensor {
  return ops.div(a, ops.maximum(b, 1e-6));
}

function rowDot(ops: Ops, a: Tensor, b: Tensor): Tensor {
  return ops.sum(ops.mul(a, b), -1, true);
}

/**
 * Rotation trick (Fifty et al. 2024, arXiv 2410.06424, sec. 4.2), per token row
 * of z and q ([M, D]): the output is the rotation R taking z/|z| to q/|q|,
 * scaled by |q|/|z| and applied to z, with R and the scale treated as
 * constants. Forward value: q (up to float rounding). Gradient to z: the
 * decoder gradient rotated back, instead of copied as in straight-through.
 * R·z is computed without forming R: z − 2(z·w)w + 2(z·u)q̂ with
 * u = z/|z|, q̂ = q/|q|, w = (u + q̂)/|u + q̂| (the reference's
 * efficient_rotation_trick_transform). No gradient reaches q (the codebook).
 */
export function rotationTrick(ops: Ops, z: Tensor, q: Tensor): Tensor {
  const zs = ops.stopGradient(z);
  const qs = ops.stopGradient(q);
  const nz = ops.sqrt(ops.sum(ops.square(zs), -1, true));
  const nq = ops.sqrt(ops.sum(ops.square(qs), -1, true));
  const u = safeDiv(ops, zs, nz);
  const qh = safeDiv(ops, qs, nq);
  const s = ops.add(u, qh);
  // F.normalize's eps (1e-12): only a z exactly opposite q makes u + q̂ vanish.
  const w = ops.div(s, ops.maximum(ops.sqrt(ops.sum(ops.square(s), -1, true)), 1e-12));
  const rotated = ops.add(
    ops.sub(z, ops.mul(ops.mul(rowDot(ops, z, w), 2), w)),
    ops.mul(ops.mul(rowDot(ops, z, u), 2), qh),
  );
  return ops.mul(rotated, safeDiv(ops, nq, nz));
}
