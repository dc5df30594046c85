/**
 * Host-side (plain TypeScript, concrete arrays) codebook maintenance that is
 * data-dependent and rare, so it runs between training steps rather than in a
 * traced graph: k-means initialisation from a batch, sampling encoder outputs
 * for dead-code restarts, and flattening a HostTensor to token rows.
 */
import { HostTensor, ShapeError, type Rng } from '@zoo/core';
import type { ChannelLayout } from '../types.js';
import { defaultLayout } from '../layout.js';

/** Token rows of a host batch: data is [M, D] row-major. */
export interface HostTokens {
  data: Float32Array;
  count: number;
  dim: number;
}

/** Flattens [B, N, D] / images / video (either layout) to [M, D] rows. */
export function hostTokens(batch: HostTensor, where: string, layout?: ChannelLayout): HostTokens {
  const shape = batch.shape;
  const rank = shape.length;
  if (rank === 2) return { data: Float32Array.from(batch.data), count: shape[0]!, dim: shape[1]! };
  if (rank < 3 || rank > 5) throw new ShapeError(where, '[M, D], [B, N, D], images or video', shape);
  const src = Float32Array.from(batch.data);
  const lay = layout ?? defaultLayout(rank);
  if (lay === 'channels-last') {
    const dim = shape[rank - 1]!;
    return { data: src, count: src.length / dim, dim };
  }
  const b = shape[0]!;
  const c = shape[1]!;
  const inner = src.length / (b * c);
  const out = new Float32Array(src.length);
  for (let i = 0; i < b; i++) {
    for (let ch = 0; ch < c; ch++) {
      const base = (i * c + ch) * inner;
      for (let p = 0; p < inner; p++) out[(i * inner + p) * c + ch] = src[base + p]!;
    }
  }
  return { data: out, count: b * inner, dim: c };
}

/** Row-wise l2 normalisation in place (eps as F.normalize's 1e-12 or the input transform's 1e-6). */
export function normalizeRows(data: Float32Array, dim: number, eps = 1e-12): Float32Array {
  for (let r = 0; r < data.length / dim; r++) {
    let s = 0;
    for (let j = 0; j < dim; j++) s += data[r * dim + j]! ** 2;
    const n = Math.max(Math.sqrt(s), eps);
    for (let j = 0; j < dim; j++) data[r * dim + j]! /= n;
  }
  return data;
}

/**
 * `num` rows drawn from the tokens: without replacement when there are
 * enough, with replacement otherwise (the reference's sample_vectors).
 */
export function sampleRows(tokens: HostTokens, num: number, rng: Rng): Float32Array {
  const { data, count, dim } = tokens;
  const out = new Float32Array(num * dim);
  let picks: number[];
  if (count >= num) {
    picks = rng.shuffle(Array.from({ length: count }, (_, i) => i)).slice(0, num);
  } else {
    picks = Array.from({ length: num }, () => rng.int(count));
  }
  picks.forEach((p, i) => out.set(data.subarray(p * dim, (p + 1) * dim), i * dim));
  return out;
}

export interface KMeansResult {
  /** [K, D] cluster centres. */
  means: Float32Array;
  /** [K] points assigned to each centre in the last iteration. */
  counts: Float32Array;
}

/**
 * Lloyd's k-means as vector-quantize-pytorch runs it for codebook init:
 * centres start as K sampled tokens; each iteration assigns every token to
 * its nearest centre (largest dot product when `cosine`) and moves each
 * non-empty centre to its members' mean (re-normalised when `cosine`);
 * empty clusters keep their centre. `counts` are those of the last
 * assignment.
 */
export function kmeans(tokens: HostTokens, k: number, iters: number, rng: Rng, cosine = false): KMeansResult {
  const { data, count, dim } = tokens;
  const means = sampleRows(tokens, k, rng);
  const counts = new Float32Array(k);
  const sums = new Float64Array(k * dim);
  const assign = new Int32Array(count);
  const norms = new Float64Array(k);
  for (let it = 0; it < iters; it++) {
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let j = 0; j < dim; j++) s += means[c * dim + j]! ** 2;
      norms[c] = s;
    }
    for (let i = 0; i < count; i++) {
      let best = -1;
      let bestScore = Infinity;
      for (let c = 0; c < k; c++) {
        let dot = 0;
        for (let j = 0; j < dim; j++) dot += data[i * dim + j]! * means[c * dim + j]!;
        // Squared euclidean distance minus the row's own |x|^2 (same argmin).
        const score = cosine ? -dot : norms[c]! - 2 * dot;
        if (score < bestScore) {
          bestScore = score;
          best = c;
        }
      }
      assign[i] = best;
    }
    counts.fill(0);
    sums.fill(0);
    for (let i = 0; i < count; i++) {
      const c = assign[i]!;
      counts[c]! += 1;
      for (let j = 0; j < dim; j++) sums[c * dim + j]! += data[i * dim + j]!;
    }
    for (let c = 0; c < k; c++) {
      if (counts[c] === 0) continue;
      for (let j = 0; j < dim; j++) means[c * dim + j] = sums[c * dim + j]! / counts[c]!;
    }
    if (cosine) {
      const moved = new Float32Array(dim);
      for (let c = 0; c < k; c++) {
        if (counts[c] === 0) continue;
        moved.set(means.subarray(c * dim, (c + 1) * dim));
        means.set(normalizeRows(moved, dim), c * dim);
      }
    }
  }
  return { means, counts };
}

export function toHost(data: Float32Array, shape: readonly number[]): HostTensor<'float32'> {
  return new HostTensor(shape, data, 'float32');
}
