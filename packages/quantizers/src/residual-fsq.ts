/**
 * `residual-fsq`: residual FSQ (vector-quantize-pytorch v1.31.0
 * `ResidualFSQ`, after SoundStream's algorithm 1). One optional projection
 * dim -> len(levels) around the whole stack; the projected input is soft
 * clamped to ±(1 + 1/(L−1)) per channel (tanh(x/c)·c); layer i is a
 * symmetric, hard-clamped FSQ applied to residual_i / L^−i, its output scaled
 * back by L^−i, so each layer refines the previous one's rounding error on a
 * grid L times finer. No auxiliary loss (FSQ has none). Quantize dropout as
 * `rvq` (host-side mask, a graph input).
 */
import { Rng, type Ops, type Tensor } from '@zoo/core';
import { z } from 'zod';
import { FSQ } from './fsq.js';
import { flattenIndices, flattenTokens } from './layout.js';
import { Linear } from './linear.js';
import { residualCodes, residualLoop, trainingLayerMask, type RVQForwardOptions } from './rvq.js';
import { ResidualStack } from './residual-stack.js';
import { QuantizerConfigError, quantizerRate, type QuantizeOptions, type Quantizer, type QuantizerOutput, type QuantizerRate } from './types.js';

export const residualFSQSchema = z.object({
  /** Levels per channel, each >= 2 (required), shared by every layer. */
  levels: z.array(z.number().int().min(2)).min(1),
  /** Number of residual layers (required). */
  numQuantizers: z.number().int().positive(),
  /** Input feature size; default len(levels) (no projection). */
  dim: z.number().int().positive().optional(),
  /** Drop a random suffix of layers per training step (false, as the reference). */
  quantizeDropout: z.boolean().default(false),
  /** Layers 0..cutoff are never dropped (0). */
  quantizeDropoutCutoffIndex: z.number().int().nonnegative().default(0),
  /** Seed of the projections' init and of the dropout sampler (0). */
  seed: z.number().int().default(0),
});

export type ResidualFSQConfig = z.output<typeof residualFSQSchema>;
export type ResidualFSQConfigInput = z.input<typeof residualFSQSchema>;

export class ResidualFSQ extends ResidualStack implements Quantizer {
  readonly config: ResidualFSQConfig;
  readonly dim: number;
  readonly layers: FSQ[];
  readonly project_in?: Linear;
  readonly project_out?: Linear;
  /** Per-layer, per-channel scale L^−i (float32, as the reference's levels.float() ** −i). */
  readonly scales: number[][];
  /** Soft-clamp bound 1 + 1/(L−1) per channel. */
  private readonly clampValue: number[];

  constructor(config: ResidualFSQConfigInput) {
    super();
    const c = (this.config = residualFSQSchema.parse(config));
    if (c.quantizeDropoutCutoffIndex >= c.numQuantizers) {
      throw new QuantizerConfigError('residual-fsq', `quantizeDropoutCutoffIndex ${c.quantizeDropoutCutoffIndex} must be below numQuantizers ${c.numQuantizers}`);
    }
    const n = c.levels.length;
    this.dim = c.dim ?? n;
    if (this.dim !== n) {
      const rng = new Rng(c.seed);
      this.project_in = this.child('project_in', new Linear(this.dim, n, rng));
      this.project_out = this.child('project_out', new Linear(n, this.dim, rng));
    }
    this.layers = this.children('layers', Array.from({ length: c.numQuantizers }, () => new FSQ({ levels: c.levels, preserveSymmetry: true, boundHardClamp: true })));
    this.scales = Array.from({ length: c.numQuantizers }, (_, i) => c.levels.map((l) => Math.fround(l ** -i)));
    this.clampValue = c.levels.map((l) => Math.fround(1 + Math.fround(1 / (l - 1))));
    this.initDropout(c, c.seed ^ 0x2f5);
    this.namedVariables();
  }

  get codebookSize(): number {
    return this.layers[0]!.codebookSize;
  }

  forward(ops: Ops, z: Tensor, opts: RVQForwardOptions = {}): QuantizerOutput {
    const view = flattenTokens(ops, z, 'residual-fsq', opts.layout, this.dim);
    let x = this.project_in ? this.project_in.forward(ops, view.tokens) : view.tokens;
    const c = ops.constant(this.clampValue, [1, this.clampValue.length]);
    x = ops.mul(ops.tanh(ops.div(x, c)), c);
    const r = residualLoop(ops, this.layers, x, trainingLayerMask(ops, this.training, opts.layerMask, this.dropout_mask), this.scales);
    const out = this.project_out ? this.project_out.forward(ops, r.quantized) : r.quantized;
    return { quantized: view.restore(ops, out), indices: ops.reshape(r.indices, [...view.indexShape, this.layers.length]), loss: r.loss, breakdown: r.breakdown };
  }

  /** One index per layer (a trailing axis of numQuantizers). */
  rate(): QuantizerRate {
    return quantizerRate(this.layers.map((l) => l.codebookSize), true);
  }

  /** Σ_i L^−i·codes_i, projected out; index −1 (a dropped layer) contributes 0. */
  indicesToCodes(ops: Ops, indices: Tensor, opts: QuantizeOptions = {}): Tensor {
    const f = flattenIndices(ops, indices, 'residual-fsq.indicesToCodes', 1, opts.layout);
    const sum = residualCodes(ops, this.layers, f.flat, this.scales);
    return f.restore(ops, this.project_out ? this.project_out.forward(ops, sum) : sum);
  }
}
