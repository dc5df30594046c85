/**
 * `fsq`: finite scalar quantization (Mentzer et al. 2023): each channel is
 * bounded and rounded to one of L_i levels; the implicit codebook is the grid
 * Π L_i. Follows lucidrains/vector-quantize-pytorch v1.31.0 (`FSQ`): the
 * default bound tanh(z + shift)·half_l − offset (even L asymmetric, e.g. L = 8
 * gives {−4..3}/4), optional symmetry-preserving bound (arXiv 2411.19842),
 * straight-through rounding, indices with the first channel least
 * significant (basis cumprod([1, L_0, L_1, ...])), int32.
 */
import { Module, Rng, type Ops, type Tensor } from '@zoo/core';
import { z } from 'zod';
import { flattenIndices, flattenTokens } from './layout.js';
import { Linear } from './linear.js';
import { straightThrough } from './rotation-trick.js';
import { QuantizerConfigError, quantizerRate, type QuantizeOptions, type Quantizer, type QuantizerOutput, type QuantizerRate } from './types.js';

export const fsqSchema = z.object({
  /** Levels per channel, each >= 2 (required), e.g. [8, 5, 5, 5] (codebook 1000). */
  levels: z.array(z.number().int().min(2)).min(1),
  /** Input feature size; default len(levels) (no projection). */
  dim: z.number().int().positive().optional(),
  /** Symmetric levels in [−1, 1] (arXiv 2411.19842 sec. 3.2). Default false, as the reference. */
  preserveSymmetry: z.boolean().default(false),
  /**
   * Bound with clamp(·, −1, 1) instead of tanh (and no atanh shift): for
   * inputs already soft-clamped into range, as ResidualFSQ does (the
   * reference's bound_hard_clamp). Default false.
   */
  boundHardClamp: z.boolean().default(false),
  /** Seed of the projection init when dim ≠ len(levels) (0). */
  seed: z.number().int().default(0),
});

export type FSQConfig = z.output<typeof fsqSchema>;
export type FSQConfigInput = z.input<typeof fsqSchema>;

/** Squeezes the bound just inside the outer levels (the reference's 1e-3). */
const BOUND_EPS = 1e-3;

export class FSQ extends Module implements Quantizer {
  readonly config: FSQConfig;
  readonly levels: readonly number[];
  /** Index weight of each channel: cumprod([1, L_0, ..., L_{n-2}]). */
  readonly basis: readonly number[];
  readonly dim: number;
  readonly codebookSize: number;
  readonly project_in?: Linear;
  readonly project_out?: Linear;

  constructor(config: FSQConfigInput) {
    super();
    const c = (this.config = fsqSchema.parse(config));
    this.levels = c.levels;
    const basis: number[] = [];
    let prod = 1;
    for (const l of c.levels) {
      basis.push(prod);
      prod *= l;
    }
    if (prod > 2 ** 31 - 1) throw new QuantizerConfigError('fsq', `codebook size Π levels = ${prod} does not fit int32 indices`);
    this.basis = basis;
    this.codebookSize = prod;
    const n = c.levels.length;
    this.dim = c.dim ?? n;
    if (this.dim !== n) {
      const rng = new Rng(c.seed);
      this.project_in = this.child('project_in', new Linear(this.dim, n, rng));
      this.project_out = this.child('project_out', new Linear(n, this.dim, rng));
    }
    this.namedVariables();
  }

  private row(values: readonly number[]): number[] {
    return [...values];
  }

  /** Bounded, rounded (straight-through) codes in [−1, 1], [M, n]. */
  private quantizeRows(ops: Ops, x: Tensor): Tensor {
    const n = this.levels.length;
    const lv = this.levels;
    if (this.config.preserveSymmetry) {
      // q = 2/(L−1)·floor((L−1)(tanh z + 1)/2 + 0.5) − 1, floor straight-through.
      const lm1 = ops.constant(this.row(lv.map((l) => l - 1)), [1, n]);
      const squashed = this.config.boundHardClamp ? ops.clip(x, -1, 1) : ops.tanh(x);
      const bracket = ops.add(ops.div(ops.mul(lm1, ops.add(squashed, 1)), 2), 0.5);
      const floored = straightThrough(ops, bracket, ops.floor(bracket));
      return ops.sub(ops.mul(floored, ops.constant(this.row(lv.map((l) => 2 / (l - 1))), [1, n])), 1);
    }
    // float32 arithmetic in the reference's order: (L − 1)·(1 + eps) / 2, atanh(offset / half_l).
    const halfL = lv.map((l) => Math.fround((l - 1) * Math.fround(1 + BOUND_EPS)) / 2);
    const offset = lv.map((l) => (l % 2 === 0 ? 0.5 : 0));
    const hard = this.config.boundHardClamp;
    const shift = lv.map((_, i) => Math.fround(hard ? Math.fround(offset[i]! / halfL[i]!) : Math.atanh(Math.fround(offset[i]! / halfL[i]!))));
    const shifted = ops.add(x, ops.constant(shift, [1, n]));
    const bounded = ops.sub(
      ops.mul(hard ? ops.clip(shifted, -1, 1) : ops.tanh(shifted), ops.constant(halfL, [1, n])),
      ops.constant(offset, [1, n]),
    );
    const rounded = straightThrough(ops, bounded, ops.round(bounded));
    return ops.div(rounded, ops.constant(this.row(lv.map((l) => Math.floor(l / 2))), [1, n]));
  }

  /** Codes in [−1, 1] -> per-channel level index 0..L−1 (float, exact integers). */
  private levelIndices(ops: Ops, q: Tensor): Tensor {
    const n = this.levels.length;
    const lv = this.levels;
    if (this.config.preserveSymmetry) {
      return ops.round(ops.div(ops.add(q, 1), ops.constant(this.row(lv.map((l) => 2 / (l - 1))), [1, n])));
    }
    const half = ops.constant(this.row(lv.map((l) => Math.floor(l / 2))), [1, n]);
    return ops.round(ops.add(ops.mul(q, half), half));
  }

  /** Level indices -> codes in [−1, 1]. */
  private codesFromLevels(ops: Ops, li: Tensor): Tensor {
    const n = this.levels.length;
    const lv = this.levels;
    if (this.config.preserveSymmetry) {
      return ops.sub(ops.mul(li, ops.constant(this.row(lv.map((l) => 2 / (l - 1))), [1, n])), 1);
    }
    const half = ops.constant(this.row(lv.map((l) => Math.floor(l / 2))), [1, n]);
    return ops.div(ops.sub(li, half), half);
  }

  forward(ops: Ops, z: Tensor, opts: QuantizeOptions = {}): QuantizerOutput {
    const view = flattenTokens(ops, z, 'fsq', opts.layout, this.dim);
    const x = this.project_in ? this.project_in.forward(ops, view.tokens) : view.tokens;
    const q = this.quantizeRows(ops, x);
    const indices = this.codesToIndices(ops, ops.stopGradient(q));
    const out = this.project_out ? this.project_out.forward(ops, q) : q;
    return { quantized: view.restore(ops, out), indices: ops.reshape(indices, view.indexShape), loss: ops.constant(0), breakdown: {} };
  }

  /** Codes [M, n] in [−1, 1] -> int32 indices [M] (first channel least significant). */
  codesToIndices(ops: Ops, codes: Tensor): Tensor {
    const n = this.levels.length;
    const li = this.levelIndices(ops, codes);
    return ops.cast(ops.sum(ops.mul(li, ops.constant(this.row(this.basis), [1, n])), -1), 'int32');
  }

  /** Per-channel level indices [M, n] (int32) of the codes. */
  levelIndicesOf(ops: Ops, codes: Tensor): Tensor {
    return ops.cast(this.levelIndices(ops, codes), 'int32');
  }

  /** One code of `codebookSize` per token. */
  rate(): QuantizerRate {
    return quantizerRate([this.codebookSize], false);
  }

  indicesToCodes(ops: Ops, indices: Tensor, opts: QuantizeOptions = {}): Tensor {
    const n = this.levels.length;
    const f = flattenIndices(ops, indices, 'fsq.indicesToCodes', 0, opts.layout);
    const m = f.flat.shape[0]!;
    const idx = ops.reshape(ops.cast(f.flat, 'float32'), [m, 1]);
    const shifted = ops.floor(ops.div(idx, ops.constant(this.row(this.basis), [1, n])));
    const lvl = ops.constant(this.row(this.levels), [1, n]);
    const li = ops.sub(shifted, ops.mul(ops.floor(ops.div(shifted, lvl)), lvl)); // shifted mod L
    const codes = this.codesFromLevels(ops, li);
    return f.restore(ops, this.project_out ? this.project_out.forward(ops, codes) : codes);
  }
}

/**
 * FSQ levels for a codebook size, Table 1 of Mentzer et al. 2023 ("Finite
 * Scalar Quantization"): 2^8 -> [8,6,5], 2^10 -> [8,5,5,5], 2^12 -> [7,5,5,5,5],
 * 2^14 -> [8,8,8,6,5], 2^16 -> [8,8,8,5,5,5]. Other sizes: as many 4-level
 * channels as fit (then one 2-level channel for an odd power of two).
 */
export function fsqLevelsFor(codebookSize: number): number[] {
  const table: Record<number, number[]> = {
    256: [8, 6, 5],
    1024: [8, 5, 5, 5],
    4096: [7, 5, 5, 5, 5],
    16384: [8, 8, 8, 6, 5],
    65536: [8, 8, 8, 5, 5, 5],
  };
  const hit = table[codebookSize];
  if (hit) return [...hit];
  const bits = Math.max(1, Math.round(Math.log2(codebookSize)));
  const levels = new Array<number>(Math.floor(bits / 2)).fill(4);
  if (bits % 2) levels.push(2);
  return levels;
}
