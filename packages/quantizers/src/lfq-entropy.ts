/**
 * The LFQ entropy penalty (MAGVIT-v2, Yu et al. 2023, eq. 5): make each
 * token's code distribution confident (low per-sample entropy) while the
 * batch uses the whole codebook (high entropy of the mean distribution).
 * A token's distribution over the 2^d codes c ∈ {±s}^d is
 * softmax(2·τ⁻¹·x·c) (= softmax(−τ⁻¹·|x − c|²) up to a per-token constant).
 *
 * Memory: the exact form needs [tokens, 2^d] probabilities, which is 4 GB for
 * 4096 tokens at d = 18. `factorizedBits` splits the d bits into groups
 * (Open-MAGVIT2's [9, 9] for 2^18) and sums the groups' entropies. Because
 * the softmax over a product codebook is a product of per-group softmaxes,
 * the per-sample entropy is unchanged by the split (up to the 1e-5 clamp);
 * the codebook entropy becomes the sum of the groups' marginal entropies, an
 * upper bound of the joint one that is maximised by the same uniform usage.
 */
import type { Ops, Tensor } from '@zoo/core';

/** Rows of {±scale}^bits in index order; bit i of row k is MSB-first or LSB-first. */
export function implicitCodebook(bits: number, scale: number, msbFirst: boolean): Float32Array {
  const n = 2 ** bits;
  const out = new Float32Array(n * bits);
  for (let k = 0; k < n; k++) {
    for (let i = 0; i < bits; i++) {
      const shift = msbFirst ? bits - 1 - i : i;
      out[k * bits + i] = Math.floor(k / 2 ** shift) % 2 === 1 ? scale : -scale;
    }
  }
  return out;
}

/**
 * x·cᵀ ([R, b] · [K, b]ᵀ) accumulated one bit at a time in float32, the order
 * torch's CPU matmul uses for these short rows. A matmul that accumulates in
 * higher precision moves near-saturated logits (200·x·c) by ~1e-4 and the
 * per-sample entropy by ~4e-5 relative; b elementwise passes over [R, K]
 * cost little next to the softmax over the same [R, K].
 */
function sequentialDot(ops: Ops, x: Tensor, codes: Tensor): Tensor {
  const b = x.shape[1]!;
  const k = codes.shape[0]!;
  let acc: Tensor | undefined;
  for (let i = 0; i < b; i++) {
    const term = ops.mul(ops.slice(x, [i], [i + 1], [1]), ops.reshape(ops.slice(codes, [i], [i + 1], [1]), [1, k]));
    acc = acc ? ops.add(acc, term) : term;
  }
  return acc!;
}

/**
 * softmax as torch's CPU kernel evaluates it, exp(l − max) · (1 / Σ): near
 * one-hot rows make the entropy ill-conditioned in float32 (log p for p ≈ 1),
 * so the rounding order matters for parity. The max is a constant shift
 * (softmax is shift-invariant), hence detached.
 */
export function softmaxLastAxis(ops: Ops, logits: Tensor): Tensor {
  const e = ops.exp(ops.sub(logits, ops.stopGradient(ops.max(logits, -1, true))));
  return ops.mul(e, ops.div(1, ops.sum(e, -1, true)));
}

/** Σ −p·log(max(p, 1e-5)) over the last axis (the reference's clamp inside the log only). */
export function entropy(ops: Ops, p: Tensor): Tensor {
  return ops.sum(ops.neg(ops.mul(p, ops.log(ops.maximum(p, 1e-5)))), -1);
}

export interface LfqEntropy {
  perSample: Tensor;
  codebook: Tensor;
}

/**
 * x: [M, C, d] pre-quantization values (attached: this is where the entropy
 * gradient flows). Returns per-sample entropy (mean over tokens and codebooks)
 * and codebook entropy (entropy of the token-mean distribution, mean over
 * codebooks), each summed over bit groups.
 */
export function lfqEntropy(
  ops: Ops,
  x: Tensor,
  opts: {
    groups: readonly number[];
    scale: number;
    invTemperature: number;
    msbFirst: boolean;
    sequentialDot?: boolean;
    /** Fraction of tokens the entropies are estimated on (1 = all); see `sampleTokens`. */
    tokenFraction?: number;
    /** Seed of this call's token sample. */
    seed?: number;
  },
): LfqEntropy {
  if (opts.tokenFraction !== undefined && opts.tokenFraction < 1) x = sampleTokens(ops, x, opts.tokenFraction, opts.seed ?? 0);
  const [m, c] = x.shape as [number, number, number];
  let perSample: Tensor | undefined;
  let codebook: Tensor | undefined;
  let start = 0;
  for (const bits of opts.groups) {
    const xg = opts.groups.length === 1 ? x : ops.slice(x, [start], [start + bits], [2]);
    start += bits;
    const codes = ops.constant(implicitCodebook(bits, opts.scale, opts.msbFirst), [2 ** bits, bits]);
    // (2·x·c)·τ⁻¹ in the reference's order of float operations.
    const rows = ops.reshape(xg, [m * c, bits]);
    const dot = opts.sequentialDot === false ? ops.matmul(rows, codes, false, true) : sequentialDot(ops, rows, codes);
    const logits = ops.mul(ops.mul(dot, 2), opts.invTemperature);
    const prob = ops.reshape(softmaxLastAxis(ops, logits), [m, c, 2 ** bits]);
    const ps = ops.mean(entropy(ops, prob));
    const cb = ops.mean(entropy(ops, ops.mean(prob, 0)));
    perSample = perSample ? ops.add(perSample, ps) : ps;
    codebook = codebook ? ops.add(codebook, cb) : cb;
  }
  return { perSample: perSample!, codebook: codebook! };
}

/**
 * Memory bound by token subsampling (vector-quantize-pytorch's
 * frac_per_sample_entropy): both entropies are estimated on n = ⌊M·frac⌋ rows
 * chosen before the logits exist. The reference draws a uniform random
 * subset; here it is a stratified one (row ⌊(i + u_i)·M/n⌋ for u_i ~ U[0, 1)),
 * drawn in-graph so a compiled step samples afresh each run.
 */
export function sampleTokens(ops: Ops, x: Tensor, frac: number, seed: number): Tensor {
  const m = x.shape[0]!;
  const n = Math.max(1, Math.floor(m * frac));
  if (n >= m) return x;
  const u = ops.randomUniform([n], seed);
  const pos = ops.mul(ops.add(ops.cast(ops.range(n), 'float32'), u), m / n);
  const rows = ops.cast(ops.minimum(ops.floor(pos), m - 1), 'int32');
  return ops.gather(x, rows, 0);
}
