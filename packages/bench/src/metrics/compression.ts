/**
 * Rate numbers of a tokenizer, from its token grid and codebook sizes (no
 * entropy coding assumed: every token costs log2 K bits, the convention of
 * the MAGVIT-v2 and Open-MAGVIT2 comparisons).
 */

export interface TokenizerRate {
  /** Token grid per clip, e.g. [5, 16, 16] for a 17x128x128 clip at 4x8x8 (one entry per codebook axis excluded). */
  tokenShape: readonly number[];
  /** Codebook size per token; several entries for multiple codebooks / residual levels per position. */
  codebookSizes: readonly number[];
  /** Clip shape in pixels [T, H, W] (channels are RGB, 3 x 8 bits). */
  clipShape: readonly [number, number, number];
}

/** Token positions per clip (product of the token grid). */
export function tokensPerClip(tokenShape: readonly number[]): number {
  return tokenShape.reduce((a, b) => a * b, 1);
}

/** Bits per token position: Σ log2 K over the codebooks used at each position. */
export function bitsPerToken(codebookSizes: readonly number[]): number {
  if (codebookSizes.length === 0 || codebookSizes.some((k) => !(k >= 1))) {
    throw new RangeError(`codebook sizes must be >= 1, got [${codebookSizes.join(', ')}]`);
  }
  return codebookSizes.reduce((s, k) => s + Math.log2(k), 0);
}

/** Bits of the token stream per pixel (per T·H·W location, not per channel). */
export function bitsPerPixel(rate: TokenizerRate): number {
  const [t, h, w] = rate.clipShape;
  return (tokensPerClip(rate.tokenShape) * bitsPerToken(rate.codebookSizes)) / (t * h * w);
}

/** Raw 24-bit RGB size over token-stream size: 24 / bits per pixel. */
export function compressionRatio(rate: TokenizerRate): number {
  return 24 / bitsPerPixel(rate);
}
