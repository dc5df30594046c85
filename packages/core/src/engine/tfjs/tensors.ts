/**
 * The seam between the backend-neutral `Tensor` / `HostTensor` types and
 * tf.Tensors. Kept in one place so the casts that TypeScript needs (tfjs's
 * DataType is wider than our DType) are not scattered through the ops.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, TensorLike } from '../../ops.js';
import { HostTensor, type DType } from '../../tensor.js';

export class TfjsEngineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TfjsEngineError';
  }
}

/** Our tensors are always float32/int32/bool tf.Tensors, so the cast is sound. */
export function wrap(t: tf.Tensor): Tensor {
  return t as unknown as Tensor;
}

export function unwrap(x: Tensor, where = 'tfjs ops'): tf.Tensor {
  if (!(x instanceof tf.Tensor)) {
    throw new TfjsEngineError(
      `${where}: expected a tensor created by the tfjs engine, got ${describe(x)} ` +
        '(tensors from the onnx engine or host HostTensors cannot be mixed in; use ops.constant for host data)',
    );
  }
  return x;
}

/** A plain number becomes a float32 scalar (ops.ts convention). */
export function toTf(x: TensorLike, where?: string): tf.Tensor {
  return typeof x === 'number' ? tf.scalar(x, 'float32') : unwrap(x, where);
}

function describe(x: unknown): string {
  if (x instanceof HostTensor) return 'a HostTensor';
  if (x === null || x === undefined) return String(x);
  return typeof x === 'object' ? (x.constructor?.name ?? 'object') : typeof x;
}

export function checkDType(dtype: string, where: string): DType {
  if (dtype === 'float32' || dtype === 'int32' || dtype === 'bool') return dtype;
  throw new TfjsEngineError(`${where}: unsupported dtype '${dtype}' (valid: float32, int32, bool)`);
}

/**
 * Host → tf. The data is copied: the cpu backend would otherwise keep the
 * caller's typed array as its storage, and later in-place host edits would
 * silently change the device tensor on one backend but not another.
 */
export function fromHost(h: HostTensor): tf.Tensor {
  return tf.tensor(h.data.slice(), h.shape, h.dtype);
}

/** tf → host, always a fresh array the caller may mutate. */
export async function toHost(t: tf.Tensor): Promise<HostTensor> {
  const dtype = checkDType(t.dtype, 'toHost');
  const d = await t.data();
  if (dtype === 'float32') return new HostTensor(t.shape, Float32Array.from(d as Float32Array), 'float32');
  if (dtype === 'int32') return new HostTensor(t.shape, Int32Array.from(d as Int32Array), 'int32');
  return new HostTensor(t.shape, Uint8Array.from(d as Uint8Array), 'bool');
}

export async function toHostFloat(t: tf.Tensor): Promise<HostTensor<'float32'>> {
  const d = await t.data();
  return new HostTensor(t.shape, Float32Array.from(d as Float32Array), 'float32');
}

/** Normalizes a possibly-negative axis against `rank`. */
export function normAxis(axis: number, rank: number, where: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) {
    throw new TfjsEngineError(`${where}: axis ${axis} is out of range for a rank-${rank} tensor (valid: ${-rank}..${rank - 1})`);
  }
  return a;
}
