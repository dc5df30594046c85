/**
 * pad and slice with ONNX/PyTorch semantics, built only from tfjs ops that
 * have registered gradients (tfjs's StridedSlice has none, so strided slices
 * are done with slice + reshape).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { PadMode } from '../../ops.js';
import { ShapeError } from '../../tensor.js';
import { TfjsEngineError, normAxis } from './tensors.js';

type Pair = [number, number];

function sliceAxis(x: tf.Tensor, axis: number, begin: number, size: number): tf.Tensor {
  const b = new Array<number>(x.rank).fill(0);
  const s = x.shape.slice();
  b[axis] = begin;
  s[axis] = size;
  return tf.slice(x, b, s);
}

/** Repeats the edge slice `n` times along `axis` (PyTorch 'replicate'). */
function edge(x: tf.Tensor, axis: number, first: boolean, n: number): tf.Tensor {
  const e = sliceAxis(x, axis, first ? 0 : x.shape[axis]! - 1, 1);
  const reps = new Array<number>(x.rank).fill(1);
  reps[axis] = n;
  return tf.tile(e, reps);
}

/**
 * pads: [before, after] for every axis. Negative entries crop (ONNX Pad).
 * 'reflect' excludes the edge (PyTorch/numpy 'reflect') and needs pad < dim.
 */
export function pad(x: tf.Tensor, pads: readonly (readonly [number, number])[], mode: PadMode = 'constant', value = 0): tf.Tensor {
  if (pads.length !== x.rank) {
    throw new ShapeError('pad', `one [before, after] pair per axis (${pads.length} pairs given)`, x.shape);
  }
  let t = x;
  if (pads.some(([a, b]) => a < 0 || b < 0)) {
    t = tf.slice(
      t,
      pads.map(([a]) => Math.max(0, -a)),
      pads.map(([a, b], i) => x.shape[i]! - Math.max(0, -a) - Math.max(0, -b)),
    );
  }
  const pos = pads.map(([a, b]): Pair => [Math.max(0, a), Math.max(0, b)]);
  if (pos.every(([a, b]) => a === 0 && b === 0)) return t === x ? tf.clone(x) : t;
  if (mode === 'constant') return tf.pad(t, pos, value);
  if (mode === 'reflect') {
    pos.forEach(([a, b], i) => {
      if (a >= t.shape[i]! || b >= t.shape[i]!) {
        throw new ShapeError('pad (reflect)', `padding < size on every axis (axis ${i} pads [${a}, ${b}])`, t.shape);
      }
    });
    // Built from slices: tf.mirrorPad's gradient (tfjs 4.22) drops the mirrored contributions.
    pos.forEach(([a, b], axis) => {
      if (a === 0 && b === 0) return;
      const n = t.shape[axis]!;
      const parts: tf.Tensor[] = [];
      if (a > 0) parts.push(tf.reverse(sliceAxis(t, axis, 1, a), axis));
      parts.push(t);
      if (b > 0) parts.push(tf.reverse(sliceAxis(t, axis, n - 1 - b, b), axis));
      t = tf.concat(parts, axis);
    });
    return t;
  }
  if (mode === 'replicate') {
    pos.forEach(([a, b], axis) => {
      if (a === 0 && b === 0) return;
      const parts: tf.Tensor[] = [];
      if (a > 0) parts.push(edge(t, axis, true, a));
      parts.push(t);
      if (b > 0) parts.push(edge(t, axis, false, b));
      t = tf.concat(parts, axis);
    });
    return t;
  }
  throw new TfjsEngineError(`pad: unknown mode '${String(mode)}' (valid: constant, reflect, replicate)`);
}

/** ONNX Slice: begin/end clamped to each dim, negative values count from the end. */
export function slice(
  x: tf.Tensor,
  begin: readonly number[],
  end: readonly number[],
  axes?: readonly number[],
  steps?: readonly number[],
): tf.Tensor {
  const ax = axes ?? begin.map((_, i) => i);
  if (begin.length !== end.length || ax.length !== begin.length || (steps && steps.length !== begin.length)) {
    throw new TfjsEngineError(
      `slice: begin (${begin.length}), end (${end.length}), axes (${ax.length}) and steps (${steps?.length ?? '-'}) must have equal lengths`,
    );
  }
  let t = x;
  ax.forEach((a0, i) => {
    const axis = normAxis(a0, x.rank, 'slice');
    const dim = t.shape[axis]!;
    const step = steps?.[i] ?? 1;
    if (!Number.isInteger(step) || step < 1) throw new TfjsEngineError(`slice: step ${step} on axis ${axis} is not supported (valid: integers >= 1)`);
    const clamp = (v: number): number => Math.min(dim, Math.max(0, v < 0 ? v + dim : v));
    const b = clamp(begin[i]!);
    const e = Math.max(b, clamp(end[i]!));
    const n = Math.ceil((e - b) / step);
    if (step === 1 || n === 0) {
      t = sliceAxis(t, axis, b, e - b);
      return;
    }
    // Take n*step elements (zero-padding the tail), fold into [n, step], keep index 0.
    const avail = Math.min(dim - b, n * step);
    let s = sliceAxis(t, axis, b, avail);
    if (avail < n * step) s = tf.pad(s, s.shape.map((_, j): Pair => (j === axis ? [0, n * step - avail] : [0, 0])));
    const folded = [...s.shape.slice(0, axis), n, step, ...s.shape.slice(axis + 1)];
    const picked = sliceAxis(tf.reshape(s, folded), axis + 1, 0, 1);
    t = tf.reshape(picked, [...s.shape.slice(0, axis), n, ...s.shape.slice(axis + 1)]);
  });
  return t === x ? tf.clone(x) : t;
}
