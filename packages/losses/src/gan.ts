/**
 * GAN objectives on discriminator logits (any shape; PatchGAN maps and
 * per-video scalars alike are averaged over all elements).
 *
 * The references disagree on a factor of ½ in the discriminator loss, so the
 * choice is explicit (`combine`):
 * - 'mean' (default, taming-transformers hinge_d_loss / vanilla_d_loss):
 *   0.5 · (E[relu(1 − real)] + E[relu(1 + fake)]).
 * - 'sum' (magvit2-pytorch hinge_discr_loss):
 *   E[relu(1 + fake) + relu(1 − real)], i.e. the two terms summed, no ½.
 *
 * Generator losses:
 * - hinge: −E[fake] (taming g_loss, magvit2-pytorch hinge_gen_loss).
 * - non-saturating: E[softplus(−fake)] = BCE(fake, 1) (Goodfellow et al.;
 *   the "vanilla" loss of taming for D is E[softplus(−real)] + E[softplus(fake)]).
 */
import type { Ops, Tensor } from '@zoo/core';
import { LossConfigError } from './errors.js';

export type GanLossKind = 'hinge' | 'non-saturating';
/** How the real and fake terms of a discriminator loss are combined (see module doc). */
export type DiscriminatorLossCombine = 'mean' | 'sum';

export const GAN_LOSS_KINDS: readonly GanLossKind[] = ['hinge', 'non-saturating'];

/** Numerically stable softplus(x) = log(1 + e^x) = max(x, 0) + log(1 + e^−|x|). */
export function softplus(ops: Ops, x: Tensor): Tensor {
  return ops.add(ops.relu(x), ops.log(ops.add(ops.exp(ops.neg(ops.abs(x))), 1)));
}

function checkKind(kind: string): asserts kind is GanLossKind {
  if (!(GAN_LOSS_KINDS as readonly string[]).includes(kind)) {
    throw new LossConfigError(`unknown GAN loss '${kind}'. Valid: ${GAN_LOSS_KINDS.join(', ')}`);
  }
}

/**
 * Discriminator loss on real and fake logits.
 * @param combine 'mean' (default; taming's ½ convention) or 'sum' (magvit2-pytorch, no ½).
 */
export function discriminatorLoss(
  ops: Ops,
  kind: GanLossKind,
  logitsReal: Tensor,
  logitsFake: Tensor,
  combine: DiscriminatorLossCombine = 'mean',
): Tensor {
  checkKind(kind);
  const realTerm =
    kind === 'hinge' ? ops.mean(ops.relu(ops.sub(1, logitsReal))) : ops.mean(softplus(ops, ops.neg(logitsReal)));
  const fakeTerm =
    kind === 'hinge' ? ops.mean(ops.relu(ops.add(1, logitsFake))) : ops.mean(softplus(ops, logitsFake));
  const total = ops.add(realTerm, fakeTerm);
  if (combine === 'mean') return ops.mul(total, 0.5);
  if (combine === 'sum') return total;
  throw new LossConfigError(`unknown discriminator loss combine '${String(combine)}'. Valid: mean, sum`);
}

/** Generator (adversarial) loss on the logits of generated samples. */
export function generatorLoss(ops: Ops, kind: GanLossKind, logitsFake: Tensor): Tensor {
  checkKind(kind);
  if (kind === 'hinge') return ops.neg(ops.mean(logitsFake));
  return ops.mean(softplus(ops, ops.neg(logitsFake)));
}

/**
 * taming's adopt_weight: `value` before the discriminator starts
 * (globalStep < threshold, strict), `weight` from then on.
 */
export function adoptWeight(weight: number, globalStep: number, threshold = 0, value = 0): number {
  return globalStep < threshold ? value : weight;
}
