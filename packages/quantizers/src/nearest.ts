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
 * whole: by default blocks of ⌊2^22 / K⌋ rows (16 MB of float32 scores, which
 * stay in the last-level cache between the matmul that writes them and the
 * reduction that reads them). On onnxruntime at 16384 x 64 x 16384, 256-row
 * blocks measured 8-15% faster than 1024-4096-row blocks, and 64-128-row
 * blocks lose it again to per-node overhead. A frozen compile (codebook baked
 * as a constant) adds ~10-15%: onnxruntime then packs the matmul's codebook
 * operand once instead of once per block.
 * Why not int8 scores with an exact re-rank of the best candidates: with
 * 64-dim codes the block's time is mostly writing and reducing the score
 * matrix, not multiplying. Per 256-row block, onnxruntime's fused
 * MatMulIntegerToFloat + ReduceMin measured 3.2 ms against 3.6 ms in float32
 * (12%), before the re-rank and the fallback that exactness would need when
 * near-duplicate codes crowd the quantization error window. Scoring codes x
 * tokens (reducing the leading axis) measured the same as tokens x codes.
 * Where the rest goes: in onnxruntime's profile the MatMuls take ~70% of the
 * lookup and the ReduceMin pass ~22% (each 16 MB block read back from the
 * last-level cache at ~16 GB/s). Only a kernel that keeps a running argmin
 * beside the matmul tile avoids that pass, and onnxruntime has none: a scratch
 * C AVX-512 kernel doing so measured 0.16-0.20 s against 0.26-0.28 s here in
 * the same minutes (not shipped: native code is outside the two engines).
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
