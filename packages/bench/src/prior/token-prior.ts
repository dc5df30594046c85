/**
 * A small autoregressive token prior (VideoGPT-style GPT): the token grid
 * [B, ...grid] (t*h*w, plus a trailing level axis for multi-codebook tokens)
 * is flattened in row-major order, embedded, shifted right behind a learned
 * start-of-sequence vector, given position embeddings of the position being
 * predicted, run through causal pre-LN transformer blocks, and mapped to
 * logits over the vocabulary. Its cross-entropy on held-out clips, in bits,
 * is the code length of the tokens under the prior: how hard a tokenizer's
 * tokens are to model.
 */
import {
  Embedding, HostTensor, LayerNorm, Linear, Module, Rng, ShapeError, TransformerBlock,
  type Ops, type Tensor, type Variable,
} from '@zoo/core';
import type { PriorConfig } from './config.js';

export class TokenPrior extends Module {
  readonly tokens: Embedding;
  /** One table per grid axis ('factorized') or one over all positions ('learned'). */
  readonly pos: Embedding[];
  readonly sos: Variable;
  readonly blocks: TransformerBlock[];
  readonly ln_f: LayerNorm;
  readonly head: Linear;
  /** Flattened sequence length. */
  readonly length: number;

  constructor(
    /** Vocabulary size (codebook size; the largest, for several codebooks). */
    readonly vocab: number,
    /** Token grid per clip, without batch, e.g. [t, h, w] or [t, h, w, levels]. */
    readonly grid: readonly number[],
    readonly config: PriorConfig,
    seed = 0,
  ) {
    super();
    if (!Number.isInteger(vocab) || vocab < 2) throw new RangeError(`TokenPrior: vocab must be an integer >= 2, got ${vocab}`);
    if (grid.length === 0 || grid.some((d) => !Number.isInteger(d) || d < 1)) throw new RangeError(`TokenPrior: grid must be positive integers, got [${grid.join(', ')}]`);
    const rng = new Rng(seed);
    const { dim, initStd } = config;
    this.length = grid.reduce((a, b) => a * b, 1);
    this.tokens = this.child('tokens', new Embedding(vocab, dim, { initStd, rng }));
    const tables = config.position === 'factorized' ? grid : [this.length];
    this.pos = this.children('pos', tables.map((n) => new Embedding(n, dim, { initStd, rng })));
    const sos = new Float32Array(dim);
    rng.fillNormal(sos, 0, initStd);
    this.sos = this.param('sos', new HostTensor([dim], sos, 'float32'));
    this.blocks = this.children(
      'blocks',
      Array.from({ length: config.layers }, () => new TransformerBlock(dim, { heads: config.heads, mlpRatio: config.mlpRatio, causal: true, rng })),
    );
    this.ln_f = this.child('ln_f', new LayerNorm(dim));
    this.head = this.child('head', new Linear(dim, vocab, { rng }));
  }

  /** [length, dim]: the embedding of each flattened position. */
  private positions(ops: Ops): Tensor {
    const { dim } = this.config;
    if (this.config.position === 'learned') return ops.variable(this.pos[0]!.weight);
    let sum: Tensor | undefined;
    this.grid.forEach((n, a) => {
      const shape = this.grid.map((_, b) => (b === a ? n : 1));
      const t = ops.reshape(ops.variable(this.pos[a]!.weight), [...shape, dim]);
      sum = sum ? ops.add(sum, t) : t;
    });
    return ops.reshape(ops.broadcastTo(sum!, [...this.grid, dim]), [this.length, dim]);
  }

  /** Logits [B, length, vocab]; position i sees tokens < i only. */
  logits(ops: Ops, tokens: Tensor): Tensor {
    const want = `[B, ${this.grid.join(', ')}] int32`;
    if (tokens.dtype !== 'int32' || tokens.shape.length !== this.grid.length + 1 || this.grid.some((d, i) => tokens.shape[i + 1] !== d)) {
      throw new ShapeError('TokenPrior', want, tokens.shape);
    }
    const b = tokens.shape[0]!;
    const { dim } = this.config;
    const x = this.tokens.forward(ops, ops.reshape(tokens, [b, this.length]));
    const sos = ops.broadcastTo(ops.reshape(ops.variable(this.sos), [1, 1, dim]), [b, 1, dim]);
    const shifted = this.length > 1 ? ops.concat([sos, ops.slice(x, [0, 0, 0], [b, this.length - 1, dim])], 1) : sos;
    let h = ops.add(shifted, this.positions(ops));
    for (const block of this.blocks) h = block.forward(ops, h);
    return this.head.forward(ops, this.ln_f.forward(ops, h));
  }

  /** Mean negative log-likelihood per token in nats (scalar), and per sequence summed [B]. */
  nll(ops: Ops, tokens: Tensor): { mean: Tensor; perSequence: Tensor } {
    const logp = ops.logSoftmax(this.logits(ops, tokens), -1);
    const b = tokens.shape[0]!;
    const target = ops.oneHot(ops.reshape(tokens, [b, this.length]), this.vocab);
    const perToken = ops.neg(ops.sum(ops.mul(logp, target), -1));
    return { mean: ops.mean(perToken), perSequence: ops.sum(perToken, -1) };
  }
}
