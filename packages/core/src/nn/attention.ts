/**
 * Softmax attention over flattened spatial tokens: the VQGAN `AttnBlock`
 * (taming-transformers: GroupNorm, 1x1 convs q/k/v/proj_out, residual) with
 * an optional number of heads. Works for any number of spatial dims: an
 * image's H*W pixels or a video's T*H*W voxels are the tokens.
 */
import type { Ops, Tensor } from '../ops.js';
import { ShapeError } from '../tensor.js';
import type { Rng } from '../util/rng.js';
import { checkChannelsFirst } from './checks.js';
import { ConvNd } from './conv.js';
import { Block } from './layer.js';
import { GroupNorm } from './norm.js';

export interface AttentionMaskOptions {
  /**
   * Query i attends to keys j <= i only (autoregressive decoding, as
   * torch's `is_causal=True`: aligned at the top-left, Nq <= Nk). Default false.
   */
  causal?: boolean;
  /** bool [..., Nq, Nk] broadcastable to the logits; true = may attend. Default none. */
  mask?: Tensor;
}

/**
 * Masked-out logits get this instead of -inf: exp underflows to exactly 0 in
 * float32 after softmax's max shift, and a fully masked row stays finite
 * (uniform) rather than NaN, so no NaN can reach a gradient.
 */
const MASKED_LOGIT = -1e9;

/** bool [Nq, Nk]: true where key j <= query i (built in-graph from ranges, no N² constant). */
export function causalMask(ops: Ops, nq: number, nk: number = nq): Tensor {
  const rows = ops.reshape(ops.range(nq), [nq, 1]);
  const cols = ops.reshape(ops.range(nk), [1, nk]);
  return ops.lessEqual(cols, rows);
}

/**
 * softmax(q kᵀ / √d) v for q [..., Nq, d], k [..., Nk, d], v [..., Nk, dv].
 * `scale` overrides 1/√d; `masks` restricts which keys each query sees.
 */
export function scaledDotProductAttention(ops: Ops, q: Tensor, k: Tensor, v: Tensor, scale?: number, masks: AttentionMaskOptions = {}): Tensor {
  const d = q.shape[q.shape.length - 1]!;
  let logits = ops.mul(ops.matmul(q, k, false, true), scale ?? 1 / Math.sqrt(d));
  const nq = q.shape[q.shape.length - 2]!;
  const nk = k.shape[k.shape.length - 2]!;
  let allowed: Tensor | undefined = masks.mask;
  if (masks.causal) {
    if (nq > nk) throw new ShapeError('scaledDotProductAttention(causal)', `Nq <= Nk (keys [..., Nk=${nk}, d])`, q.shape);
    const c = causalMask(ops, nq, nk);
    allowed = allowed ? ops.logicalAnd(allowed, c) : c;
  }
  if (allowed) logits = ops.where(allowed, logits, MASKED_LOGIT);
  return ops.matmul(ops.softmax(logits, -1), v);
}

export interface SpatialAttentionOptions {
  /** Default 1 (taming's single-head AttnBlock). Must divide channels. */
  heads?: number;
  /** GroupNorm groups. Default 32 (taming `Normalize`), lowered to divide channels. */
  normGroups?: number;
  /** GroupNorm eps. Default 1e-6 (taming `Normalize`). */
  eps?: number;
  rng?: Rng;
}

/** Largest divisor of `channels` that is <= `wanted` (so tiny test models still get a valid GroupNorm). */
export function fitGroups(channels: number, wanted: number): number {
  for (let g = Math.min(wanted, channels); g > 1; g--) if (channels % g === 0) return g;
  return 1;
}

export class SpatialAttention extends Block {
  readonly norm: GroupNorm;
  readonly q: ConvNd;
  readonly k: ConvNd;
  readonly v: ConvNd;
  readonly proj_out: ConvNd;
  readonly heads: number;

  constructor(
    readonly channels: number,
    readonly spatialDims: 1 | 2 | 3,
    opts: SpatialAttentionOptions = {},
  ) {
    super();
    this.heads = opts.heads ?? 1;
    if (channels % this.heads) throw new RangeError(`SpatialAttention: heads (${this.heads}) must divide channels (${channels})`);
    this.norm = this.child('norm', new GroupNorm(fitGroups(channels, opts.normGroups ?? 32), channels, { eps: opts.eps ?? 1e-6 }));
    const conv1 = () => new ConvNd(spatialDims, channels, channels, 1, { rng: opts.rng });
    this.q = this.child('q', conv1());
    this.k = this.child('k', conv1());
    this.v = this.child('v', conv1());
    this.proj_out = this.child('proj_out', conv1());
  }

  forward(ops: Ops, x: Tensor): Tensor {
    checkChannelsFirst(`SpatialAttention(${this.channels})`, x, this.spatialDims, this.channels);
    const [b, c] = x.shape as [number, number];
    const tokens = x.shape.slice(2).reduce((a, n) => a * n, 1);
    const h = this.heads;
    const dh = c / h;
    const hn = this.norm.forward(ops, x);
    // [B, C, N] -> [B, heads, N, dh]
    const split = (t: Tensor) => ops.transpose(ops.reshape(t, [b, h, dh, tokens]), [0, 1, 3, 2]);
    const q = split(this.q.forward(ops, hn));
    const k = split(this.k.forward(ops, hn));
    const v = split(this.v.forward(ops, hn));
    const attended = scaledDotProductAttention(ops, q, k, v);
    const merged = ops.reshape(ops.transpose(attended, [0, 1, 3, 2]), x.shape);
    return ops.add(x, this.proj_out.forward(ops, merged));
  }
}
