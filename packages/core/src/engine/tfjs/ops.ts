/**
 * `Ops` on concrete tf.Tensors, run eagerly. Every op is a tfjs op (or a
 * composition of them) so tfjs's autodiff differentiates model code as is.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ConvOptions, ConvTransposeOptions, Ops, PadMode, PoolOptions, Tensor, TensorLike } from '../../ops.js';
import { HostTensor, ShapeError, sizeOf, type DType, type Shape } from '../../tensor.js';
import type { Variable } from '../../nn/variable.js';
import { conv, convTranspose, pool } from './conv.js';
import { gradOf } from './grad.js';
import { pad, slice } from './shape-ops.js';
import { TfjsEngineError, checkDType, fromHost, normAxis, toTf, unwrap, wrap } from './tensors.js';

/** How ops reach model state; implemented by the engine for the duration of one call. */
export interface VariableAccess {
  read(v: Variable): tf.Variable;
  /** Takes ownership of `value` (already kept out of any tidy scope). */
  scheduleAssign(v: Variable, value: tf.Tensor): void;
}

type Axes = number | readonly number[] | undefined;

/** Both operands to one dtype (tfjs's upcast: bool < int32 < float32). */
function matched(a: TensorLike, b: TensorLike): [tf.Tensor, tf.Tensor] {
  const ta = toTf(a);
  const tb = toTf(b);
  if (ta.dtype === tb.dtype) return [ta, tb];
  const dt = tf.upcastType(ta.dtype, tb.dtype);
  return [ta.dtype === dt ? ta : tf.cast(ta, dt), tb.dtype === dt ? tb : tf.cast(tb, dt)];
}

/** tfjs's StopGradient equivalent: identity forward, zero gradient. */
const stopGrad = tf.customGrad((x: tf.Tensor | tf.GradSaveFunc) => {
  const t = x as tf.Tensor;
  return { value: tf.clone(t), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) };
});

export class TfjsOps implements Ops {
  readonly engine = 'tfjs' as const;
  constructor(private readonly vars: VariableAccess) {}

  // ---- creation -----------------------------------------------------------
  constant(values: number | ArrayLike<number> | HostTensor, shape?: Shape, dtype?: DType): Tensor {
    if (values instanceof HostTensor) {
      const t = fromHost(values);
      const sh = shape ? tf.reshape(t, [...shape]) : t;
      return wrap(dtype && dtype !== values.dtype ? tf.cast(sh, dtype) : sh);
    }
    const dt = dtype ?? 'float32';
    if (typeof values === 'number') return wrap(shape ? tf.fill(shape as number[], values, dt) : tf.scalar(values, dt));
    const arr = dt === 'float32' ? Float32Array.from(values) : dt === 'int32' ? Int32Array.from(values) : Uint8Array.from(values);
    const sh = shape ?? [arr.length];
    if (sizeOf(sh) !== arr.length) throw new ShapeError('constant', `a shape with ${arr.length} elements`, sh);
    return wrap(tf.tensor(arr, sh as number[], dt));
  }
  zeros(shape: Shape, dtype: DType = 'float32'): Tensor {
    return wrap(tf.zeros(shape as number[], dtype));
  }
  ones(shape: Shape, dtype: DType = 'float32'): Tensor {
    return wrap(tf.ones(shape as number[], dtype));
  }
  fill(shape: Shape, value: number, dtype: DType = 'float32'): Tensor {
    return wrap(tf.fill(shape as number[], value, dtype));
  }
  randomNormal(shape: Shape, seed: number, mean = 0, std = 1): Tensor {
    return wrap(tf.randomNormal(shape as number[], mean, std, 'float32', seed));
  }
  randomUniform(shape: Shape, seed: number, low = 0, high = 1): Tensor {
    return wrap(tf.randomUniform(shape as number[], low, high, 'float32', seed));
  }
  range(n: number): Tensor {
    return wrap(tf.range(0, n, 1, 'int32'));
  }

  // ---- model state --------------------------------------------------------
  variable(v: Variable): Tensor {
    return wrap(this.vars.read(v));
  }
  assign(v: Variable, value: Tensor): void {
    const t = unwrap(value, 'assign');
    if (t.shape.length !== v.shape.length || t.shape.some((d, i) => d !== v.shape[i])) {
      throw new ShapeError(`assign(${v.key || 'variable'})`, `[${v.shape.join(', ')}]`, t.shape);
    }
    this.vars.scheduleAssign(v, tf.keep(t.dtype === 'float32' ? tf.clone(t) : tf.cast(t, 'float32')));
  }

  // ---- elementwise --------------------------------------------------------
  add(a: TensorLike, b: TensorLike): Tensor {
    return wrap(tf.add(...matched(a, b)));
  }
  sub(a: TensorLike, b: TensorLike): Tensor {
    return wrap(tf.sub(...matched(a, b)));
  }
  mul(a: TensorLike, b: TensorLike): Tensor {
    return wrap(tf.mul(...matched(a, b)));
  }
  div(a: TensorLike, b: TensorLike): Tensor {
    return wrap(tf.div(...matched(a, b)));
  }
  pow(a: TensorLike, b: TensorLike): Tensor {
    return wrap(tf.pow(...matched(a, b)));
  }
  maximum(a: TensorLike, b: TensorLike): Tensor {
    return wrap(tf.maximum(...matched(a, b)));
  }
  minimum(a: TensorLike, b: TensorLike): Tensor {
    return wrap(tf.minimum(...matched(a, b)));
  }
  neg(x: Tensor): Tensor {
    return wrap(tf.neg(unwrap(x)));
  }
  abs(x: Tensor): Tensor {
    return wrap(tf.abs(unwrap(x)));
  }
  exp(x: Tensor): Tensor {
    return wrap(tf.exp(unwrap(x)));
  }
  log(x: Tensor): Tensor {
    return wrap(tf.log(unwrap(x)));
  }
  sqrt(x: Tensor): Tensor {
    return wrap(tf.sqrt(unwrap(x)));
  }
  rsqrt(x: Tensor): Tensor {
    return wrap(tf.rsqrt(unwrap(x)));
  }
  square(x: Tensor): Tensor {
    return wrap(tf.square(unwrap(x)));
  }
  tanh(x: Tensor): Tensor {
    return wrap(tf.tanh(unwrap(x)));
  }
  sigmoid(x: Tensor): Tensor {
    return wrap(tf.sigmoid(unwrap(x)));
  }
  /** Composed from taped ops, so tfjs differentiates it (to any order) like the rest. */
  silu(x: Tensor): Tensor {
    return this.mul(x, this.sigmoid(x));
  }
  erf(x: Tensor): Tensor {
    return wrap(tf.erf(unwrap(x)));
  }
  relu(x: Tensor): Tensor {
    return wrap(tf.relu(unwrap(x)));
  }
  leakyRelu(x: Tensor, alpha: number): Tensor {
    return wrap(tf.leakyRelu(unwrap(x), alpha));
  }
  sign(x: Tensor): Tensor {
    return wrap(tf.sign(unwrap(x)));
  }
  /** tf.round is half-to-even on every backend (checked in tfjs-ops tests). */
  round(x: Tensor): Tensor {
    return wrap(tf.round(unwrap(x)));
  }
  floor(x: Tensor): Tensor {
    return wrap(tf.floor(unwrap(x)));
  }
  clip(x: Tensor, min: number, max: number): Tensor {
    return wrap(tf.clipByValue(unwrap(x), min, max));
  }
  cast(x: Tensor, dtype: DType): Tensor {
    const t = unwrap(x);
    return wrap(t.dtype === dtype ? tf.clone(t) : tf.cast(t, dtype));
  }

  // ---- comparison / selection ---------------------------------------------
  equal(a: TensorLike, b: TensorLike): Tensor {
    return wrap(tf.equal(...matched(a, b)));
  }
  greater(a: TensorLike, b: TensorLike): Tensor {
    return wrap(tf.greater(...matched(a, b)));
  }
  greaterEqual(a: TensorLike, b: TensorLike): Tensor {
    return wrap(tf.greaterEqual(...matched(a, b)));
  }
  less(a: TensorLike, b: TensorLike): Tensor {
    return wrap(tf.less(...matched(a, b)));
  }
  lessEqual(a: TensorLike, b: TensorLike): Tensor {
    return wrap(tf.lessEqual(...matched(a, b)));
  }
  logicalAnd(a: Tensor, b: Tensor): Tensor {
    return wrap(tf.logicalAnd(toBool(unwrap(a)), toBool(unwrap(b))));
  }
  logicalNot(a: Tensor): Tensor {
    return wrap(tf.logicalNot(toBool(unwrap(a))));
  }
  where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
    return wrap(tf.where(toBool(unwrap(cond, 'where')), ...matched(a, b)));
  }

  // ---- reductions ---------------------------------------------------------
  sum(x: Tensor, axes?: Axes, keepDims = false): Tensor {
    return wrap(tf.sum(unwrap(x), axesOf(axes), keepDims));
  }
  mean(x: Tensor, axes?: Axes, keepDims = false): Tensor {
    return wrap(tf.mean(unwrap(x), axesOf(axes), keepDims));
  }
  max(x: Tensor, axes?: Axes, keepDims = false): Tensor {
    return wrap(tf.max(unwrap(x), axesOf(axes), keepDims));
  }
  min(x: Tensor, axes?: Axes, keepDims = false): Tensor {
    return wrap(tf.min(unwrap(x), axesOf(axes), keepDims));
  }
  argmax(x: Tensor, axis: number): Tensor {
    const t = unwrap(x);
    return wrap(tf.argMax(t, normAxis(axis, t.rank, 'argmax')));
  }
  argmin(x: Tensor, axis: number): Tensor {
    const t = unwrap(x);
    return wrap(tf.argMin(t, normAxis(axis, t.rank, 'argmin')));
  }
  /** Composed from taped ops, so tfjs differentiates it (to any order) like the rest. */
  normalizeLast(x: Tensor, eps: number): Tensor {
    const centered = this.sub(x, this.mean(x, -1, true));
    return this.mul(centered, this.rsqrt(this.add(this.mean(this.square(centered), -1, true), eps)));
  }
  softmax(x: Tensor, axis = -1): Tensor {
    return wrap(alongLastAxis(unwrap(x), axis, 'softmax', (t) => tf.softmax(t)));
  }
  /**
   * Composed from taped ops rather than tf.logSoftmax, whose custom gradient
   * reads its saved output and so is wrong at second order (see gradients.ts).
   * Same forward arithmetic; the max shift carries no gradient.
   */
  logSoftmax(x: Tensor, axis = -1): Tensor {
    return wrap(alongLastAxis(unwrap(x), axis, 'logSoftmax', (t) => {
      const shifted = tf.sub(t, stopGrad(tf.max(t, -1, true)) as tf.Tensor);
      return tf.sub(shifted, tf.log(tf.sum(tf.exp(shifted), -1, true)));
    }));
  }

  // ---- linear algebra / convolution ---------------------------------------
  matmul(a: Tensor, b: Tensor, transposeA = false, transposeB = false): Tensor {
    const ta = unwrap(a);
    const tb = unwrap(b);
    if (ta.rank < 2 || tb.rank < 2) throw new ShapeError('matmul', 'both operands of rank >= 2', ta.rank < 2 ? ta.shape : tb.shape);
    return wrap(tf.matMul(ta, tb, transposeA, transposeB));
  }
  conv(x: Tensor, w: Tensor, bias?: Tensor, opts?: ConvOptions): Tensor {
    return wrap(conv(unwrap(x), unwrap(w), bias && unwrap(bias), opts));
  }
  convTranspose(x: Tensor, w: Tensor, bias?: Tensor, opts?: ConvTransposeOptions): Tensor {
    return wrap(convTranspose(unwrap(x), unwrap(w), bias && unwrap(bias), opts));
  }
  avgPool(x: Tensor, opts: PoolOptions): Tensor {
    return wrap(pool('avg', unwrap(x), opts));
  }
  maxPool(x: Tensor, opts: PoolOptions): Tensor {
    return wrap(pool('max', unwrap(x), opts));
  }

  // ---- shape --------------------------------------------------------------
  reshape(x: Tensor, shape: Shape): Tensor {
    const t = unwrap(x);
    try {
      return wrap(tf.reshape(t, [...shape]));
    } catch {
      throw new ShapeError(`reshape to [${shape.join(', ')}]`, `${sizeOf(shape.map((d) => (d < 0 ? 1 : d)))} elements`, t.shape);
    }
  }
  transpose(x: Tensor, perm: readonly number[]): Tensor {
    return wrap(tf.transpose(unwrap(x), perm as number[]));
  }
  slice(x: Tensor, begin: readonly number[], end: readonly number[], axes?: readonly number[], steps?: readonly number[]): Tensor {
    return wrap(slice(unwrap(x), begin, end, axes, steps));
  }
  pad(x: Tensor, pads: readonly (readonly [number, number])[], mode?: PadMode, value?: number): Tensor {
    return wrap(pad(unwrap(x), pads, mode, value));
  }
  concat(xs: readonly Tensor[], axis: number): Tensor {
    if (xs.length === 0) throw new TfjsEngineError('concat: needs at least one tensor');
    const ts = xs.map((x) => unwrap(x, 'concat'));
    const dt = ts.map((t) => t.dtype).reduce((a, b) => tf.upcastType(a, b));
    return wrap(tf.concat(ts.map((t) => (t.dtype === dt ? t : tf.cast(t, dt))), normAxis(axis, ts[0]!.rank, 'concat')));
  }
  broadcastTo(x: Tensor, shape: Shape): Tensor {
    return wrap(tf.broadcastTo(unwrap(x), shape as number[]));
  }
  gather(x: Tensor, indices: Tensor, axis = 0): Tensor {
    const t = unwrap(x);
    const idx = unwrap(indices, 'gather indices');
    return wrap(tf.gather(t, idx.dtype === 'int32' ? idx : tf.cast(idx, 'int32'), normAxis(axis, t.rank, 'gather')));
  }
  oneHot(indices: Tensor, depth: number): Tensor {
    const idx = unwrap(indices, 'oneHot indices');
    return wrap(tf.cast(tf.oneHot(idx.dtype === 'int32' ? idx : tf.cast(idx, 'int32'), depth), 'float32'));
  }

  // ---- autodiff -----------------------------------------------------------
  stopGradient(x: Tensor): Tensor {
    const t = unwrap(x);
    // Only float tensors carry gradients; integer and bool ones pass through.
    return wrap(checkDType(t.dtype, 'stopGradient') === 'float32' ? stopGrad(t) : tf.clone(t));
  }
  /** tfjs's own (taped) gradients, so an enclosing valueAndGrad differentiates through them (grad.ts). */
  grad(loss: Tensor, wrt: readonly Tensor[]): Tensor[] {
    return gradOf(loss, wrt);
  }
}

function toBool(t: tf.Tensor): tf.Tensor {
  return t.dtype === 'bool' ? t : tf.notEqual(t, tf.scalar(0, t.dtype));
}

function axesOf(axes: Axes): number | number[] | undefined {
  return axes === undefined || typeof axes === 'number' ? axes : [...axes];
}

/** tfjs's softmax/logSoftmax only work on the last axis: move `axis` there and back. */
function alongLastAxis(t: tf.Tensor, axis: number, where: string, f: (t: tf.Tensor) => tf.Tensor): tf.Tensor {
  const a = normAxis(axis, t.rank, where);
  if (a === t.rank - 1) return f(t);
  const perm = [...Array(t.rank).keys()];
  perm[a] = t.rank - 1;
  perm[t.rank - 1] = a;
  return tf.transpose(f(tf.transpose(t, perm)), perm);
}
