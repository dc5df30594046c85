/**
 * Interleaving same-shaped tensors along an axis, written once for model code
 * (`Ops`) and the onnx engine's own lowerings (`SymOps`, whose methods return
 * symbolic tensors): hence the structural `ops` type.
 */
import type { Shape } from '../tensor.js';
import type { Tensor } from '../ops.js';

interface ReshapeConcat<T extends Tensor> {
  reshape(x: T, shape: Shape): T;
  concat(xs: readonly T[], axis: number): T;
}

const prod = (xs: readonly number[]): number => xs.reduce((a, b) => a * b, 1);

/**
 * Same-shaped parts [.., D, ..] -> [.., D*k, ..] along `axis`, element d*k + j
 * from parts[j]: one Concat on a unit axis inserted after `axis`. Interleaving
 * this way rather than by a transpose that moves a small axis innermost keeps
 * onnxruntime on its fast Concat (and Split-gradient) kernels instead of its
 * element-by-element transpose.
 */
export function interleave<T extends Tensor>(ops: ReshapeConcat<T>, parts: readonly T[], axis: number): T {
  if (parts.length === 1) return parts[0]!;
  const shape = parts[0]!.shape;
  const pre = prod(shape.slice(0, axis + 1));
  const post = prod(shape.slice(axis + 1));
  const cols = parts.map((p) => ops.reshape(p, [pre, 1, post]));
  return ops.reshape(ops.concat(cols, 1), [...shape.slice(0, axis), shape[axis]! * parts.length, ...shape.slice(axis + 1)]);
}
