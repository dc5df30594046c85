/**
 * Codebook health from the token indices a tokenizer emits over a dataset:
 * usage (fraction of the K codes that occur at least once) and perplexity
 * exp(H) with H = −Σ p_k ln p_k over the empirical code frequencies (the
 * VQ-VAE / vector-quantize-pytorch convention; K for uniform use, 1 for a
 * collapsed codebook).
 */
import { HostTensor } from '@zoo/core';
import type { MetricValue } from './layout.js';

export class CodebookRangeError extends Error {
  constructor(
    readonly index: number,
    readonly codebookSize: number,
  ) {
    super(`code index ${index} is outside the codebook [0, ${codebookSize})`);
    this.name = 'CodebookRangeError';
  }
}

/** Streaming code counts; feed index tensors of any shape (int32 or integral floats). */
export class CodebookStats {
  readonly counts: Float64Array;
  private total = 0;

  constructor(readonly codebookSize: number) {
    if (!Number.isInteger(codebookSize) || codebookSize < 1) {
      throw new RangeError(`codebook size must be a positive integer, got ${codebookSize}`);
    }
    this.counts = new Float64Array(codebookSize);
  }

  update(indices: HostTensor | ArrayLike<number>): void {
    const data: ArrayLike<number> = indices instanceof HostTensor ? indices.data : indices;
    for (let i = 0; i < data.length; i++) {
      const k = data[i]!;
      if (!Number.isInteger(k) || k < 0 || k >= this.codebookSize) throw new CodebookRangeError(k, this.codebookSize);
      this.counts[k]!++;
    }
    this.total += data.length;
  }

  get tokens(): number {
    return this.total;
  }

  /** Fraction of codes used at least once, in [0, 1]. */
  usage(): number {
    let used = 0;
    for (const c of this.counts) if (c > 0) used++;
    return used / this.codebookSize;
  }

  /** exp of the entropy (nats) of the code frequencies, in [1, K]. */
  perplexity(): number {
    if (this.total === 0) return Number.NaN;
    let h = 0;
    for (const c of this.counts) {
      if (c > 0) {
        const p = c / this.total;
        h -= p * Math.log(p);
      }
    }
    return Math.exp(h);
  }

  result(): { usage: MetricValue; perplexity: MetricValue } {
    if (this.total === 0) {
      const none = { available: false as const, reason: 'no tokens were counted' };
      return { usage: none, perplexity: none };
    }
    return { usage: { available: true, value: this.usage() }, perplexity: { available: true, value: this.perplexity() } };
  }

  reset(): void {
    this.counts.fill(0);
    this.total = 0;
  }
}

/** Usage of one batch of indices (see CodebookStats). */
export function codebookUsage(indices: HostTensor | ArrayLike<number>, codebookSize: number): number {
  const s = new CodebookStats(codebookSize);
  s.update(indices);
  return s.usage();
}

/** Perplexity of one batch of indices (see CodebookStats). */
export function codebookPerplexity(indices: HostTensor | ArrayLike<number>, codebookSize: number): number {
  const s = new CodebookStats(codebookSize);
  s.update(indices);
  return s.perplexity();
}
