/**
 * `rvq`: residual quantization (SoundStream, Zeghidour et al. 2021,
 * algorithm 1; lucidrains/vector-quantize-pytorch v1.31.0 `ResidualVQ`): a
 * stack of quantizers of any kind, each quantizing what the previous ones
 * left over, residual_{i+1} = residual_i − sg(q_i); the output is Σ q_i.
 * Quantize dropout (train only) keeps a random prefix of the layers per step.
 */
import type { Ops, Tensor, Variable } from '@zoo/core';
import { z } from 'zod';
import { CosineVectorQuantizer, cosineVQSchema } from './cosine-vq.js';
import { FSQ, fsqSchema } from './fsq.js';
import { flattenIndices, flattenTokens } from './layout.js';
import { LFQ, lfqSchema } from './lfq.js';
import { QuantizerConfigError, quantizerRate, type QuantizeOptions, type Quantizer, type QuantizerOutput, type QuantizerRate } from './types.js';
import { VectorQuantizer, vqSchema } from './vq.js';
import { ResidualStack } from './residual-stack.js';

export { allLayers, quantizeDropoutMask, stepDropoutMask, ResidualStack, type QuantizeDropoutConfig } from './residual-stack.js';

/** One layer kind with its config; every layer of the stack is built from it. */
export const rvqLayerSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('vq'), config: vqSchema }),
  z.object({ kind: z.literal('cosine-vq'), config: cosineVQSchema }),
  z.object({ kind: z.literal('lfq'), config: lfqSchema }),
  z.object({ kind: z.literal('fsq'), config: fsqSchema }),
]);

export const rvqSchema = z.object({
  /** Number of residual layers (required). */
  numQuantizers: z.number().int().positive(),
  /** Layer kind and config (required), e.g. { kind: 'vq', config: { dim: 8, codebookSize: 16 } }. */
  layer: rvqLayerSchema,
  /** Drop a random suffix of layers per training step (default false, as the reference). */
  quantizeDropout: z.boolean().default(false),
  /** Layers 0..cutoff are never dropped (0). */
  quantizeDropoutCutoffIndex: z.number().int().nonnegative().default(0),
  /** Seed of the dropout sampler (0); layer i's own seed is its config seed + i. */
  seed: z.number().int().default(0),
});

export type RVQConfig = z.output<typeof rvqSchema>;
export type RVQConfigInput = z.input<typeof rvqSchema>;
type LayerSpec = z.output<typeof rvqLayerSchema>;

export interface RVQForwardOptions extends QuantizeOptions {
  /**
   * float32 [numQuantizers] of 1 (active) / 0 (dropped), from
   * `sampleDropoutMask()`; given as a graph input so a compiled step can take
   * a fresh mask each call. Used only in training mode; default all active.
   */
  layerMask?: Tensor;
}

function buildLayer(spec: LayerSpec, i: number): Quantizer {
  switch (spec.kind) {
    case 'vq':
      return new VectorQuantizer({ ...spec.config, seed: spec.config.seed + i });
    case 'cosine-vq':
      return new CosineVectorQuantizer({ ...spec.config, seed: spec.config.seed + i });
    case 'lfq':
      return new LFQ({ ...spec.config, seed: spec.config.seed + i });
    case 'fsq':
      return new FSQ({ ...spec.config, seed: spec.config.seed + i });
  }
}

export class ResidualVQ extends ResidualStack implements Quantizer {
  readonly config: RVQConfig;
  readonly layers: Quantizer[];

  constructor(config: RVQConfigInput) {
    super();
    const c = (this.config = rvqSchema.parse(config));
    if (c.layer.kind === 'lfq' && (c.layer.config.numCodebooks > 1 || c.layer.config.keepNumCodebooksDim)) {
      throw new QuantizerConfigError('rvq', 'lfq layers must have one codebook (numCodebooks 1) so each layer gives one index per token');
    }
    if (c.quantizeDropoutCutoffIndex >= c.numQuantizers) {
      throw new QuantizerConfigError('rvq', `quantizeDropoutCutoffIndex ${c.quantizeDropoutCutoffIndex} must be below numQuantizers ${c.numQuantizers}`);
    }
    this.layers = this.children(
      'layers',
      Array.from({ length: c.numQuantizers }, (_, i) => buildLayer(c.layer, i)),
    );
    this.initDropout(c, c.seed);
    this.namedVariables();
  }

  get dim(): number {
    return this.layers[0]!.dim;
  }

  get codebookSize(): number {
    return this.layers[0]!.codebookSize;
  }

  forward(ops: Ops, z: Tensor, opts: RVQForwardOptions = {}): QuantizerOutput {
    const view = flattenTokens(ops, z, 'rvq', opts.layout, this.dim);
    const r = residualLoop(ops, this.layers, view.tokens, trainingLayerMask(ops, this.training, opts.layerMask, this.dropout_mask));
    return { quantized: view.restore(ops, r.quantized), indices: ops.reshape(r.indices, [...view.indexShape, this.layers.length]), loss: r.loss, breakdown: r.breakdown };
  }

  /** One index per layer (a trailing axis of numQuantizers), each layer's own codebook size. */
  rate(): QuantizerRate {
    return quantizerRate(this.layers.flatMap((l) => l.rate().codebookSizes), true);
  }

  /** Σ of each layer's codes for indices [..., L]; index −1 (dropped layer) contributes 0. */
  indicesToCodes(ops: Ops, indices: Tensor, opts: QuantizeOptions = {}): Tensor {
    const f = flattenIndices(ops, indices, 'rvq.indicesToCodes', 1, opts.layout);
    return f.restore(ops, residualCodes(ops, this.layers, f.flat));
  }
}

/**
 * The layer mask a residual stack uses: none in eval; in training the
 * `layerMask` option when given, else the `dropout_mask` buffer that
 * `beforeStep` refills (present only with quantizeDropout on).
 */
export function trainingLayerMask(ops: Ops, training: boolean, given: Tensor | undefined, buffer: Variable | undefined): Tensor | undefined {
  if (!training) return undefined;
  return given ?? (buffer ? ops.stopGradient(ops.variable(buffer)) : undefined);
}




/**
 * The residual loop of every residual quantizer over tokens [M, D]: layer i
 * quantizes residual_i / s_i and its output is scaled back by s_i (s_i = 1
 * unless `scales` gives a per-channel row, as ResidualFSQ's L^−i), then
 * residual_{i+1} = residual_i − sg(q_i) and the output is Σ q_i. A layer
 * whose `mask` entry is 0 adds nothing, loses nothing and reports index −1.
 */
export function residualLoop(
  ops: Ops,
  layers: readonly Quantizer[],
  tokens: Tensor,
  mask?: Tensor,
  scales?: readonly (readonly number[])[],
): { quantized: Tensor; indices: Tensor; loss: Tensor; breakdown: Record<string, Tensor> } {
  const [m, d] = tokens.shape as [number, number];
  let residual = ops.reshape(tokens, [1, m, d]);
  let quantized: Tensor | undefined;
  let loss: Tensor | undefined;
  const indices: Tensor[] = [];
  const losses: Tensor[] = [];
  const breakdown: Record<string, Tensor> = {};
  layers.forEach((layer, i) => {
    const scale = scales?.[i] ? ops.constant(scales[i]!, [1, 1, d]) : undefined;
    const o = layer.forward(ops, scale ? ops.div(residual, scale) : residual, { layout: 'channels-last' });
    const keep = mask ? ops.slice(mask, [i], [i + 1], [0]) : undefined; // [1]
    let q = scale ? ops.mul(o.quantized, scale) : o.quantized;
    if (keep) q = ops.mul(q, keep);
    const li = keep ? ops.mul(o.loss, ops.reshape(keep, [])) : o.loss;
    // Dropped layers report index −1 (the reference's convention).
    const idx = keep ? ops.cast(ops.sub(ops.mul(ops.add(ops.cast(o.indices, 'float32'), 1), keep), 1), 'int32') : o.indices;
    quantized = quantized ? ops.add(quantized, q) : q;
    loss = loss ? ops.add(loss, li) : li;
    residual = ops.sub(residual, ops.stopGradient(q));
    indices.push(ops.reshape(idx, [m, 1]));
    losses.push(ops.reshape(li, [1]));
    for (const [k, v] of Object.entries(o.breakdown)) breakdown[`layer${i}.${k}`] = v;
  });
  breakdown['losses'] = ops.concat(losses, 0);
  return { quantized: ops.reshape(quantized!, [m, d]), indices: ops.concat(indices, 1), loss: loss!, breakdown };
}

/** Σ_i s_i·codes_i for flat indices [M, L]; index −1 (a dropped layer) contributes 0. */
export function residualCodes(ops: Ops, layers: readonly Quantizer[], flat: Tensor, scales?: readonly (readonly number[])[]): Tensor {
  const m = flat.shape[0]!;
  let sum: Tensor | undefined;
  layers.forEach((layer, i) => {
    const idx = ops.cast(ops.reshape(ops.slice(flat, [i], [i + 1], [1]), [1, m]), 'float32');
    const valid = ops.cast(ops.greaterEqual(idx, 0), 'float32');
    const safe = ops.cast(ops.maximum(idx, 0), 'int32');
    const codes = layer.indicesToCodes(ops, safe, { layout: 'channels-last' }); // [1, M, D]
    const d = codes.shape[2]!;
    let c = ops.mul(ops.reshape(codes, [m, d]), ops.reshape(valid, [m, 1]));
    if (scales?.[i]) c = ops.mul(c, ops.constant(scales[i]!, [1, d]));
    sum = sum ? ops.add(sum, c) : c;
  });
  return sum!;
}
