/**
 * The API every quantizer shares: `forward(ops, z, opts?)` returns the
 * quantized tensor (same shape and layout as `z`), integer code indices, a
 * scalar auxiliary loss to add to the training objective, and the loss's
 * unweighted parts for logging.
 */
import type { HostTensor, Module, Ops, Tensor } from '@zoo/core';

/**
 * Where the channel (feature) axis of the input sits.
 * - 'channels-last': [B, N, D] tokens, [B, H, W, C] images, [B, T, H, W, C] video.
 * - 'channels-first': [B, D, N], [B, C, H, W], [B, C, T, H, W] (what the
 *   channels-first convolutions in `Ops` produce).
 * Default (as vector-quantize-pytorch / LFQ / FSQ decide it): rank-3 inputs are
 * channels-last tokens, rank-4 and rank-5 inputs are channels-first.
 */
export type ChannelLayout = 'channels-last' | 'channels-first';

export interface QuantizeOptions {
  layout?: ChannelLayout;
}

export interface QuantizerOutput {
  /** Same shape and layout as the input. */
  quantized: Tensor;
  /**
   * int32 code indices: the input shape without the channel axis
   * ([B, N], [B, H, W], [B, T, H, W]), plus a trailing codebook axis when a
   * quantizer has several codebooks (LFQ num_codebooks > 1, residual layers).
   */
  indices: Tensor;
  /** Scalar auxiliary loss (0 in eval mode). */
  loss: Tensor;
  /** Unweighted loss terms and diagnostics, each a tensor (scalars unless stated). */
  breakdown: Record<string, Tensor>;
}

export interface Quantizer extends Module {
  /** Dimension of the input feature axis. */
  readonly dim: number;
  /** Number of distinct codes per codebook. */
  readonly codebookSize: number;
  forward(ops: Ops, z: Tensor, opts?: QuantizeOptions): QuantizerOutput;
  /**
   * Codes (after any output projection) for int32 indices shaped as `forward`
   * returns them; the result has the layout given (default: channels-last for
   * rank-2 index arrays [B, N], channels-first for image/video index arrays).
   */
  indicesToCodes(ops: Ops, indices: Tensor, opts?: QuantizeOptions): Tensor;
  /** How many codes one token carries, for rate (bits per token) and index-shape bookkeeping. */
  rate(): QuantizerRate;
}

/**
 * The rate of a quantizer: the codebook size behind each index a token gets.
 * `indexAxis` says whether `forward`'s indices carry a trailing axis of
 * `codebookSizes.length` entries (several codebooks, residual layers, groups)
 * or none (one code per token).
 */
export interface QuantizerRate {
  codebookSizes: number[];
  indexAxis: boolean;
  /** Σ log2(codebook size): bits per token. */
  bitsPerToken: number;
}

/** `QuantizerRate` from the per-index codebook sizes. */
export function quantizerRate(codebookSizes: readonly number[], indexAxis: boolean): QuantizerRate {
  return { codebookSizes: [...codebookSizes], indexAxis, bitsPerToken: codebookSizes.reduce((b, k) => b + Math.log2(k), 0) };
}

/**
 * A quantizer as a training loop drives it: the forward contract plus the
 * host-side hooks some kinds have (VQ codebooks: k-means init from the first
 * batch, dead-code restarts between steps).
 */
export interface TrainableQuantizer extends Quantizer {
  kmeansInit?(batch: HostTensor, opts?: { layout?: ChannelLayout; force?: boolean }): void;
  restartDeadCodes?(batch: HostTensor, opts?: { layout?: ChannelLayout; seed?: number }): number[];
  /**
   * Called by a training loop before training step `step` (0-based): sets
   * per-step state kept in buffers, e.g. the Gumbel temperature of a
   * schedule or a fresh quantize-dropout mask, so one compiled step follows it.
   */
  beforeStep?(step: number): void;
}

/** A bad constructor argument (what was wrong, and what is valid). */
export class QuantizerConfigError extends Error {
  constructor(quantizer: string, message: string) {
    super(`${quantizer}: ${message}`);
    this.name = 'QuantizerConfigError';
  }
}

/** The quantizer is in a state where this call cannot run (e.g. k-means init pending). */
export class QuantizerStateError extends Error {
  constructor(quantizer: string, message: string) {
    super(`${quantizer}: ${message}`);
    this.name = 'QuantizerStateError';
  }
}
