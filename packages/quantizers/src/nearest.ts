/**
 * Nearest-code search for VQ layers, as matmuls.
 * - Euclidean: argmin_k |x|² + |c_k|² − 2 x·c_k. When distances are requested
 *   they are computed in exactly that form and returned as the reference's
 *   sqrt(max(d², 1e-8)). For indices alone, |x|² (constant per row) is dropped
 *   and |c|² is folded into the matmul: [x, 1] · [−2c, |c|²]ᵀ, one matmul and
 *   one argmin per block. The argmin can differ from the full form only for
 *   near-ties at float32 rounding level (~1e-7 relative).
 * - Cosine: argmax_k x·c_k.
 * Rows are processed in blocks so the [tokens, K] score matrix never exists
 * whole: by default blocks of ⌊2^22 / K⌋ rows (16 MB of float32 scores, sized
 * to stay in the last-level cache between the matmul that writes them and the
 * reduction that reads them). Why this block size, why not int8 scoring, and
 * where the time goes: docs/benchmarks.md (VQ nearest-code search entry).
 */
import type { Ops, Tensor } from '@zoo/core';

export interface NearestOptions {
  cosine: boolean;
  /** Also return the full [M, K] distance (euclidean) or similarity (cosine) matrix. */
  returnScores?: boolean;
  /** Rows per block; default ⌊2^22 / K⌋. */
  chunkSize?: number;
}

export interface NearestResult {
  /** int32 [M]. */
  indices: Tensor;
  /** [M, K] when requested. */
  scores?: Tensor;
}

export const DEFAULT_SCORE_BLOCK = 2 ** 22;

/** x [M, D] and codes [K, D], both already detached. */
export function nearestCodes(ops: Ops, x: Tensor, codes: Tensor, opts: NearestOptions): NearestResult {
  const m = x.shape[0]!;
  const k = codes.shape[0]!;
  if (opts.returnScores) {
    if (opts.cosine) {
      const sim = ops.matmul(x, codes, false, true);
      return { indices: ops.argmax(sim, 1), scores: sim };
    }
    const x2 = ops.sum(ops.square(x), 1, true); // [M, 1]
    const c2 = ops.reshape(ops.sum(ops.square(codes), 1), [1, k]);
    const d2 = ops.sub(ops.add(x2, c2), ops.mul(ops.matmul(x, codes, false, true), 2));
    return { indices: ops.argmin(d2, 1), scores: ops.sqrt(ops.maximum(d2, 1e-8)) };
  }
  const block = Math.max(1, opts.chunkSize ?? Math.floor(DEFAULT_SCORE_BLOCK / k));
  let rhsT: Tensor; // [D or D + 1, K], transposed once rather than per block
  let lhs: Tensor; // [M, D or D + 1]
  if (opts.cosine) {
    rhsT = ops.transpose(codes, [1, 0]);
    lhs = x;
  } else {
    const c2 = ops.sum(ops.square(codes), 1, true); // [K, 1]
    rhsT = ops.transpose(ops.concat([ops.mul(codes, -2), c2], 1), [1, 0]);
    lhs = ops.concat([x, ops.ones([m, 1])], 1);
  }
  const pick = (s: Tensor) => bestIndex(ops, s, opts.cosine);
  if (m <= block) return { indices: pick(ops.matmul(lhs, rhsT)) };
  const parts: Tensor[] = [];
  for (let start = 0; start < m; start += block) {
    parts.push(pick(ops.matmul(ops.slice(lhs, [start], [Math.min(start + block, m)], [0]), rhsT)));
  }
  return { indices: ops.concat(parts, 0) };
}

/** Group width of the two-level arg-reduction: the largest of these dividing K. */
const GROUP_WIDTHS = [64, 32, 16, 8];

/**
 * Row-wise argmin (argmax when `largest`) of scores [R, K] in two levels:
 * min over groups of G adjacent codes ([R, K/G, G] -> [R, K/G]), arg over the
 * group minima, then arg within the winning group (its G scores gathered from
 * the same tensor, so the values compared are identical). Same result as one
 * argmin, ties included (first group holding the extreme, first position in
 * it), but onnxruntime's ArgMin/ArgMax over [R, K] is several times slower
 * than a ReduceMin pass plus an ArgMin over K/G.
 */
export function bestIndex(ops: Ops, scores: Tensor, largest: boolean): Tensor {
  const [r, k] = scores.shape as [number, number];
  const g = GROUP_WIDTHS.find((w) => k % w === 0 && k >= 4 * w);
  const arg = (t: Tensor) => (largest ? ops.argmax(t, 1) : ops.argmin(t, 1));
  if (g === undefined) return arg(scores);
  const groups = k / g;
  const grouped = ops.reshape(scores, [r, groups, g]);
  const extreme = largest ? ops.max(grouped, 2) : ops.min(grouped, 2); // [R, K/G]
  const gi = arg(extreme); // [R]
  const int = (v: number) => ops.constant(v, [], 'int32');
  const rowBase = ops.mul(ops.range(r), int(groups));
  const within = ops.gather(ops.reshape(scores, [r * groups, g]), ops.add(rowBase, gi), 0); // [R, G]
  return ops.add(ops.mul(gi, int(g)), arg(within));
}
