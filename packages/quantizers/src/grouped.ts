/**
 * `grouped`: split the channel axis into G equal groups and quantize each
 * with its own quantizer of any registered kind (vector-quantize-pytorch
 * v1.31.0 `GroupedResidualVQ` / `GroupedResidualFSQ` / `GroupedResidualLFQ`
 * when the kind is rvq / residual-fsq / residual-lfq; also plain vq, lfq,
 * fsq, ...). The outputs are concatenated back along the channels; the
 * indices of all groups share one trailing axis, group-major: for a kind with
 * L indices per token it holds G·L entries (group g at g·L .. g·L+L−1; the
 * reference stacks a leading group axis instead). The loss is the groups'
 * sum. State keys follow the reference: `rvqs.<g>.<the group's own keys>`.
 */
import { createDynamic, Module, type Ops, type Tensor } from '@zoo/core';
import { z } from 'zod';
import { flattenIndices, flattenTokens } from './layout.js';
import type { RVQForwardOptions } from './rvq.js';
import { QuantizerConfigError, quantizerRate, type Quantizer, type QuantizeOptions, type QuantizerOutput, type QuantizerRate, type TrainableQuantizer } from './types.js';

export const groupedSchema = z.object({
  /** Number of channel groups G (required); the input width is G × the group quantizer's dim. */
  groups: z.number().int().positive(),
  /**
   * The group quantizer: a registered quantizer name and its config, whose
   * `dim` is the width of one group (required), e.g.
   * { name: 'rvq', config: { numQuantizers: 2, layer: { kind: 'vq', config: { dim: 4, codebookSize: 16 } } } }.
   */
  quantizer: z.object({ name: z.string(), config: z.record(z.string(), z.unknown()).default({}) }),
  /** Added to each group's own seed: group g gets seed (config seed ?? 0) + g (0). */
  seed: z.number().int().default(0),
});

export type GroupedConfig = z.output<typeof groupedSchema>;
export type GroupedConfigInput = z.input<typeof groupedSchema>;

export class GroupedQuantizer extends Module implements Quantizer {
  readonly config: GroupedConfig;
  /** The group quantizers (named `rvqs` as the reference's grouped classes). */
  readonly rvqs: Quantizer[];
  private readonly perGroup: QuantizerRate;

  constructor(config: GroupedConfigInput) {
    super();
    const c = (this.config = groupedSchema.parse(config));
    if (c.quantizer.name === 'grouped') throw new QuantizerConfigError('grouped', 'the group quantizer cannot itself be grouped');
    const base = Number(c.quantizer.config['seed'] ?? 0);
    this.rvqs = this.children(
      'rvqs',
      Array.from({ length: c.groups }, (_, g) => {
        try {
          return createDynamic('quantizer', c.quantizer.name, { ...c.quantizer.config, seed: base + c.seed + g }) as Quantizer;
        } catch (e) {
          throw new QuantizerConfigError('grouped', `group quantizer '${c.quantizer.name}': ${(e as Error).message}`);
        }
      }),
    );
    this.perGroup = this.rvqs[0]!.rate();
    this.namedVariables();
  }

  get dim(): number {
    return this.rvqs[0]!.dim * this.rvqs.length;
  }

  get codebookSize(): number {
    return this.rvqs[0]!.codebookSize;
  }

  /** Passes the step to every group that keeps per-step state. */
  beforeStep(step: number): void {
    for (const q of this.rvqs) (q as TrainableQuantizer).beforeStep?.(step);
  }

  forward(ops: Ops, z: Tensor, opts: RVQForwardOptions = {}): QuantizerOutput {
    const view = flattenTokens(ops, z, 'grouped', opts.layout, this.dim);
    const m = view.tokens.shape[0]!;
    const d = this.rvqs[0]!.dim;
    const per = this.perGroup.codebookSizes.length;
    const quantized: Tensor[] = [];
    const indices: Tensor[] = [];
    const losses: Tensor[] = [];
    const breakdown: Record<string, Tensor> = {};
    let loss: Tensor | undefined;
    this.rvqs.forEach((q, g) => {
      const chunk = ops.reshape(ops.slice(view.tokens, [g * d], [(g + 1) * d], [1]), [1, m, d]);
      const o = q.forward(ops, chunk, { ...opts, layout: 'channels-last' });
      quantized.push(ops.reshape(o.quantized, [m, d]));
      indices.push(ops.reshape(o.indices, [m, per]));
      loss = loss ? ops.add(loss, o.loss) : o.loss;
      const l = o.breakdown['losses'] ?? o.loss;
      losses.push(ops.reshape(l, [l.shape.reduce((a, b) => a * b, 1)]));
      for (const [k, v] of Object.entries(o.breakdown)) breakdown[`group${g}.${k}`] = v;
    });
    breakdown['losses'] = ops.concat(losses, 0);
    return {
      quantized: view.restore(ops, ops.concat(quantized, 1)),
      indices: ops.reshape(ops.concat(indices, 1), [...view.indexShape, this.rvqs.length * per]),
      loss: loss!,
      breakdown,
    };
  }

  /** The groups' index entries side by side, group-major, on one trailing axis. */
  rate(): QuantizerRate {
    return quantizerRate(this.rvqs.flatMap((q) => q.rate().codebookSizes), true);
  }

  indicesToCodes(ops: Ops, indices: Tensor, opts: QuantizeOptions = {}): Tensor {
    const f = flattenIndices(ops, indices, 'grouped.indicesToCodes', 1, opts.layout);
    const m = f.flat.shape[0]!;
    const per = this.perGroup.codebookSizes.length;
    const codes = this.rvqs.map((q, g) => {
      const slice = ops.slice(f.flat, [g * per], [(g + 1) * per], [1]);
      const idx = this.perGroup.indexAxis ? ops.reshape(slice, [1, m, per]) : ops.reshape(slice, [1, m]);
      return ops.reshape(q.indicesToCodes(ops, idx, { layout: 'channels-last' }), [m, q.dim]);
    });
    return f.restore(ops, ops.concat(codes, 1));
  }
}
