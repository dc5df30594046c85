/**
 * The generation-side column: after a tokenizer is trained, encode its
 * training clips, train a small token prior on them and score the eval
 * clips' tokens under it. Reported as metrics (lower is better):
 * `priorBitsPerToken` and `priorBitsPerVideo` (held-out NLL of the tokens,
 * in bits) and `priorBitsPerPixel` (that code length per T*H*W location: the
 * rate the tokens would cost entropy-coded with this prior, next to the
 * fixed-length `bitsPerPixel`). Everything to reproduce it goes in the row.
 */
import { logger, type Engine, type HostTensor } from '@zoo/core';
import type { Dataset } from '../data/dataset.js';
import type { PriorConfig } from '../prior/config.js';
import { scorePrior, tokenSetOf, trainPrior } from '../prior/train-prior.js';
import type { Codec } from './codec.js';

export const PRIOR_METRICS = ['priorBitsPerToken', 'priorBitsPerVideo', 'priorBitsPerPixel'] as const;

/**
 * Logits [batch, tokens, vocab] above this many floats are refused (reported
 * unavailable with the reason) rather than exhausting memory: 2^27 floats =
 * 512 MiB per copy, and the step holds several.
 */
export const MAX_PRIOR_LOGITS = 2 ** 27;

export interface PriorEvalOptions {
  steps: number;
  seed: number;
  config: PriorConfig;
  signal?: AbortSignal | undefined;
}

export interface PriorEvalResult {
  metrics: Record<(typeof PRIOR_METRICS)[number], number | null>;
  unavailable: Record<string, string>;
  /** For the row's config: what was trained, on what, for how long. */
  record: Record<string, unknown>;
}

function unavailable(reason: string, record: Record<string, unknown>): PriorEvalResult {
  return {
    metrics: { priorBitsPerToken: null, priorBitsPerVideo: null, priorBitsPerPixel: null },
    unavailable: Object.fromEntries(PRIOR_METRICS.map((m) => [m, reason])),
    record,
  };
}

async function encodeTrainClips(codec: Codec, train: Dataset, clips: number, batch: number): Promise<HostTensor[]> {
  const out: HostTensor[] = [];
  let n = 0;
  for await (const b of train.batches(batch, { epoch: 0 })) {
    out.push(await codec.encode(b));
    n += b.shape[0]!;
    if (n >= clips) break;
  }
  return out;
}

/** Trains the prior on `codec`'s tokens of the train clips and scores `evalIndices` (the eval clips' tokens). */
export async function evaluatePrior(
  engine: Engine, codec: Codec, train: Dataset, evalIndices: readonly HostTensor[], clipBatch: number, o: PriorEvalOptions,
): Promise<PriorEvalResult> {
  const t0 = performance.now();
  const evalSet = tokenSetOf(evalIndices);
  const vocab = Math.max(...codec.codebookSizes([1, ...evalSet.grid]));
  const length = evalSet.grid.reduce((a, b) => a * b, 1);
  const record: Record<string, unknown> = { steps: o.steps, seed: o.seed, config: o.config, vocab, grid: evalSet.grid, engine: engine.name };
  const logits = Math.min(o.config.batch, o.config.trainClips) * length * vocab;
  if (logits > MAX_PRIOR_LOGITS) {
    const reason = `prior logits [${o.config.batch}, ${length}, ${vocab}] exceed ${MAX_PRIOR_LOGITS} floats; lower the prior batch (prior.batch) or the codebook size`;
    logger().warn(`${codec.name}: ${reason}`);
    return unavailable(reason, record);
  }
  const trainBatches = await encodeTrainClips(codec, train, o.config.trainClips, clipBatch);
  const trainSet = tokenSetOf(trainBatches);
  const trained = await trainPrior(engine, trainSet, vocab, o.config, { steps: o.steps, seed: o.seed, signal: o.signal });
  const score = await scorePrior(engine, trained.prior, evalSet, o.config.batch);
  const [t, h, w] = train.clipShape;
  const tail = trained.curve.slice(-Math.max(1, Math.floor(trained.curve.length / 10)));
  Object.assign(record, {
    trainClips: trainSet.count,
    evalClips: score.sequences,
    parameters: trained.prior.parameterCount(),
    stepsRun: trained.curve.length,
    // mean over the last tenth of the steps: train NLL next to the held-out one shows over- or under-fitting
    trainBitsPerToken: trained.curve.length ? tail.reduce((a, b) => a + b, 0) / tail.length : null,
    stepsPerSec: trained.stepsPerSec,
    wallTimeSec: (performance.now() - t0) / 1000,
  });
  return {
    metrics: { priorBitsPerToken: score.bitsPerToken, priorBitsPerVideo: score.bitsPerVideo, priorBitsPerPixel: score.bitsPerVideo / (t * h * w) },
    unavailable: {},
    record,
  };
}
