/**
 * The functions the trainer compiles, written once against `Ops`:
 * - the generator step: encoder -> quantizer -> decoder, pixel loss +
 *   quantizer loss (+ LPIPS) (+ the adaptive-weighted generator GAN loss once
 *   the discriminator has started), one graph per phase;
 * - the discriminator step: GAN loss on real clips and on the generator's
 *   reconstructions (fed in, no generator gradient), plus LeCam and R1;
 * - the adaptive-weight losses (reconstruction vs. generator), whose gradient
 *   norms at the decoder's last layer give VQGAN's λ.
 */
import type { Ops, Tensor } from '@zoo/core';
import { discriminatorLoss, generatorLoss, l1Loss, l2Loss, r1Penalty, type LeCam, type LPIPS } from '@zoo/losses';
import type { LossSpec } from '../tokenizer/spec.js';
import { toModel, type Tokenizer } from '../tokenizer/tokenizer.js';

export interface Objectives {
  tokenizer: Tokenizer;
  losses: LossSpec;
  /** Present when perceptualWeight > 0 and the LPIPS weights loaded. */
  lpips?: LPIPS | undefined;
  lecam?: LeCam | undefined;
}

/** LPIPS on video: frames folded into the batch ([B, 3, T, H, W] -> [B·T, 3, H, W]). */
function lpipsVideo(ops: Ops, lpips: LPIPS, a: Tensor, b: Tensor): Tensor {
  const fold = (v: Tensor): Tensor => {
    const [n, c, t, h, w] = v.shape as [number, number, number, number, number];
    return ops.reshape(ops.transpose(v, [0, 2, 1, 3, 4]), [n * t, c, h, w]);
  };
  return lpips.forward(ops, fold(a), fold(b));
}

function pixelLoss(ops: Ops, kind: LossSpec['reconstruction'], a: Tensor, b: Tensor): Tensor {
  return kind === 'l1' ? l1Loss(ops, a, b) : l2Loss(ops, a, b);
}

/** Reconstruction part of the objective ("nll" in taming): weighted pixel loss + LPIPS. */
function reconstruction(ops: Ops, o: Objectives, recon: Tensor, x: Tensor): { nll: Tensor; parts: Record<string, Tensor> } {
  const pix = pixelLoss(ops, o.losses.reconstruction, recon, x);
  let nll = ops.mul(pix, o.losses.reconstructionWeight);
  const parts: Record<string, Tensor> = { rec: pix, mse: ops.mean(ops.square(ops.sub(recon, x))) };
  if (o.lpips && o.losses.perceptualWeight > 0) {
    const p = lpipsVideo(ops, o.lpips, recon, x);
    parts['lpips'] = p;
    nll = ops.add(nll, ops.mul(p, o.losses.perceptualWeight));
  }
  return { nll, parts };
}

/**
 * Generator step. Inputs: `x` [B, T, H, W, 3] in [0, 1]; with `gan`, also
 * `ganWeight` [] (discWeight · λ · discFactor, computed on the host).
 * Outputs: loss, its parts, and `recon` (model space) for the D step.
 */
export function generatorObjective(o: Objectives, gan: boolean) {
  return (ops: Ops, inp: { x: Tensor; ganWeight?: Tensor }): Record<string, Tensor> & { loss: Tensor } => {
    const x = toModel(ops, inp.x);
    const out = o.tokenizer.forward(ops, x);
    const { nll, parts } = reconstruction(ops, o, out.recon, x);
    let loss = ops.add(nll, out.qloss);
    const result: Record<string, Tensor> = { ...parts, qloss: out.qloss };
    if (gan && o.tokenizer.discriminator && inp.ganWeight) {
      const g = generatorLoss(ops, o.losses.gan, o.tokenizer.discriminator.forward(ops, out.recon));
      result['gloss'] = g;
      loss = ops.add(loss, ops.mul(g, inp.ganWeight));
      result['recon'] = ops.stopGradient(out.recon);
    }
    return { ...result, loss };
  };
}

/** Discriminator step. Inputs: `x` (dataset layout) and `recon` (model space, from the G step). */
export function discriminatorObjective(o: Objectives) {
  return (ops: Ops, inp: { x: Tensor; recon: Tensor }): Record<string, Tensor> & { loss: Tensor } => {
    const d = o.tokenizer.discriminator!;
    const x = toModel(ops, inp.x);
    const real = d.forward(ops, x);
    const fake = d.forward(ops, ops.stopGradient(inp.recon));
    const dloss = discriminatorLoss(ops, o.losses.gan, real, fake);
    const out: Record<string, Tensor> = { dloss, logitsReal: ops.mean(real), logitsFake: ops.mean(fake) };
    let loss = dloss;
    if (o.lecam && o.losses.lecamWeight > 0) {
      const pen = o.lecam.forward(ops, real, fake);
      out['lecam'] = pen;
      loss = ops.add(loss, ops.mul(pen, o.losses.lecamWeight));
    }
    if (o.losses.r1Weight > 0) {
      // Exact R1 by double backprop; D runs once more on the real batch (StyleGAN's γ/2 · R1).
      const pen = r1Penalty(ops, (v) => d.forward(ops, v), x);
      out['r1'] = pen;
      loss = ops.add(loss, ops.mul(pen, o.losses.r1Weight / 2));
    }
    return { ...out, loss };
  };
}

/**
 * The two losses whose last-layer gradient norms define the adaptive weight.
 * The quantizer runs in eval mode here: the gradient needed is the decoder's,
 * and a training-mode quantizer would apply extra EMA codebook updates.
 */
export function adaptiveLosses(o: Objectives) {
  return (ops: Ops, inp: { x: Tensor }): { reconstruction: Tensor; generator: Tensor } => {
    const q = o.tokenizer.quantizer;
    const was = q.training;
    q.eval();
    try {
      const x = toModel(ops, inp.x);
      const out = o.tokenizer.forward(ops, x);
      const { nll } = reconstruction(ops, o, out.recon, x);
      const g = generatorLoss(ops, o.losses.gan, o.tokenizer.discriminator!.forward(ops, out.recon));
      return { reconstruction: nll, generator: g };
    } finally {
      q.train(was);
    }
  };
}
