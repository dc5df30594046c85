/**
 * Training checkpoints: `<dir>/step-000120/{model,optimizer}.safetensors`
 * plus `state.json` (step, data-sampler position, adaptive weight, curves,
 * the spec and config), and `<dir>/latest.json` naming the newest complete
 * one. A checkpoint is written into a temp folder and renamed into place,
 * and `latest.json` is replaced atomically afterwards, so a crash at any
 * moment leaves the previous checkpoint intact and pointed to.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { HostTensor } from '@zoo/core';
import { writeJsonAtomic } from '@zoo/core';
import { CorruptFileError } from '../util/errors.js';
import { encodeSafetensors, readSafetensorsFile } from './safetensors.js';

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

const LATEST = 'latest.json';
const stepDir = (step: number) => `step-${String(step).padStart(7, '0')}`;

export async function saveCheckpoint(
  dir: string,
  c: { state: TrainState; model: Record<string, HostTensor>; optimizer: Record<string, HostTensor>; meta?: Record<string, unknown> },
  keep = 2,
): Promise<string> {
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.tmp-${randomBytes(4).toString('hex')}`);
  await mkdir(tmp);
  try {
    await writeFile(join(tmp, 'model.safetensors'), encodeSafetensors(c.model, { format: 'pt' }));
    await writeFile(join(tmp, 'optimizer.safetensors'), encodeSafetensors(c.optimizer));
    await writeFile(join(tmp, 'state.json'), `${JSON.stringify({ ...c.state, meta: c.meta ?? {} })}\n`);
    const final = join(dir, stepDir(c.state.step));
    await rm(final, { recursive: true, force: true });
    await rename(tmp, final);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
  await writeJsonAtomic(join(dir, LATEST), { step: c.state.step, path: stepDir(c.state.step) });
  const all = (await readdir(dir)).filter((n) => /^step-\d+$/.test(n)).sort();
  for (const old of all.slice(0, Math.max(0, all.length - keep))) await rm(join(dir, old), { recursive: true, force: true });
  return join(dir, stepDir(c.state.step));
}

/** The newest complete checkpoint in `dir`, or undefined when there is none. */
export async function loadLatestCheckpoint(dir: string): Promise<Checkpoint | undefined> {
  const latest = join(dir, LATEST);
  if (!existsSync(latest)) return undefined;
  let pointer: { path: string };
  try {
    pointer = JSON.parse(await readFile(latest, 'utf8')) as { path: string };
  } catch (e) {
    throw new CorruptFileError(latest, (e as Error).message);
  }
  return loadCheckpoint(join(dir, pointer.path));
}

export async function loadCheckpoint(ckptDir: string): Promise<Checkpoint> {
  const statePath = join(ckptDir, 'state.json');
  let raw: TrainState & { meta?: Record<string, unknown> };
  try {
    raw = JSON.parse(await readFile(statePath, 'utf8')) as typeof raw;
  } catch (e) {
    throw new CorruptFileError(statePath, (e as Error).message);
  }
  const { meta, ...state } = raw;
  return {
    dir: ckptDir,
    state,
    meta: meta ?? {},
    model: await readSafetensorsFile(join(ckptDir, 'model.safetensors')),
    optimizer: await readSafetensorsFile(join(ckptDir, 'optimizer.safetensors')),
  };
}
