/**
 * Sequence attention and the pre-LN transformer block over [B, N, dim]
 * tokens (GPT-2 / minGPT / VideoGPT's prior: x + attn(LN(x)), then
 * x + MLP(LN(x))). `causal` makes token i see tokens <= i only.
 */
import type { Ops, Tensor } from '../ops.js';
import { ShapeError } from '../tensor.js';
import type { Rng } from '../util/rng.js';
import { gelu } from './activations.js';
import { scaledDotProductAttention } from './attention.js';
import { Block } from './layer.js';
import { Linear } from './linear.js';
import { LayerNorm } from './norm.js';

export interface SelfAttentionOptions {
  /** Attention heads; must divide dim. Default 1. */
  heads?: number;
  /** Token i attends to tokens <= i only. Default false. */
  causal?: boolean;
  rng?: Rng;
}

/** Multi-head self-attention with separate q/k/v Linear projections and an output projection `proj`. */
export class SelfAttention extends Block {
  readonly q: Linear;
  readonly k: Linear;
  readonly v: Linear;
  readonly proj: Linear;
  readonly heads: number;
  readonly causal: boolean;

  constructor(
    readonly dim: number,
    opts: SelfAttentionOptions = {},
  ) {
    super();
    this.heads = opts.heads ?? 1;
    this.causal = opts.causal ?? false;
    if (!Number.isInteger(this.heads) || this.heads < 1 || dim % this.heads) {
      throw new RangeError(`SelfAttention: heads (${this.heads}) must be a positive divisor of dim (${dim})`);
    }
    const lin = () => new Linear(dim, dim, { rng: opts.rng });
    this.q = this.child('q', lin());
    this.k = this.child('k', lin());
    this.v = this.child('v', lin());
    this.proj = this.child('proj', lin());
  }

  forward(ops: Ops, x: Tensor): Tensor {
    if (x.shape.length !== 3 || x.shape[2] !== this.dim) throw new ShapeError(`SelfAttention(${this.dim})`, `[B, N, ${this.dim}]`, x.shape);
    const [b, n] = x.shape as [number, number];
    const h = this.heads;
    const dh = this.dim / h;
    // [B, N, dim] -> [B, heads, N, dh]
    const split = (t: Tensor) => ops.transpose(ops.reshape(t, [b, n, h, dh]), [0, 2, 1, 3]);
    const att = scaledDotProductAttention(ops, split(this.q.forward(ops, x)), split(this.k.forward(ops, x)), split(this.v.forward(ops, x)), undefined, {
      causal: this.causal,
    });
    return this.proj.forward(ops, ops.reshape(ops.transpose(att, [0, 2, 1, 3]), [b, n, this.dim]));
  }
}

export interface TransformerBlockOptions extends SelfAttentionOptions {
  /** MLP hidden width = mlpRatio * dim. Default 4 (GPT-2, VideoGPT). */
  mlpRatio?: number;
  /** LayerNorm eps. Default 1e-5 (torch.nn.LayerNorm). */
  eps?: number;
}

/** Pre-LN block: x + attn(ln1(x)), then x + fc2(gelu(fc1(ln2(x)))). No dropout (deterministic on both engines). */
export class TransformerBlock extends Block {
  readonly ln1: LayerNorm;
  readonly attn: SelfAttention;
  readonly ln2: LayerNorm;
  readonly fc1: Linear;
  readonly fc2: Linear;

  constructor(
    readonly dim: number,
    opts: TransformerBlockOptions = {},
  ) {
    super();
    const hidden = Math.round(dim * (opts.mlpRatio ?? 4));
    this.ln1 = this.child('ln1', new LayerNorm(dim, { eps: opts.eps ?? 1e-5 }));
    this.attn = this.child('attn', new SelfAttention(dim, opts));
    this.ln2 = this.child('ln2', new LayerNorm(dim, { eps: opts.eps ?? 1e-5 }));
    this.fc1 = this.child('fc1', new Linear(dim, hidden, { rng: opts.rng }));
    this.fc2 = this.child('fc2', new Linear(hidden, dim, { rng: opts.rng }));
  }

  forward(ops: Ops, x: Tensor): Tensor {
    const y = ops.add(x, this.attn.forward(ops, this.ln1.forward(ops, x)));
    return ops.add(y, this.fc2.forward(ops, gelu(ops, this.fc1.forward(ops, this.ln2.forward(ops, y)))));
  }
}
