/**
 * Running codebook statistics, fed on the host with the index arrays that
 * `forward` returns: how many codes are in use and the perplexity of the
 * code distribution (exp of its entropy in nats; equal to the codebook size
 * for uniform use, 1 when a single code is used).
 */
import type { HostTensor } from '@zoo/core';

export class CodebookUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CodebookUsageError';
  }
}

export interface UsageSummary {
  /** Tokens counted so far. */
  tokens: number;
  /** Codes seen at least once. */
  usedCodes: number;
  /** usedCodes / codebookSize. */
  usage: number;
  /** exp(-Σ p log p) over the counted histogram. */
  perplexity: number;
}

export class CodebookUsage {
  /** Histogram of code indices; float64 so long runs do not saturate. */
  readonly counts: Float64Array;
  private total = 0;

  constructor(readonly codebookSize: number) {
    if (!Number.isInteger(codebookSize) || codebookSize < 1) {
      throw new CodebookUsageError(`codebookSize must be a positive integer, got ${codebookSize}`);
    }
    this.counts = new Float64Array(codebookSize);
  }

  /**
   * Adds index arrays. Negative indices (residual layers dropped by quantize
   * dropout) are skipped; an index >= codebookSize is an error.
   */
  update(indices: HostTensor | ArrayLike<number>): this {
    const data = 'data' in indices && 'shape' in indices ? (indices as HostTensor).data : (indices as ArrayLike<number>);
    for (let i = 0; i < data.length; i++) {
      const k = data[i]!;
      if (k < 0) continue;
      if (k >= this.codebookSize || !Number.isInteger(k)) {
        throw new CodebookUsageError(`index ${k} is not a code of a codebook of size ${this.codebookSize} (valid: 0..${this.codebookSize - 1})`);
      }
      this.counts[k]! += 1;
      this.total += 1;
    }
    return this;
  }

  reset(): void {
    this.counts.fill(0);
    this.total = 0;
  }

  summary(): UsageSummary {
    let used = 0;
    let h = 0;
    for (const c of this.counts) {
      if (c === 0) continue;
      used += 1;
      const p = c / this.total;
      h -= p * Math.log(p);
    }
    return {
      tokens: this.total,
      usedCodes: used,
      usage: used / this.codebookSize,
      perplexity: this.total === 0 ? 0 : Math.exp(h),
    };
  }
}
