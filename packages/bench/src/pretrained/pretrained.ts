/**
 * Published tokenizers loaded from their authors' PyTorch checkpoints: the
 * contract they share with the bench (encode clips to indices, decode back)
 * and the typed errors of loading one.
 */
import { Module, StateDictError, type HostTensor, type Ops, type Shape, type Tensor } from '@zoo/core';

export class PretrainedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PretrainedError';
  }
}

/**
 * A checkpoint whose keys or shapes do not fit the architecture: every
 * missing key, unexpected key and wrong shape is listed (message and fields).
 */
export class PretrainedArchitectureError extends PretrainedError {
  constructor(
    readonly kind: string,
    readonly source: string,
    readonly missing: string[],
    readonly unexpected: string[],
    readonly wrongShape: string[],
  ) {
    const parts = [
      missing.length ? `missing keys [${missing.join(', ')}]` : '',
      unexpected.length ? `unexpected keys [${unexpected.join(', ')}]` : '',
      wrongShape.length ? `wrong shapes [${wrongShape.join('; ')}]` : '',
    ].filter(Boolean);
    super(`${source} is not a ${kind} checkpoint of the architecture its shapes describe: ${parts.join(', ')}`);
    this.name = 'PretrainedArchitectureError';
  }
}

/** What the bench needs from a loaded published tokenizer. Pixels are [B, 3, T, H, W] in [-1, 1]. */
export interface PretrainedModel extends Module {
  readonly kind: string;
  readonly codebookSize: number;
  encode(ops: Ops, x: Tensor): Tensor;
  decode(ops: Ops, indices: Tensor): Tensor;
  /** Token grid per clip and codebook size per token position, from an index shape [B, ...]. */
  rateOf(indexShape: Shape): { tokenShape: number[]; codebookSizes: number[] };
}

/** Loads `sd` strictly into `model`, turning a StateDictError into a PretrainedArchitectureError. */
export function loadStrict(model: Module, sd: Record<string, HostTensor>, kind: string, source: string): void {
  try {
    model.loadStateDict(sd, true);
  } catch (e) {
    if (e instanceof StateDictError) throw new PretrainedArchitectureError(kind, source, e.missing, e.unexpected, e.wrongShape);
    throw e;
  }
}

/**
 * Before building anything: the keys the architecture is read from must be
 * there. If not, the checkpoint is of something else; the error lists them
 * and every key outside the architecture's top-level modules (`prefixes`).
 */
export function requireKeys(sd: Record<string, HostTensor>, kind: string, source: string, keys: readonly string[], prefixes: readonly string[]): void {
  const missing = keys.filter((k) => !(k in sd));
  if (!missing.length) return;
  const unexpected = Object.keys(sd).filter((k) => !prefixes.some((p) => k.startsWith(p)));
  throw new PretrainedArchitectureError(kind, source, missing, unexpected, []);
}

/** The shape of `key`, or undefined. */
export function shapeOf(sd: Record<string, HostTensor>, key: string): number[] | undefined {
  return sd[key]?.shape;
}

/** Largest n such that `${prefix}${i}${suffix}` exists for all i < n. */
export function countIndexed(sd: Record<string, HostTensor>, prefix: string, suffix = '.'): number {
  const keys = Object.keys(sd);
  let n = 0;
  while (keys.some((k) => k.startsWith(`${prefix}${n}${suffix}`))) n++;
  return n;
}

/** A copy of `sd` without the keys under any of `prefixes` (training-only parts: losses, discriminators). */
export function dropPrefixes(sd: Record<string, HostTensor>, prefixes: readonly string[]): Record<string, HostTensor> {
  return Object.fromEntries(Object.entries(sd).filter(([k]) => !prefixes.some((p) => k.startsWith(p))));
}

/** A bare module holding one parameter `weight` (nn.Embedding's key layout). */
export class Embedding extends Module {
  readonly weight;
  constructor(value: HostTensor<'float32'>) {
    super();
    this.weight = this.param('weight', value);
  }
}
