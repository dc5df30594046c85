/**
 * `ops.grad` on the tfjs engine: gradients taken inside a running function,
 * differentiable by an enclosing valueAndGrad / train step.
 *
 * tfjs records ops on its tape only while an `engine.gradients()` call is
 * running, and a nested call reuses that same tape: the inner backward ops
 * are recorded too, so the outer call differentiates through them (this is
 * how `tf.grad(tf.grad(f))` works). A loss computed while no tape runs (a
 * plain `compile`) cannot be differentiated after the fact, so `grad` throws
 * `TapeRequired` and `compile` re-runs the call under a tape (`withTape`).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '../../ops.js';
import { ShapeError } from '../../tensor.js';
import { TfjsEngineError, unwrap, wrap } from './tensors.js';

/** Internal signal: `ops.grad` was called with no tape recording; the caller retries under one. */
export class TapeRequired extends TfjsEngineError {
  constructor() {
    super('ops.grad needs the call to run under a gradient tape (compile retries it under one)');
    this.name = 'TapeRequired';
  }
}

export function gradOf(loss: Tensor, wrt: readonly Tensor[]): Tensor[] {
  const l = unwrap(loss, 'grad loss');
  if (l.rank > 1 || l.size !== 1) throw new ShapeError('grad loss', 'a scalar (shape [] or [1])', l.shape);
  if (l.dtype !== 'float32') throw new TfjsEngineError(`grad: the loss must be float32, got ${l.dtype}`);
  const xs = wrt.map((t, i) => {
    const x = unwrap(t, `grad wrt[${i}]`);
    if (x.dtype !== 'float32') throw new TfjsEngineError(`grad: wrt[${i}] is ${x.dtype}; gradients need float32 tensors`);
    return x;
  });
  if (xs.length === 0) return [];
  if (!tf.engine().isTapeOn()) throw new TapeRequired();
  const y = l.rank === 0 ? l : tf.reshape(l, []);
  // f only returns y: its ops are already on the enclosing tape, which this call shares.
  const { grads } = tf.engine().gradients(() => y, xs, undefined, true);
  return grads.map((g, i) => wrap(g ?? tf.zerosLike(xs[i]!)));
}

/**
 * Runs `f` with the tape recording and returns its outputs (tf.keep-ed; the
 * caller disposes them). The gradient taken here is of a dummy anchor: the
 * call exists only to switch the tape on, and frees the tape when it ends.
 */
export function withTape(f: () => Record<string, tf.Tensor>): Record<string, tf.Tensor> {
  let out: Record<string, tf.Tensor> = {};
  const anchor = tf.scalar(0);
  try {
    const { grads } = tf.engine().gradients(
      () => {
        out = f();
        for (const t of Object.values(out)) tf.keep(t);
        return anchor;
      },
      [anchor],
      undefined,
      true,
    );
    for (const g of grads) g?.dispose();
  } catch (e) {
    for (const t of Object.values(out)) t.dispose();
    throw e;
  } finally {
    anchor.dispose();
  }
  return out;
}

/**
 * tfjs reports a kernel with no gradient as a plain Error; under `ops.grad`
 * that is usually a backward kernel (MaxPoolGrad, AvgPoolGrad, ...) that
 * tfjs 4.22 cannot differentiate again. Rethrown as a typed error naming it.
 */
export function explainGradientError(e: unknown, where: string): unknown {
  const m = e instanceof Error ? /gradient function not found for (\w+)/.exec(e.message) : null;
  if (!m) return e;
  return new TfjsEngineError(
    `${where}: tfjs 4.22 has no gradient for kernel '${m[1]}'. If the loss uses ops.grad (a gradient of a ` +
      'gradient), an op between its wrt tensors and its loss is not twice differentiable on the tfjs engine; ' +
      'use the onnx engine or avoid that op there (e.g. strided convs instead of max/avg pooling)',
  );
}
