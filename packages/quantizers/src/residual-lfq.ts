/**
 * `residual-lfq`: residual LFQ (vector-quantize-pytorch v1.31.0
 * `ResidualLFQ`). One optional projection dim -> log2 K around the whole
 * stack; layer i is an LFQ with codebookScale 2^−i, so each layer's ±2^−i
 * bits refine what the previous ones left. Each layer keeps its own entropy
 * and commitment loss; the loss is their sum. Quantize dropout as `rvq`.
 */
import { Rng, type Ops, type Tensor } from '@zoo/core';
import { z } from 'zod';
import { flattenIndices, flattenTokens } from './layout.js';
import { LFQ, lfqSchema } from './lfq.js';
import { Linear } from './linear.js';
import { residualCodes, residualLoop, trainingLayerMask, type RVQForwardOptions } from './rvq.js';
import { ResidualStack } from './residual-stack.js';
import { QuantizerConfigError, quantizerRate, type QuantizeOptions, type Quantizer, type QuantizerOutput, type QuantizerRate } from './types.js';

/** Each layer's LFQ options (defaults as `lfq`); dim, scale, codebooks and projections are the stack's. */
const layerOptions = lfqSchema.omit({ dim: true, codebookSize: true, codebookScale: true, numCodebooks: true, hasProjections: true, keepNumCodebooksDim: true, seed: true });

export const residualLFQSchema = layerOptions.extend({
  /** Input feature size (required). */
  dim: z.number().int().positive(),
  /** Codes per layer, a power of two (required). */
  codebookSize: lfqSchema.shape.codebookSize,
  /** Number of residual layers (required). */
  numQuantizers: z.number().int().positive(),
  /** Drop a random suffix of layers per training step (false, as the reference). */
  quantizeDropout: z.boolean().default(false),
  /** Layers 0..cutoff are never dropped (0). */
  quantizeDropoutCutoffIndex: z.number().int().nonnegative().default(0),
  /** Seed of the projections, the layers' entropy samples and the dropout sampler (0). */
  seed: z.number().int().default(0),
});

export type ResidualLFQConfig = z.output<typeof residualLFQSchema>;
export type ResidualLFQConfigInput = z.input<typeof residualLFQSchema>;

export class ResidualLFQ extends ResidualStack implements Quantizer {
  readonly config: ResidualLFQConfig;
  readonly layers: LFQ[];
  readonly project_in?: Linear;
  readonly project_out?: Linear;

  constructor(config: ResidualLFQConfigInput) {
    super();
    const c = (this.config = residualLFQSchema.parse(config));
    if (c.quantizeDropoutCutoffIndex >= c.numQuantizers) {
      throw new QuantizerConfigError('residual-lfq', `quantizeDropoutCutoffIndex ${c.quantizeDropoutCutoffIndex} must be below numQuantizers ${c.numQuantizers}`);
    }
    const bits = Math.round(Math.log2(c.codebookSize));
    if (c.dim !== bits) {
      const rng = new Rng(c.seed);
      this.project_in = this.child('project_in', new Linear(c.dim, bits, rng));
      this.project_out = this.child('project_out', new Linear(bits, c.dim, rng));
    }
    const { dim: _d, numQuantizers: _n, quantizeDropout: _q, quantizeDropoutCutoffIndex: _k, seed, ...lfq } = c;
    this.layers = this.children('layers', Array.from({ length: c.numQuantizers }, (_, i) => new LFQ({ ...lfq, codebookScale: 2 ** -i, seed: seed + i })));
    this.initDropout(c, c.seed ^ 0x2f5);
    this.namedVariables();
  }

  get dim(): number {
    return this.config.dim;
  }

  get codebookSize(): number {
    return this.config.codebookSize;
  }

  forward(ops: Ops, z: Tensor, opts: RVQForwardOptions = {}): QuantizerOutput {
    const view = flattenTokens(ops, z, 'residual-lfq', opts.layout, this.dim);
    const x = this.project_in ? this.project_in.forward(ops, view.tokens) : view.tokens;
    const r = residualLoop(ops, this.layers, x, trainingLayerMask(ops, this.training, opts.layerMask, this.dropout_mask));
    const out = this.project_out ? this.project_out.forward(ops, r.quantized) : r.quantized;
    return { quantized: view.restore(ops, out), indices: ops.reshape(r.indices, [...view.indexShape, this.layers.length]), loss: r.loss, breakdown: r.breakdown };
  }

  /** One index per layer (a trailing axis of numQuantizers). */
  rate(): QuantizerRate {
    return quantizerRate(this.layers.map((l) => l.codebookSize), true);
  }

  /** Σ of the layers' ±2^−i codes, projected out; index −1 (a dropped layer) contributes 0. */
  indicesToCodes(ops: Ops, indices: Tensor, opts: QuantizeOptions = {}): Tensor {
    const f = flattenIndices(ops, indices, 'residual-lfq.indicesToCodes', 1, opts.layout);
    const sum = residualCodes(ops, this.layers, f.flat);
    return f.restore(ops, this.project_out ? this.project_out.forward(ops, sum) : sum);
  }
}
