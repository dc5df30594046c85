/**
 * The training loop. Per step: one compiled generator step (encoder ->
 * quantizer -> decoder -> losses -> backward -> Adam, all in one graph on the
 * onnx engine), then, once the discriminator has started, one compiled
 * discriminator step fed with the generator's reconstructions. Host-side
 * work runs between steps: k-means codebook init before the first step, VQ
 * dead-code restarts, the adaptive GAN weight every few steps, the NaN/Inf
 * guard, checkpoints.
 *
 * Determinism: every host random draw is a pure function of (seed, step), the
 * data order of (seed, epoch), so a resumed run replays exactly what an
 * uninterrupted one does.
 */
import { HostTensor, type Engine, type Tensor, type TrainStep } from '@zoo/core';
import { compileAdaptiveWeight, LeCam, type LPIPS } from '@zoo/losses';
import type { Dataset } from '../data/dataset.js';
import type { Progress } from '../util/progress.js';
import { toModel, type Tokenizer } from '../tokenizer/tokenizer.js';
import { loadLatestCheckpoint, saveCheckpoint, type CurvePoint, type TrainState } from './checkpoint.js';
import { learningRate, stepSeed, type TrainConfig } from './config.js';
import { adaptiveLosses, discriminatorObjective, generatorObjective, type Objectives } from './objectives.js';
import { BatchStream } from './batch-stream.js';
import { exportModelState, importModelState } from './model-state.js';

export class NonFiniteLossError extends Error {
  constructor(
    readonly step: number,
    readonly values: Record<string, number>,
    readonly lastCheckpoint: string | undefined,
    lr: number,
  ) {
    const shown = Object.entries(values).map(([k, v]) => `${k}=${v}`).join(', ');
    super(
      `training diverged at step ${step}: a loss or gradient is not finite (${shown}). Stopped without saving this step; ` +
        (lastCheckpoint ? `the last good checkpoint is ${lastCheckpoint}. ` : 'no checkpoint had been written yet. ') +
        `Try a lower --lr (was ${lr}) or a smaller clipGradNorm.`,
    );
    this.name = 'NonFiniteLossError';
  }
}

export class ResumeMismatchError extends Error {
  constructor(readonly checkpoint: string) {
    super(
      `cannot resume from ${checkpoint}: it was written for a different tokenizer, training or data config. ` +
        'Delete that checkpoints folder (or use another --out) to start over, or rerun with the original options.',
    );
    this.name = 'ResumeMismatchError';
  }
}

export class TrainingAbortedError extends Error {
  constructor(
    readonly step: number,
    /** The newest checkpoint on disk when training stopped (undefined: none written). */
    readonly checkpoint?: string | undefined,
  ) {
    super(`training aborted after step ${step}${checkpoint ? `; checkpoint ${checkpoint}` : ''}`);
    this.name = 'TrainingAbortedError';
  }
}

export interface TrainerOptions {
  engine: Engine;
  tokenizer: Tokenizer;
  config: TrainConfig;
  /** Training clips (train sampling). Incomplete last batches of an epoch are skipped. */
  data: Dataset;
  /** LPIPS for the perceptual loss (only used when the spec's perceptualWeight > 0). */
  lpips?: LPIPS | undefined;
  /** Where checkpoints go; none written when undefined. */
  checkpointDir?: string | undefined;
  /** Continue from the newest checkpoint in checkpointDir, if there is one. */
  resume?: boolean;
  /** Stops the loop after the current step (SIGINT; tests inject kills with it). */
  signal?: AbortSignal | undefined;
  /**
   * On abort, write a checkpoint of the step just finished before stopping, so
   * an interrupted run loses nothing (default true; false models a kill, which
   * leaves only the periodic checkpoints).
   */
  checkpointOnAbort?: boolean;
  progress?: Progress | undefined;
  /** Periodic evaluation (config.evalEvery), e.g. PSNR on a few eval clips. */
  evaluate?: ((step: number) => Promise<Record<string, number>>) | undefined;
  /** Stored in each checkpoint's state.json (spec, run config). */
  meta?: Record<string, unknown>;
  /** Called after every step (tests). */
  onStep?: ((step: number, values: Record<string, number>) => void) | undefined;
}

export interface TrainResult {
  state: TrainState;
  /** Steps run in this call (fewer than state.step after a resume). */
  stepsThisRun: number;
  /** Steps per second of this call, compile time included. */
  stepsPerSec: number;
  resumedFrom?: number;
  lastCheckpoint?: string | undefined;
}

const PURPOSE_RESTART = 1;

function finite(values: Record<string, number>): boolean {
  return Object.values(values).every((v) => Number.isFinite(v));
}

function scalars(outputs: Record<string, HostTensor>, prefix = ''): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, t] of Object.entries(outputs)) if (t.size === 1) out[prefix + k] = t.data[0]!;
  return out;
}

export async function train(opts: TrainerOptions): Promise<TrainResult> {
  const { engine, tokenizer, config: cfg } = opts;
  const spec = tokenizer.spec;
  const lecam = tokenizer.discriminator && spec.losses.lecamWeight > 0 ? new LeCam() : undefined;
  lecam?.namedVariables('lecam.');
  const o: Objectives = { tokenizer, losses: spec.losses, lpips: spec.losses.perceptualWeight > 0 ? opts.lpips : undefined, lecam };
  const gan = tokenizer.discriminator !== undefined;
  const adam = { kind: cfg.optimizer, lr: cfg.lr, beta1: cfg.beta1, beta2: cfg.beta2, weightDecay: cfg.weightDecay, clipGradNorm: cfg.clipGradNorm } as const;
  const params = tokenizer.generatorParams();
  type GIn = { x: HostTensor; ganWeight?: HostTensor };
  const gPre = engine.compileTrainStep<{ x: HostTensor }, Record<string, Tensor> & { loss: Tensor }>(generatorObjective(o, false), params, adam);
  let gGan: TrainStep<GIn & Record<string, HostTensor>, Record<string, Tensor> & { loss: Tensor }> | undefined;
  const dParams = tokenizer.discriminator?.parameters() ?? [];
  const dStep = gan
    ? engine.compileTrainStep<{ x: HostTensor; recon: HostTensor }, Record<string, Tensor> & { loss: Tensor }>(discriminatorObjective(o), dParams, {
        ...adam,
        lr: cfg.lr * spec.losses.discLrScale,
      })
    : undefined;
  const lastLayer = tokenizer.lastDecoderLayer();
  const adaptive =
    gan && spec.losses.adaptiveWeight && lastLayer
      ? compileAdaptiveWeight<{ x: HostTensor }>(engine, adaptiveLosses(o), lastLayer, { discWeight: spec.losses.discWeight })
      : undefined;
  const encodeZ = engine.compile<{ x: HostTensor }, { z: Tensor }>((ops, inp) => ({ z: tokenizer.encoder.forward(ops, toModel(ops, inp.x)) }));
  const ganStep = async (): Promise<NonNullable<typeof gGan>> => {
    if (!gGan) {
      gGan = engine.compileTrainStep<GIn & Record<string, HostTensor>, Record<string, Tensor> & { loss: Tensor }>(generatorObjective(o, true), params, adam);
      // The adversarial phase continues the same Adam run: carry the moments over.
      await gGan.loadOptimizerState(await gPre.optimizerState());
    }
    return gGan;
  };
  const ganOn = (step: number): boolean => gan && step >= spec.losses.discStart;

  let state: TrainState = { step: 0, epoch: 0, batchInEpoch: 0, adaptiveWeight: spec.losses.discWeight, wallTimeSec: 0, curves: [], evals: [] };
  let lastCheckpoint: string | undefined;
  let resumedFrom: number | undefined;
  if (opts.resume && opts.checkpointDir) {
    const ck = await loadLatestCheckpoint(opts.checkpointDir);
    if (ck) {
      if (JSON.stringify(ck.meta) !== JSON.stringify(opts.meta ?? {})) {
        throw new ResumeMismatchError(ck.dir);
      }
      importModelState(ck.model, tokenizer, lecam);
      const g = pick(ck.optimizer, 'g/');
      if (ganOn(ck.state.step)) await (await ganStep()).loadOptimizerState(g);
      else await gPre.loadOptimizerState(g);
      if (dStep && Object.keys(pick(ck.optimizer, 'd/')).length) await dStep.loadOptimizerState(pick(ck.optimizer, 'd/'));
      state = ck.state;
      resumedFrom = ck.state.step;
      lastCheckpoint = ck.dir;
    }
  }

  const stream = new BatchStream(opts.data, cfg.batch, state.epoch, state.batchInEpoch);
  const q = tokenizer.quantizer;
  const t0 = performance.now();
  const wall0 = state.wallTimeSec;
  const startStep = state.step;
  if (state.step === 0 && q.kmeansInit) {
    // k-means codebook init on the encoder outputs of a batch drawn from its own stream, so data order is unchanged.
    const first = await new BatchStream(opts.data, cfg.batch, 0, 0).next();
    q.kmeansInit((await encodeZ.run({ x: first.batch })).z);
  }

  const checkpoint = async (): Promise<void> => {
    if (!opts.checkpointDir) return;
    const optimizer: Record<string, HostTensor> = {};
    const g = ganOn(state.step) && gGan ? gGan : gPre;
    for (const [k, v] of Object.entries(await g.optimizerState())) optimizer[`g/${k}`] = v;
    if (dStep && ganOn(state.step - 1)) for (const [k, v] of Object.entries(await dStep.optimizerState())) optimizer[`d/${k}`] = v;
    await engine.sync();
    lastCheckpoint = await saveCheckpoint(
      opts.checkpointDir,
      { state, model: exportModelState(tokenizer, lecam), optimizer, meta: opts.meta ?? {} },
      cfg.keepCheckpoints,
    );
  };

  for (let step = state.step; step < cfg.steps; step++) {
    const { batch, epoch, batchInEpoch } = await stream.next();
    const lr = learningRate(cfg, step);
    q.beforeStep?.(step);
    let values: Record<string, number>;
    let recon: HostTensor | undefined;
    if (ganOn(step)) {
      const since = step - spec.losses.discStart;
      if (adaptive && since % spec.losses.adaptiveEvery === 0) {
        const w = (await adaptive.run({ x: batch })).weight;
        state.adaptiveWeight = Number.isFinite(w) ? w : state.adaptiveWeight;
      }
      const weight = adaptive ? state.adaptiveWeight : spec.losses.discWeight;
      const r = await (await ganStep()).run({ x: batch, ganWeight: hostScalar(weight) }, { lr });
      values = { ...scalars(r.outputs), gradNorm: r.gradNorm, ganWeight: weight };
      recon = r.outputs['recon'];
    } else {
      const r = await gPre.run({ x: batch }, { lr });
      values = { ...scalars(r.outputs), gradNorm: r.gradNorm };
    }
    if (!finite(values)) throw new NonFiniteLossError(step + 1, values, lastCheckpoint, lr);
    if (dStep && recon) {
      const d = await dStep.run({ x: batch, recon }, { lr: lr * spec.losses.discLrScale });
      const dv = { ...scalars(d.outputs, 'd_'), d_gradNorm: d.gradNorm };
      if (!finite(dv)) throw new NonFiniteLossError(step + 1, dv, lastCheckpoint, lr);
      values = { ...values, ...dv };
    }
    if (cfg.restartEvery > 0 && (step + 1) % cfg.restartEvery === 0 && q.restartDeadCodes) {
      const restarted = q.restartDeadCodes((await encodeZ.run({ x: batch })).z, { seed: stepSeed(cfg.seed, step, PURPOSE_RESTART) });
      values['restarted'] = restarted.length;
    }
    state = { ...state, step: step + 1, epoch, batchInEpoch: batchInEpoch + 1 };
    state.wallTimeSec = wall0 + (performance.now() - t0) / 1000;
    const point: CurvePoint = { step: step + 1, lr, ...values };
    state.curves.push(point);
    if (opts.evaluate && cfg.evalEvery > 0 && (step + 1) % cfg.evalEvery === 0 && step + 1 < cfg.steps) {
      state.evals.push({ step: step + 1, ...(await opts.evaluate(step + 1)) });
    }
    opts.progress?.update(step + 1, pickShown(values));
    opts.onStep?.(step + 1, values);
    if (cfg.checkpointEvery > 0 && (step + 1) % cfg.checkpointEvery === 0) await checkpoint();
    if (opts.signal?.aborted) {
      if ((opts.checkpointOnAbort ?? true) && !lastCheckpoint?.endsWith(String(step + 1).padStart(7, '0'))) await checkpoint();
      throw new TrainingAbortedError(step + 1, lastCheckpoint);
    }
  }
  if (!lastCheckpoint?.endsWith(String(cfg.steps).padStart(7, '0'))) await checkpoint();
  await engine.sync();
  const ran = state.step - startStep;
  const secs = (performance.now() - t0) / 1000;
  return { state, stepsThisRun: ran, stepsPerSec: secs > 0 ? ran / secs : 0, ...(resumedFrom !== undefined ? { resumedFrom } : {}), lastCheckpoint };
}

function hostScalar(v: number): HostTensor {
  return HostTensor.from([v], []);
}

function pick(all: Record<string, HostTensor>, prefix: string): Record<string, HostTensor> {
  const out: Record<string, HostTensor> = {};
  for (const [k, v] of Object.entries(all)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = v;
  return out;
}

/** The values the progress bar shows: the losses, not every diagnostic. */
function pickShown(v: Record<string, number>): Record<string, number> {
  const keys = ['loss', 'rec', 'qloss', 'lpips', 'gloss', 'd_dloss'];
  const out: Record<string, number> = {};
  for (const k of keys) if (v[k] !== undefined) out[k] = v[k]!;
  return out;
}
