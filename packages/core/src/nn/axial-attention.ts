/**
 * Multi-head attention along one axis of a channels-last grid: VideoGPT's
 * `MultiHeadAttention(attn_type='axial')` (wilson1yan/VideoGPT
 * videogpt/attention.py), keys `w_qs`, `w_ks`, `w_vs` (no bias) and `fc`.
 * x [B, ...grid, C] -> [B, ...grid, C]; every line of the grid along `axis`
 * is one attention sequence, with softmax(q kᵀ / √(C/heads)) per head.
 * No residual and no norm here: VideoGPT's AxialBlock sums three of these.
 */
import { ShapeError } from '../tensor.js';
import type { Ops, Tensor } from '../ops.js';
import type { Rng } from '../util/rng.js';
import { scaledDotProductAttention } from './attention.js';
import { Block } from './layer.js';
import { Linear } from './linear.js';

export interface AxialAttentionOptions {
  /** Default 2 (VideoGPT's AxialBlock). Must divide channels. */
  heads?: number;
  rng?: Rng;
}

export class AxialAttention extends Block {
  readonly w_qs: Linear;
  readonly w_ks: Linear;
  readonly w_vs: Linear;
  readonly fc: Linear;
  readonly heads: number;

  /** `axis`: the grid axis attended along, counted in x's dims (1 = the first grid axis). */
  constructor(
    readonly channels: number,
    readonly axis: number,
    opts: AxialAttentionOptions = {},
  ) {
    super();
    this.heads = opts.heads ?? 2;
    if (channels % this.heads) throw new RangeError(`AxialAttention: heads (${this.heads}) must divide channels (${channels})`);
    const lin = (bias: boolean) => new Linear(channels, channels, { bias, rng: opts.rng });
    this.w_qs = this.child('w_qs', lin(false));
    this.w_ks = this.child('w_ks', lin(false));
    this.w_vs = this.child('w_vs', lin(false));
    this.fc = this.child('fc', lin(true));
  }

  forward(ops: Ops, x: Tensor): Tensor {
    const rank = x.shape.length;
    const where = `AxialAttention(${this.channels}, axis ${this.axis})`;
    if (rank < 3 || rank > 5 || x.shape[rank - 1] !== this.channels || this.axis < 1 || this.axis > rank - 2) {
      throw new ShapeError(where, `[B, ...1-3 grid dims (axis ${this.axis} among them), C=${this.channels}]`, x.shape);
    }
    const h = this.heads;
    const dk = this.channels / h;
    const grid = x.shape.slice(1, -1);
    const b = x.shape[0]!;
    const len = x.shape[this.axis]!;
    // [B, ...grid, heads, dk] -> [B, heads, ...other grid dims, len, dk]
    const others = grid.map((_, i) => i + 1).filter((d) => d !== this.axis);
    const perm = [0, rank - 1, ...others, this.axis, rank];
    const inverse = perm.map((_, i) => perm.indexOf(i));
    const rows = b * h * others.reduce((n, d) => n * x.shape[d]!, 1);
    const split = (t: Tensor) => ops.reshape(ops.transpose(ops.reshape(t, [b, ...grid, h, dk]), perm), [rows, len, dk]);
    const q = split(this.w_qs.forward(ops, x));
    const k = split(this.w_ks.forward(ops, x));
    const v = split(this.w_vs.forward(ops, x));
    const a = scaledDotProductAttention(ops, q, k, v);
    const permuted = [b, h, ...others.map((d) => x.shape[d]!), len, dk];
    const back = ops.transpose(ops.reshape(a, permuted), inverse);
    return this.fc.forward(ops, ops.reshape(back, [b, ...grid, this.channels]));
  }
}
