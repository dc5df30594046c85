/**
 * Training and scoring the token prior on encoded clips. Sequences for each
 * step are drawn with a seeded Rng (a pure function of the seed), so a run
 * is reproducible from the row's prior config, steps and seed.
 */
import { HostTensor, Rng, type Engine, type Tensor } from '@zoo/core';
import type { PriorConfig } from './config.js';
import { TokenPrior } from './token-prior.js';

/** Encoded clips: `count` sequences of the same token grid, row-major in one buffer. */
export interface TokenSet {
  grid: number[];
  count: number;
  data: Int32Array;
}

/** Stacks per-batch index tensors [b, ...grid] into one TokenSet (int64/float indices are converted). */
export function tokenSetOf(batches: readonly HostTensor[]): TokenSet {
  if (!batches.length) throw new RangeError('tokenSetOf: no encoded batches');
  const grid = batches[0]!.shape.slice(1);
  const per = grid.reduce((a, b) => a * b, 1);
  const count = batches.reduce((n, b) => n + b.shape[0]!, 0);
  const data = new Int32Array(count * per);
  let off = 0;
  for (const b of batches) {
    if (b.shape.length !== grid.length + 1 || b.shape.slice(1).some((d, i) => d !== grid[i])) {
      throw new RangeError(`tokenSetOf: batch of shape [${b.shape.join(', ')}], expected [b, ${grid.join(', ')}]`);
    }
    for (let i = 0; i < b.size; i++) data[off + i] = Number(b.data[i]);
    off += b.size;
  }
  return { grid, count, data };
}

function gatherRows(set: TokenSet, rows: readonly number[]): HostTensor<'int32'> {
  const per = set.data.length / set.count;
  const out = new Int32Array(rows.length * per);
  rows.forEach((r, i) => out.set(set.data.subarray(r * per, (r + 1) * per), i * per));
  return new HostTensor([rows.length, ...set.grid], out, 'int32');
}

export interface PriorTrainOptions {
  steps: number;
  /** Seeds the init and the sequence draws. */
  seed: number;
  signal?: AbortSignal | undefined;
  /** Called after each step with the mean NLL in nats. */
  onStep?: (step: number, nll: number) => void;
}

export interface PriorTrainResult {
  prior: TokenPrior;
  /** Mean train NLL in bits per token of each step. */
  curve: number[];
  stepsPerSec: number;
}

/** Builds a prior for the set's grid and vocabulary and trains it for `steps` Adam steps. */
export async function trainPrior(engine: Engine, set: TokenSet, vocab: number, config: PriorConfig, opts: PriorTrainOptions): Promise<PriorTrainResult> {
  const prior = new TokenPrior(vocab, set.grid, config, opts.seed);
  const step = engine.compileTrainStep<{ tokens: HostTensor }, { loss: Tensor }>(
    (ops, inp) => ({ loss: prior.nll(ops, inp.tokens).mean }),
    prior.parameters(),
    { kind: 'adam', lr: config.lr, clipGradNorm: config.clipGradNorm },
  );
  const rng = new Rng(opts.seed + 1);
  const batch = Math.min(config.batch, set.count);
  const curve: number[] = [];
  const t0 = performance.now();
  for (let s = 0; s < opts.steps; s++) {
    if (opts.signal?.aborted) break;
    const rows = Array.from({ length: batch }, () => rng.int(set.count));
    const r = await step.run({ tokens: gatherRows(set, rows) });
    const nll = r.outputs.loss.item();
    curve.push(nll / Math.LN2);
    opts.onStep?.(s + 1, nll);
  }
  await engine.sync();
  const sec = (performance.now() - t0) / 1000;
  return { prior, curve, stepsPerSec: sec > 0 ? curve.length / sec : 0 };
}

export interface PriorScore {
  /** Mean NLL per token in bits over every token of the set. */
  bitsPerToken: number;
  /** Mean NLL per sequence (one clip's tokens) in bits. */
  bitsPerVideo: number;
  sequences: number;
}

/** Held-out code length of a set under the prior (teacher-forced, no sampling). */
export async function scorePrior(engine: Engine, prior: TokenPrior, set: TokenSet, batch: number): Promise<PriorScore> {
  const fn = engine.compile<{ tokens: HostTensor }, { nll: Tensor }>((ops, inp) => ({ nll: prior.nll(ops, inp.tokens).perSequence }), { frozen: true });
  let total = 0;
  for (let i = 0; i < set.count; i += batch) {
    const rows = Array.from({ length: Math.min(batch, set.count - i) }, (_, k) => i + k);
    const out = (await fn.run({ tokens: gatherRows(set, rows) })).nll;
    for (const v of out.data) total += Number(v);
  }
  const bitsPerVideo = total / Math.LN2 / set.count;
  return { bitsPerToken: bitsPerVideo / prior.length, bitsPerVideo, sequences: set.count };
}
