/**
 * What the residual quantizers (rvq, residual-fsq, residual-lfq) share
 * beyond the residual loop: quantize dropout (vector-quantize-pytorch's
 * `quantize_dropout`), drawn on the host, either per call
 * (`sampleDropoutMask`, fed as `layerMask`) or per training step into the
 * `dropout_mask` buffer (`beforeStep`, seeded by step so resumes replay it).
 */
import { HostTensor, Module, Rng, type Variable } from '@zoo/core';

/** The config fields quantize dropout reads. */
export interface QuantizeDropoutConfig {
  seed: number;
  numQuantizers: number;
  quantizeDropout: boolean;
  quantizeDropoutCutoffIndex: number;
}

export abstract class ResidualStack extends Module {
  private dropoutRng: Rng | undefined;
  private dropoutConfig: QuantizeDropoutConfig | undefined;
  private mask: Variable | undefined;

  /** Quantize-dropout mask [numQuantizers] that `beforeStep` draws (state key `dropout_mask`; only with quantizeDropout). */
  get dropout_mask(): Variable | undefined {
    return this.mask;
  }

  /** Call once in the constructor, after the layers: the host Rng of `sampleDropoutMask` and, with dropout on, the buffer. */
  protected initDropout(c: QuantizeDropoutConfig, rngSeed: number): void {
    this.dropoutConfig = c;
    this.dropoutRng = new Rng(rngSeed);
    if (c.quantizeDropout) this.mask = this.buffer('dropout_mask', allLayers(c.numQuantizers));
  }

  /**
   * Host-side quantize-dropout mask for `forward(ops, z, { layerMask })`, as
   * the reference: k uniform in [cutoff, L−1], layers 0..k active. All ones
   * when dropout is off.
   */
  sampleDropoutMask(): HostTensor<'float32'> {
    const c = this.dropoutConfig!;
    return quantizeDropoutMask(this.dropoutRng!, c.numQuantizers, c.quantizeDropoutCutoffIndex, c.quantizeDropout);
  }

  /** With quantizeDropout: a fresh mask for training step `step` into `dropout_mask` (used when no `layerMask` is passed). */
  beforeStep(step: number): void {
    const c = this.dropoutConfig!;
    if (this.mask) this.mask.value = stepDropoutMask(c.seed, step, c.numQuantizers, c.quantizeDropoutCutoffIndex);
  }
}

/** A fresh draw per training step, seeded by (seed, step) so a resumed run draws what an uninterrupted one would. */
export function stepDropoutMask(seed: number, step: number, layers: number, cutoff: number): HostTensor<'float32'> {
  return quantizeDropoutMask(new Rng((Math.imul(seed, 0x9e3779b1) ^ Math.imul(step + 1, 0x85ebca6b)) | 0), layers, cutoff, true);
}

/** All-ones initial value of a `dropout_mask` buffer. */
export function allLayers(layers: number): HostTensor<'float32'> {
  return HostTensor.from(new Array<number>(layers).fill(1), [layers]);
}

/**
 * Host-side quantize-dropout draw, as vector-quantize-pytorch: k uniform in
 * [cutoff, L−1], layers 0..k active (float32 1 / 0). All ones when off.
 */
export function quantizeDropoutMask(rng: Rng, layers: number, cutoff: number, on: boolean): HostTensor<'float32'> {
  const k = on ? cutoff + rng.int(layers - cutoff) : layers - 1;
  return HostTensor.from(Array.from({ length: layers }, (_, i) => (i <= k ? 1 : 0)), [layers]);
}
