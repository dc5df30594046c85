/**
 * The trainer's phases as named functions over one `TrainSession` (the
 * compiled steps and the run's mutable state), in the order `train()` calls
 * them: compile, resume, init hooks (k-means), then per step the adaptive
 * weight, the generator step (pre-GAN or GAN phase), the discriminator step,
 * host hooks (dead-code restarts), bookkeeping, eval and checkpoint.
 */
import { HostTensor, type CompiledFn, type Engine, type Tensor, type TrainStep, type Variable } from '@zoo/core';
import { compileAdaptiveWeight, LeCam, type LPIPS } from '@zoo/losses';
import type { Dataset } from '../data/dataset.js';
import type { Progress } from '../util/progress.js';
import { toModel, type Tokenizer } from '../tokenizer/tokenizer.js';
import type { TokenizerSpec } from '../tokenizer/spec.js';
import { loadLatestCheckpoint, saveCheckpoint, type CurvePoint, type TrainState } from './checkpoint.js';
import { stepSeed, type TrainConfig } from './config.js';
import { NonFiniteLossError, ResumeMismatchError } from './errors.js';
import { adaptiveLosses, discriminatorObjective, generatorObjective, type Objectives } from './objectives.js';
import { exportModelState, importModelState } from './model-state.js';

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

type Outputs = Record<string, Tensor> & { loss: Tensor };
type GanInputs = { x: HostTensor; ganWeight?: HostTensor } & Record<string, HostTensor>;
type AdamSettings = Parameters<Engine['compileTrainStep']>[2];

/** What the phases share: the compiled steps and the run's state. */
export interface TrainSession {
  readonly opts: TrainerOptions;
  readonly cfg: TrainConfig;
  readonly spec: TokenizerSpec;
  readonly objectives: Objectives;
  readonly lecam: LeCam | undefined;
  readonly adam: AdamSettings;
  readonly params: Variable[];
  /** Generator step before the discriminator starts. */
  readonly gPre: TrainStep<{ x: HostTensor }, Outputs>;
  /** Generator step with the GAN loss; compiled when first needed. */
  gGan: TrainStep<GanInputs, Outputs> | undefined;
  readonly dStep: TrainStep<{ x: HostTensor; recon: HostTensor }, Outputs> | undefined;
  readonly adaptive: ReturnType<typeof compileAdaptiveWeight<{ x: HostTensor }>> | undefined;
  readonly encodeZ: CompiledFn<{ x: HostTensor }, { z: Tensor }>;
  state: TrainState;
  lastCheckpoint: string | undefined;
  resumedFrom: number | undefined;
}

const PURPOSE_RESTART = 1;

/** Init: objectives and every compiled step (the GAN-phase generator step is compiled lazily). */
export function compileSession(opts: TrainerOptions): TrainSession {
  const { engine, tokenizer, config: cfg } = opts;
  const spec = tokenizer.spec;
  const lecam = tokenizer.discriminator && spec.losses.lecamWeight > 0 ? new LeCam() : undefined;
  lecam?.namedVariables('lecam.');
  const objectives: Objectives = { tokenizer, losses: spec.losses, lpips: spec.losses.perceptualWeight > 0 ? opts.lpips : undefined, lecam };
  const gan = tokenizer.discriminator !== undefined;
  const adam = { kind: cfg.optimizer, lr: cfg.lr, beta1: cfg.beta1, beta2: cfg.beta2, weightDecay: cfg.weightDecay, clipGradNorm: cfg.clipGradNorm } as const;
  const params = tokenizer.generatorParams();
  const gPre = engine.compileTrainStep<{ x: HostTensor }, Outputs>(generatorObjective(objectives, false), params, adam);
  const dParams = tokenizer.discriminator?.parameters() ?? [];
  const dStep = gan
    ? engine.compileTrainStep<{ x: HostTensor; recon: HostTensor }, Outputs>(discriminatorObjective(objectives), dParams, {
        ...adam,
        lr: cfg.lr * spec.losses.discLrScale,
      })
    : undefined;
  const lastLayer = tokenizer.lastDecoderLayer();
  const adaptive =
    gan && spec.losses.adaptiveWeight && lastLayer
      ? compileAdaptiveWeight<{ x: HostTensor }>(engine, adaptiveLosses(objectives), lastLayer, { discWeight: spec.losses.discWeight })
      : undefined;
  const encodeZ = engine.compile<{ x: HostTensor }, { z: Tensor }>((ops, inp) => ({ z: tokenizer.encoder.forward(ops, toModel(ops, inp.x)) }));
  return {
    opts,
    cfg,
    spec,
    objectives,
    lecam,
    adam,
    params,
    gPre,
    gGan: undefined,
    dStep,
    adaptive,
    encodeZ,
    state: { step: 0, epoch: 0, batchInEpoch: 0, adaptiveWeight: spec.losses.discWeight, wallTimeSec: 0, curves: [], evals: [] },
    lastCheckpoint: undefined,
    resumedFrom: undefined,
  };
}

/** Whether `step` is in the GAN phase (a discriminator exists and has started). */
export function ganOn(s: TrainSession, step: number): boolean {
  return s.opts.tokenizer.discriminator !== undefined && step >= s.spec.losses.discStart;
}

/** The GAN-phase generator step, compiled on first use; it continues the same Adam run (moments carried over). */
export async function ganStep(s: TrainSession): Promise<TrainStep<GanInputs, Outputs>> {
  if (!s.gGan) {
    s.gGan = s.opts.engine.compileTrainStep<GanInputs, Outputs>(generatorObjective(s.objectives, true), s.params, s.adam);
    await s.gGan.loadOptimizerState(await s.gPre.optimizerState());
  }
  return s.gGan;
}

/** Resume: model, optimizer moments and state from the newest checkpoint, refusing one written for another run. */
export async function resumeSession(s: TrainSession): Promise<void> {
  const { opts } = s;
  if (!opts.resume || !opts.checkpointDir) return;
  const ck = await loadLatestCheckpoint(opts.checkpointDir);
  if (!ck) return;
  if (JSON.stringify(ck.meta) !== JSON.stringify(opts.meta ?? {})) {
    throw new ResumeMismatchError(ck.dir);
  }
  importModelState(ck.model, opts.tokenizer, s.lecam);
  const g = pick(ck.optimizer, 'g/');
  if (ganOn(s, ck.state.step)) await (await ganStep(s)).loadOptimizerState(g);
  else await s.gPre.loadOptimizerState(g);
  if (s.dStep && Object.keys(pick(ck.optimizer, 'd/')).length) await s.dStep.loadOptimizerState(pick(ck.optimizer, 'd/'));
  s.state = ck.state;
  s.resumedFrom = ck.state.step;
  s.lastCheckpoint = ck.dir;
}

/** Init hook before the first step: k-means codebook init on the encoder outputs of a batch drawn from its own stream, so data order is unchanged. */
export async function initHooks(s: TrainSession, firstBatch: () => Promise<HostTensor>): Promise<void> {
  const q = s.opts.tokenizer.quantizer;
  if (s.state.step !== 0 || !q.kmeansInit) return;
  q.kmeansInit(await encode(s, await firstBatch()));
}

async function encode(s: TrainSession, x: HostTensor): Promise<HostTensor> {
  return (await s.encodeZ.run({ x })).z;
}

/** Adaptive GAN weight (VQGAN's λ), refreshed every adaptiveEvery steps of the GAN phase; the weight this step uses. */
export async function adaptiveWeightPhase(s: TrainSession, batch: HostTensor, step: number): Promise<number> {
  const since = step - s.spec.losses.discStart;
  if (s.adaptive && since % s.spec.losses.adaptiveEvery === 0) {
    const w = (await s.adaptive.run({ x: batch })).weight;
    s.state.adaptiveWeight = Number.isFinite(w) ? w : s.state.adaptiveWeight;
  }
  return s.adaptive ? s.state.adaptiveWeight : s.spec.losses.discWeight;
}

/** One generator step: the pre-GAN step, or in the GAN phase the adaptive weight then the GAN step. Throws on a non-finite value. */
export async function generatorStep(s: TrainSession, batch: HostTensor, step: number, lr: number): Promise<{ values: Record<string, number>; recon: HostTensor | undefined }> {
  let values: Record<string, number>;
  let recon: HostTensor | undefined;
  if (ganOn(s, step)) {
    const weight = await adaptiveWeightPhase(s, batch, step);
    const r = await (await ganStep(s)).run({ x: batch, ganWeight: hostScalar(weight) }, { lr });
    values = { ...scalars(r.outputs), gradNorm: r.gradNorm, ganWeight: weight };
    recon = r.outputs['recon'];
  } else {
    const r = await s.gPre.run({ x: batch }, { lr });
    values = { ...scalars(r.outputs), gradNorm: r.gradNorm };
  }
  if (!finite(values)) throw new NonFiniteLossError(step + 1, values, s.lastCheckpoint, lr);
  return { values, recon };
}

/** GAN phase, discriminator side: one step on the batch and the generator's reconstructions (prefixed `d_`). */
export async function discriminatorStep(s: TrainSession, batch: HostTensor, recon: HostTensor | undefined, step: number, lr: number): Promise<Record<string, number>> {
  if (!s.dStep || !recon) return {};
  const d = await s.dStep.run({ x: batch, recon }, { lr: lr * s.spec.losses.discLrScale });
  const dv = { ...scalars(d.outputs, 'd_'), d_gradNorm: d.gradNorm };
  if (!finite(dv)) throw new NonFiniteLossError(step + 1, dv, s.lastCheckpoint, lr);
  return dv;
}

/** Host hooks after a step: VQ dead-code restarts every restartEvery steps (seeded by step). */
export async function afterStepHooks(s: TrainSession, batch: HostTensor, step: number): Promise<Record<string, number>> {
  const q = s.opts.tokenizer.quantizer;
  if (!(s.cfg.restartEvery > 0 && (step + 1) % s.cfg.restartEvery === 0 && q.restartDeadCodes)) return {};
  const restarted = q.restartDeadCodes(await encode(s, batch), { seed: stepSeed(s.cfg.seed, step, PURPOSE_RESTART) });
  return { restarted: restarted.length };
}

/** Periodic evaluation (evalEvery; not at the last step, which the caller evaluates itself). */
export async function evalPhase(s: TrainSession, step: number): Promise<void> {
  const { opts, cfg } = s;
  if (opts.evaluate && cfg.evalEvery > 0 && (step + 1) % cfg.evalEvery === 0 && step + 1 < cfg.steps) {
    s.state.evals.push({ step: step + 1, ...(await opts.evaluate(step + 1)) });
  }
}

/** Records the finished step in the state (step, data position, wall time, curve point). */
export function recordStep(s: TrainSession, step: number, pos: { epoch: number; batchInEpoch: number }, lr: number, values: Record<string, number>, wallSec: number): void {
  s.state = { ...s.state, step: step + 1, epoch: pos.epoch, batchInEpoch: pos.batchInEpoch + 1 };
  s.state.wallTimeSec = wallSec;
  const point: CurvePoint = { step: step + 1, lr, ...values };
  s.state.curves.push(point);
}

/** Checkpoint: model, the optimizer moments of the steps in use, and the state, atomically; keeps keepCheckpoints. */
export async function checkpoint(s: TrainSession): Promise<void> {
  const { opts, state } = s;
  if (!opts.checkpointDir) return;
  const optimizer: Record<string, HostTensor> = {};
  const g = ganOn(s, state.step) && s.gGan ? s.gGan : s.gPre;
  for (const [k, v] of Object.entries(await g.optimizerState())) optimizer[`g/${k}`] = v;
  if (s.dStep && ganOn(s, state.step - 1)) for (const [k, v] of Object.entries(await s.dStep.optimizerState())) optimizer[`d/${k}`] = v;
  await opts.engine.sync();
  s.lastCheckpoint = await saveCheckpoint(
    opts.checkpointDir,
    { state, model: exportModelState(opts.tokenizer, s.lecam), optimizer, meta: opts.meta ?? {} },
    s.cfg.keepCheckpoints,
  );
}

/** Whether the newest checkpoint is of `step`. */
export function checkpointedAt(s: TrainSession, step: number): boolean {
  return s.lastCheckpoint?.endsWith(String(step).padStart(7, '0')) ?? false;
}

function finite(values: Record<string, number>): boolean {
  return Object.values(values).every((v) => Number.isFinite(v));
}

function scalars(outputs: Record<string, HostTensor>, prefix = ''): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, t] of Object.entries(outputs)) if (t.size === 1) out[prefix + k] = t.data[0]!;
  return out;
}

function hostScalar(v: number): HostTensor {
  return HostTensor.from([v], []);
}

function pick(all: Record<string, HostTensor>, prefix: string): Record<string, HostTensor> {
  const out: Record<string, HostTensor> = {};
  for (const [k, v] of Object.entries(all)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = v;
  return out;
}
