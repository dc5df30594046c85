/**
 * Adam / AdamW written out to match torch.optim.Adam / AdamW
 * (single-tensor path, torch 2.x) step for step:
 *   g ← g * min(1, maxNorm / (‖g‖₂ + 1e-6))      torch.nn.utils.clip_grad_norm_ (global norm)
 *   adam:  g ← g + wd·p                           (L2 in the gradient)
 *   adamw: p ← p·(1 − lr·wd)                      (decoupled decay)
 *   m ← lerp(m, g, 1 − β1);  v ← β2·v + (1 − β2)·g²
 *   p ← p − (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + ε)      (ε outside the sqrt)
 * Defaults (β1 0.9, β2 0.999, ε 1e-8, wd 0) are torch's.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { AdamConfig } from '../engine.js';

export interface Moments {
  m: tf.Tensor;
  v: tf.Tensor;
}

/** Global L2 norm of all gradients (float32 scalar). */
export function globalNorm(grads: readonly tf.Tensor[]): tf.Tensor {
  return tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g)))));
}

/** Scales gradients like clip_grad_norm_; returns them unchanged when no clipping is configured. */
export function clipByGlobalNorm(grads: tf.Tensor[], norm: tf.Tensor, maxNorm: number | undefined): tf.Tensor[] {
  if (maxNorm === undefined) return grads;
  const coef = tf.minimum(tf.div(tf.scalar(maxNorm), tf.add(norm, 1e-6)), 1);
  return grads.map((g) => tf.mul(g, coef));
}

/** torch.lerp(start, end, w) for w < 0.5 (1 − β1 always is): start + w·(end − start). */
function lerp(start: tf.Tensor, end: tf.Tensor, w: number): tf.Tensor {
  return tf.add(start, tf.mul(tf.sub(end, start), w));
}

/**
 * One update of `p` in place. `step` is the 1-based step count after this
 * update. Returns the new moments; the caller owns them and disposes the old.
 */
export function adamUpdate(p: tf.Variable, g0: tf.Tensor, prev: Moments, step: number, cfg: AdamConfig, lr: number): Moments {
  const b1 = cfg.beta1 ?? 0.9;
  const b2 = cfg.beta2 ?? 0.999;
  const eps = cfg.eps ?? 1e-8;
  const wd = cfg.weightDecay ?? 0;
  let g = g0;
  let base: tf.Tensor = p;
  if (wd !== 0) {
    if (cfg.kind === 'adamw') base = tf.mul(p, 1 - lr * wd);
    else g = tf.add(g, tf.mul(p, wd));
  }
  const m = lerp(prev.m, g, 1 - b1);
  const v = tf.add(tf.mul(prev.v, b2), tf.mul(tf.square(g), 1 - b2));
  const stepSize = lr / (1 - b1 ** step);
  const denom = tf.add(tf.div(tf.sqrt(v), Math.sqrt(1 - b2 ** step)), eps);
  p.assign(tf.sub(base, tf.mul(tf.div(m, denom), stepSize)));
  return { m, v };
}
