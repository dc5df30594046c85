/**
 * In-graph exponential-moving-average codebook update (van den Oord et al.
 * 2017, appendix A.1; vector-quantize-pytorch's update order), scheduled with
 * `ops.assign` so the forward output still uses the codebook from before the
 * update:
 *   counts[k]    = number of tokens assigned to code k
 *   embed_sum[k] = sum of those tokens
 *   cluster_size = lerp(cluster_size, counts, 1 - decay)
 *   embed_avg    = lerp(embed_avg, embed_sum, 1 - decay)
 *   smoothed     = (cluster_size + eps) / (Σ cluster_size + K·eps) · Σ cluster_size   (Laplace)
 *   codebook     = embed_avg / smoothed   (then l2-normalised for cosine codebooks)
 */
import type { Ops, Tensor, Variable } from '@zoo/core';
import { l2normalize } from './layout.js';

export interface EmaState {
  embed: Variable; // [1, K, D]
  clusterSize: Variable; // [1, K]
  embedAvg: Variable; // [1, K, D]
}

/** torch.lerp's formula for weight < 0.5: a + w·(b − a). */
function lerp(ops: Ops, a: Tensor, b: Tensor, w: number): Tensor {
  return w < 0.5 ? ops.add(a, ops.mul(ops.sub(b, a), w)) : ops.sub(b, ops.mul(ops.sub(b, a), 1 - w));
}

export function emaCodebookUpdate(
  ops: Ops,
  state: EmaState,
  tokens: Tensor, // [M, D], already detached / transformed
  indices: Tensor, // [M] int32
  opts: { decay: number; eps: number; normalize: boolean },
): { counts: Tensor; embedSum: Tensor } {
  const [, k, d] = state.embed.shape as [number, number, number];
  const onehot = ops.oneHot(indices, k); // [M, K]
  const counts = ops.sum(onehot, 0); // [K]
  const embedSum = ops.matmul(onehot, tokens, true, false); // [K, D]
  // Python computes 1 - decay in float64 and torch rounds it to float32.
  const w = Math.fround(1 - opts.decay);
  const cs = lerp(ops, ops.reshape(ops.variable(state.clusterSize), [k]), counts, w);
  const ea = lerp(ops, ops.reshape(ops.variable(state.embedAvg), [k, d]), embedSum, w);
  const total = ops.sum(cs, 0, true); // [1]
  const smoothed = ops.mul(ops.div(ops.add(cs, opts.eps), ops.add(total, k * opts.eps)), total);
  let embed = ops.div(ea, ops.reshape(smoothed, [k, 1]));
  if (opts.normalize) embed = l2normalize(ops, embed, 1e-12);
  ops.assign(state.clusterSize, ops.reshape(cs, [1, k]));
  ops.assign(state.embedAvg, ops.reshape(ea, [1, k, d]));
  ops.assign(state.embed, ops.reshape(embed, [1, k, d]));
  return { counts, embedSum };
}
