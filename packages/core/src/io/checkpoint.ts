/**
 * Training checkpoints as a directory PyTorch can read:
 *   model.safetensors      the module's state dict (dotted PyTorch keys,
 *                          metadata {format: 'pt'} as transformers writes it)
 *   optimizer.safetensors  optional optimizer state (TrainStep.optimizerState())
 *   checkpoint.json        written last: format version, caller's `meta`, and
 *                          the size and sha256 of each file above
 * Every file is replaced atomically. checkpoint.json is the commit record: a
 * directory whose files do not match it (a crash between two renames) is
 * reported as incomplete instead of silently mixing two checkpoints.
 *
 * The model may be a Module or an already-flattened state dict: a trainer
 * that checkpoints several root modules together (a tokenizer, its
 * discriminator, LeCam EMAs, each keyed under its own prefix) saves their
 * union, and reads it back with `readCheckpoint` to load each part itself.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Engine } from '../engine/engine.js';
import type { Module } from '../nn/module.js';
import type { HostTensor } from '../tensor.js';
import { writeFileAtomic } from './atomic.js';
import { encodeSafetensors, parseSafetensors } from './safetensors.js';

export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}

export const CHECKPOINT_FILES = { model: 'model.safetensors', optimizer: 'optimizer.safetensors', index: 'checkpoint.json' } as const;
const FORMAT_VERSION = 1;

export interface CheckpointExtra {
  /** Optimizer state, e.g. from `TrainStep.optimizerState()`. */
  optimizer?: Record<string, HostTensor>;
  /** JSON-serializable run state: step, epoch, config, metrics. Default {}. */
  meta?: Record<string, unknown>;
  /** If given, `engine.sync()` runs first so device-side parameters are saved, not stale host copies. */
  engine?: Engine;
}

export interface LoadedCheckpoint {
  meta: Record<string, unknown>;
  optimizer?: Record<string, HostTensor>;
}

/** A checkpoint's contents, verified against its index but not loaded into any module. */
export interface CheckpointContents extends LoadedCheckpoint {
  model: Record<string, HostTensor>;
}

interface FileRecord {
  name: string;
  bytes: number;
  sha256: string;
}

interface Index {
  format: 'tokenizer-zoo-checkpoint';
  version: number;
  files: FileRecord[];
  meta: Record<string, unknown>;
}

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** Writes `model` (a Module's state dict, or a state dict itself) and `extra` as a checkpoint directory. */
export async function saveCheckpoint(dir: string, model: Module | Record<string, HostTensor>, extra: CheckpointExtra = {}): Promise<void> {
  if (extra.engine) await extra.engine.sync();
  await mkdir(dir, { recursive: true });
  // After the sync: a Module's state dict must be taken from the synced variables.
  const state = isModule(model) ? model.stateDict() : model;
  const files: [string, Uint8Array][] = [[CHECKPOINT_FILES.model, encodeSafetensors(state, { format: 'pt' })]];
  if (extra.optimizer) files.push([CHECKPOINT_FILES.optimizer, encodeSafetensors(extra.optimizer)]);
  const index: Index = {
    format: 'tokenizer-zoo-checkpoint',
    version: FORMAT_VERSION,
    files: files.map(([name, b]) => ({ name, bytes: b.length, sha256: sha256(b) })),
    meta: extra.meta ?? {},
  };
  const json = JSON.stringify(index, null, 2) + '\n'; // fails early on non-serializable meta
  for (const [name, b] of files) await writeFileAtomic(join(dir, name), b);
  await writeFileAtomic(join(dir, CHECKPOINT_FILES.index), json);
}

/**
 * Loads the model state into `module` (strict: keys and shapes must match,
 * see Module.loadStateDict) and returns the optimizer state and meta.
 */
export async function loadCheckpoint(dir: string, module: Module, opts: { strict?: boolean } = {}): Promise<LoadedCheckpoint> {
  const { model, ...rest } = await readCheckpoint(dir);
  module.loadStateDict(model, opts.strict ?? true);
  return rest;
}

/**
 * Reads a checkpoint directory, checking every file against checkpoint.json
 * (CheckpointError when one is missing or does not match).
 */
export async function readCheckpoint(dir: string): Promise<CheckpointContents> {
  const index = await readIndex(dir);
  const load = async (name: string): Promise<Record<string, HostTensor> | undefined> => {
    const rec = index.files.find((f) => f.name === name);
    if (!rec) return undefined;
    const path = join(dir, name);
    const bytes = await readFile(path).catch(() => {
      throw new CheckpointError(`checkpoint ${dir}: ${name} is listed in ${CHECKPOINT_FILES.index} but missing`);
    });
    if (bytes.length !== rec.bytes || sha256(bytes) !== rec.sha256) {
      throw new CheckpointError(`checkpoint ${dir}: ${name} does not match ${CHECKPOINT_FILES.index} (incomplete or mixed checkpoint)`);
    }
    return parseSafetensors(bytes, path).tensors;
  };
  const model = await load(CHECKPOINT_FILES.model);
  if (!model) throw new CheckpointError(`checkpoint ${dir}: ${CHECKPOINT_FILES.index} lists no ${CHECKPOINT_FILES.model}`);
  const optimizer = await load(CHECKPOINT_FILES.optimizer);
  return optimizer ? { model, meta: index.meta, optimizer } : { model, meta: index.meta };
}

// Structural rather than instanceof: a state dict is a plain record of HostTensors.
function isModule(m: Module | Record<string, HostTensor>): m is Module {
  return typeof (m as Partial<Module>).stateDict === 'function';
}

async function readIndex(dir: string): Promise<Index> {
  const path = join(dir, CHECKPOINT_FILES.index);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new CheckpointError(`checkpoint ${dir}: no ${CHECKPOINT_FILES.index} (not a checkpoint directory, or the save did not finish)`);
  }
  let index: unknown;
  try {
    index = JSON.parse(text);
  } catch (e) {
    throw new CheckpointError(`checkpoint ${dir}: ${CHECKPOINT_FILES.index} is not valid JSON (${(e as Error).message})`);
  }
  const ix = index as Partial<Index>;
  if (ix.format !== 'tokenizer-zoo-checkpoint' || ix.version !== FORMAT_VERSION || !Array.isArray(ix.files)) {
    throw new CheckpointError(`checkpoint ${dir}: ${CHECKPOINT_FILES.index} is not a version-${FORMAT_VERSION} tokenizer-zoo checkpoint index`);
  }
  return { format: ix.format, version: ix.version, files: ix.files, meta: ix.meta ?? {} };
}
