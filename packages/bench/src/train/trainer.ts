/**
 * The training loop. Per step: one compiled generator step (encoder ->
 * quantizer -> decoder -> losses -> backward -> Adam, all in one graph on the
 * onnx engine), then, once the discriminator has started, one compiled
 * discriminator step fed with the generator's reconstructions. Host-side
 * work runs between steps: k-means codebook init before the first step, VQ
 * dead-code restarts, the adaptive GAN weight every few steps, the NaN/Inf
 * guard, checkpoints. Each phase is a named function in session.ts.
 *
 * Determinism: every host random draw is a pure function of (seed, step), the
 * data order of (seed, epoch), so a resumed run replays exactly what an
 * uninterrupted one does.
 */
import { learningRate } from './config.js';
import { BatchStream } from './batch-stream.js';
import { TrainingAbortedError } from './errors.js';
import {
  afterStepHooks,
  checkpoint,
  checkpointedAt,
  compileSession,
  discriminatorStep,
  evalPhase,
  generatorStep,
  initHooks,
  recordStep,
  resumeSession,
  type TrainerOptions,
  type TrainResult,
} from './session.js';

export { NonFiniteLossError, ResumeMismatchError, TrainingAbortedError } from './errors.js';
export type { TrainerOptions, TrainResult } from './session.js';

export async function train(opts: TrainerOptions): Promise<TrainResult> {
  const { config: cfg } = opts;
  const s = compileSession(opts);
  await resumeSession(s);

  const stream = new BatchStream(opts.data, cfg.batch, s.state.epoch, s.state.batchInEpoch);
  const t0 = performance.now();
  const wall0 = s.state.wallTimeSec;
  const startStep = s.state.step;
  await initHooks(s, async () => (await new BatchStream(opts.data, cfg.batch, 0, 0).next()).batch);

  for (let step = s.state.step; step < cfg.steps; step++) {
    const { batch, epoch, batchInEpoch } = await stream.next();
    const lr = learningRate(cfg, step);
    opts.tokenizer.quantizer.beforeStep?.(step);
    const g = await generatorStep(s, batch, step, lr);
    let values = { ...g.values, ...(await discriminatorStep(s, batch, g.recon, step, lr)) };
    values = { ...values, ...(await afterStepHooks(s, batch, step)) };
    recordStep(s, step, { epoch, batchInEpoch }, lr, values, wall0 + (performance.now() - t0) / 1000);
    await evalPhase(s, step);
    opts.progress?.update(step + 1, pickShown(values));
    opts.onStep?.(step + 1, values);
    if (cfg.checkpointEvery > 0 && (step + 1) % cfg.checkpointEvery === 0) await checkpoint(s);
    if (opts.signal?.aborted) {
      if ((opts.checkpointOnAbort ?? true) && !checkpointedAt(s, step + 1)) await checkpoint(s);
      throw new TrainingAbortedError(step + 1, s.lastCheckpoint);
    }
  }
  if (!checkpointedAt(s, cfg.steps)) await checkpoint(s);
  await opts.engine.sync();
  const ran = s.state.step - startStep;
  const secs = (performance.now() - t0) / 1000;
  const { state, resumedFrom, lastCheckpoint } = s;
  return { state, stepsThisRun: ran, stepsPerSec: secs > 0 ? ran / secs : 0, ...(resumedFrom !== undefined ? { resumedFrom } : {}), lastCheckpoint };
}

/** The values the progress bar shows: the losses, not every diagnostic. */
function pickShown(v: Record<string, number>): Record<string, number> {
  const keys = ['loss', 'rec', 'qloss', 'lpips', 'gloss', 'd_dloss'];
  const out: Record<string, number> = {};
  for (const k of keys) if (v[k] !== undefined) out[k] = v[k]!;
  return out;
}
