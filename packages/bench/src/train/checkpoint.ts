/**
 * Training checkpoints: `<dir>/step-0000120/` is a @zoo/core checkpoint
 * directory (model.safetensors, optimizer.safetensors, checkpoint.json with
 * sizes and hashes), whose meta holds the trainer's state (step,
 * data-sampler position, adaptive weight, curves) beside the caller's meta
 * (spec, config); `<dir>/latest.json` names the newest complete one.
 * A checkpoint is written into a temp folder and renamed into place, and
 * `latest.json` is replaced atomically afterwards, so a crash at any moment
 * leaves the previous checkpoint intact and pointed to.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { CHECKPOINT_FILES, readCheckpoint, saveCheckpoint as saveCoreCheckpoint, writeJsonAtomic, type HostTensor } from '@zoo/core';
import { CorruptFileError } from '../util/errors.js';

/** One logged training step (losses, lr, grad norm). */
export type CurvePoint = { step: number } & Record<string, number>;

export interface TrainState {
  /** Optimizer steps completed. */
  step: number;
  /** Data-sampler position: epoch and full batches consumed in it. */
  epoch: number;
  batchInEpoch: number;
  /** Current adaptive GAN weight λ (VQGAN), refreshed every few steps. */
  adaptiveWeight: number;
  /** Training time so far (excluding time between a kill and a resume). */
  wallTimeSec: number;
  curves: CurvePoint[];
  /** Periodic evaluation points, e.g. { step, psnr }. */
  evals: CurvePoint[];
}

export interface Checkpoint {
  dir: string;
  state: TrainState;
  model: Record<string, HostTensor>;
  optimizer: Record<string, HostTensor>;
  /** Anything else the writer stored (spec, config). */
  meta: Record<string, unknown>;
}

/** What a step folder's checkpoint.json meta holds. */
interface StoredMeta {
  state: TrainState;
  meta: Record<string, unknown>;
}

export const LATEST_CHECKPOINT = 'latest.json';
const stepDir = (step: number) => `step-${String(step).padStart(7, '0')}`;

/** Writes step folder `step-NNNNNNN` of `c.state.step`, points latest.json at it, and deletes all but the newest `keep`. */
export async function saveCheckpoint(
  dir: string,
  c: { state: TrainState; model: Record<string, HostTensor>; optimizer: Record<string, HostTensor>; meta?: Record<string, unknown> },
  keep = 2,
): Promise<string> {
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.tmp-${randomBytes(4).toString('hex')}`);
  const stored: StoredMeta = { state: c.state, meta: c.meta ?? {} };
  const final = join(dir, stepDir(c.state.step));
  try {
    await saveCoreCheckpoint(tmp, c.model, { optimizer: c.optimizer, meta: { ...stored } });
    await rm(final, { recursive: true, force: true });
    await rename(tmp, final);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
  await writeJsonAtomic(join(dir, LATEST_CHECKPOINT), { step: c.state.step, path: stepDir(c.state.step) });
  const all = (await readdir(dir)).filter((n) => /^step-\d+$/.test(n)).sort();
  for (const old of all.slice(0, Math.max(0, all.length - keep))) await rm(join(dir, old), { recursive: true, force: true });
  return final;
}

/** The newest complete checkpoint in `dir`, or undefined when there is none. */
export async function loadLatestCheckpoint(dir: string): Promise<Checkpoint | undefined> {
  const latest = join(dir, LATEST_CHECKPOINT);
  if (!existsSync(latest)) return undefined;
  let pointer: { path: string };
  try {
    pointer = JSON.parse(await readFile(latest, 'utf8')) as { path: string };
  } catch (e) {
    throw new CorruptFileError(latest, (e as Error).message);
  }
  return loadCheckpoint(join(dir, pointer.path));
}

/** One step folder; a CheckpointError (@zoo/core) when it is incomplete or not a checkpoint. */
export async function loadCheckpoint(ckptDir: string): Promise<Checkpoint> {
  const { model, optimizer, meta } = await readCheckpoint(ckptDir);
  const stored = meta as Partial<StoredMeta>;
  if (!stored.state) throw new CorruptFileError(join(ckptDir, CHECKPOINT_FILES.index), 'its meta has no training state (not written by the trainer)');
  return { dir: ckptDir, state: stored.state, model, optimizer: optimizer ?? {}, meta: stored.meta ?? {} };
}

/**
 * The caller's meta (spec, train and data config) of the newest checkpoint in
 * `dir`, read from its index without loading any tensor; undefined when
 * there is no complete checkpoint.
 */
export async function readLatestCheckpointMeta(dir: string): Promise<Record<string, unknown> | undefined> {
  const latest = join(dir, LATEST_CHECKPOINT);
  if (!existsSync(latest)) return undefined;
  try {
    const pointer = JSON.parse(await readFile(latest, 'utf8')) as { path: string };
    const index = JSON.parse(await readFile(join(dir, pointer.path, CHECKPOINT_FILES.index), 'utf8')) as { meta?: Partial<StoredMeta> };
    return index.meta?.meta ?? {};
  } catch (e) {
    throw new CorruptFileError(latest, (e as Error).message);
  }
}
