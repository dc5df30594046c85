/** Helpers shared by the compiled-function kinds: inputs in, outputs out, tensors freed. */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '../../ops.js';
import type { HostTensor } from '../../tensor.js';
import type { Inputs, Outputs } from '../engine.js';
import { fromHost, toHost, unwrap, wrap } from './tensors.js';

/** Host inputs as engine tensors (call inside a tidy: they are freed with it). */
export function toInputs(inputs: Inputs): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const [k, h] of Object.entries(inputs)) out[k] = fromHost(h);
  return out;
}

export function asOpsInputs<T>(tin: Record<string, tf.Tensor>): T {
  const out: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(tin)) out[k] = wrap(t);
  return out as T;
}

/**
 * Outputs as plain tf.Tensors the caller may dispose: a returned tf.Variable
 * (e.g. `ops.variable(v)` passed straight through) is cloned so disposing the
 * outputs never frees model state.
 */
export function detach(o: Outputs): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const [k, t] of Object.entries(o)) {
    const tt = unwrap(t, `output '${k}'`);
    out[k] = tt instanceof tf.Variable ? tf.clone(tt) : tt;
  }
  return out;
}

/** Reads every output to the host, then frees them all. */
export async function readAndDispose(outs: Record<string, tf.Tensor>): Promise<Record<string, HostTensor>> {
  try {
    const host: Record<string, HostTensor> = {};
    for (const [k, t] of Object.entries(outs)) host[k] = await toHost(t);
    return host;
  } finally {
    for (const t of Object.values(outs)) t.dispose();
  }
}

/** The scalar to differentiate: `loss` must have exactly one element. */
export function lossOf(o: Outputs, where: string): tf.Tensor {
  if (!('loss' in o)) throw new TypeError(`${where}: the function must return a 'loss' output`);
  const loss = unwrap(o['loss']!, `${where} output 'loss'`);
  if (loss.size !== 1 || loss.dtype !== 'float32') {
    throw new TypeError(`${where}: 'loss' must be a float32 scalar, got ${loss.dtype} [${loss.shape.join(', ')}]`);
  }
  return loss.rank === 0 ? loss : tf.reshape(loss, []);
}
