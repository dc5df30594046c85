/**
 * Moving between the user's tensor layout (tokens, images, video; channels
 * first or last) and the flat [M, D] token matrix every quantizer works on.
 */
import { ShapeError, type Ops, type Tensor } from '@zoo/core';
import type { ChannelLayout } from './types.js';

export interface TokenView {
  /** [M, D] with M = product of the batch and spatial/temporal sizes. */
  tokens: Tensor;
  /** Feature size D of the input. */
  dim: number;
  /** Shape of one index per token: [B, N], [B, H, W] or [B, T, H, W]. */
  indexShape: number[];
  layout: ChannelLayout;
  /** [M, D'] back to the input's layout with D' channels. */
  restore(ops: Ops, x: Tensor): Tensor;
}

export function defaultLayout(rank: number): ChannelLayout {
  return rank >= 4 ? 'channels-first' : 'channels-last';
}

/** Permutation moving axis 1 to the end (channels-first -> channels-last). */
function toLastPerm(rank: number): number[] {
  return [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1];
}

/** Permutation moving the last axis to position 1. */
function toFirstPerm(rank: number): number[] {
  return [0, rank - 1, ...Array.from({ length: rank - 2 }, (_, i) => i + 1)];
}

export function flattenTokens(
  ops: Ops,
  z: Tensor,
  where: string,
  layout?: ChannelLayout,
  expectedDim?: number,
): TokenView {
  const rank = z.shape.length;
  if (rank < 3 || rank > 5) {
    throw new ShapeError(
      where,
      '[B, N, D] tokens, [B, H, W, C] / [B, C, H, W] images or [B, T, H, W, C] / [B, C, T, H, W] video',
      z.shape,
    );
  }
  const lay = layout ?? defaultLayout(rank);
  const last = lay === 'channels-first' ? ops.transpose(z, toLastPerm(rank)) : z;
  const shape = last.shape;
  const dim = shape[rank - 1]!;
  if (expectedDim !== undefined && dim !== expectedDim) {
    const spec = lay === 'channels-first' ? `[B, ${expectedDim}, ...] (channels-first)` : `[..., ${expectedDim}] (channels-last)`;
    throw new ShapeError(where, spec, z.shape);
  }
  const indexShape = shape.slice(0, rank - 1);
  const m = indexShape.reduce((a, b) => a * b, 1);
  return {
    tokens: ops.reshape(last, [m, dim]),
    dim,
    indexShape,
    layout: lay,
    restore(o: Ops, x: Tensor): Tensor {
      const d = x.shape[x.shape.length - 1]!;
      const y = o.reshape(x, [...indexShape, d]);
      return lay === 'channels-first' ? o.transpose(y, toFirstPerm(rank)) : y;
    },
  };
}

/**
 * For `indicesToCodes`: flattens index arrays shaped like `forward` returns
 * them (with `codebookAxes` trailing codebook axes) to [M, ...codebook axes].
 */
export function flattenIndices(
  ops: Ops,
  indices: Tensor,
  where: string,
  codebookAxes: number,
  layout?: ChannelLayout,
): { flat: Tensor; restore(ops: Ops, codes: Tensor): Tensor } {
  const r = indices.shape.length - codebookAxes;
  if (r < 2 || r > 4) {
    throw new ShapeError(
      where,
      `indices [B, N], [B, H, W] or [B, T, H, W]${codebookAxes ? ' plus a trailing codebook axis' : ''}`,
      indices.shape,
    );
  }
  const lead = indices.shape.slice(0, r);
  const m = lead.reduce((a, b) => a * b, 1);
  const lay = layout ?? defaultLayout(r + 1);
  return {
    flat: ops.reshape(indices, [m, ...indices.shape.slice(r)]),
    restore(o: Ops, codes: Tensor): Tensor {
      const d = codes.shape[codes.shape.length - 1]!;
      const y = o.reshape(codes, [...lead, d]);
      return lay === 'channels-first' ? o.transpose(y, toFirstPerm(r + 1)) : y;
    },
  };
}

/** Mean of squared differences over all elements (F.mse_loss). */
export function mse(ops: Ops, a: Tensor, b: Tensor): Tensor {
  return ops.mean(ops.square(ops.sub(a, b)));
}

/** Row-wise x / max(|x|, eps) (F.normalize(p=2, dim=-1, eps)). */
export function l2normalize(ops: Ops, x: Tensor, eps: number): Tensor {
  const n = ops.sqrt(ops.sum(ops.square(x), -1, true));
  return ops.div(x, ops.maximum(n, eps));
}
