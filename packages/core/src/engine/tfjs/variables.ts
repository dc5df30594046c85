/**
 * One tf.Variable per model Variable, created on first use and kept across
 * calls (device-resident parameters), plus the per-call buffer of scheduled
 * `assign`s that is applied after the call returns.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Variable } from '../../nn/variable.js';
import type { HostTensor } from '../../tensor.js';
import type { VariableAccess } from './ops.js';
import { fromHost, toHostFloat } from './tensors.js';

interface Entry {
  tv: tf.Variable;
  /** The host value the device copy was last made from / written to. */
  seen: HostTensor<'float32'>;
}

export class VariableStore {
  private readonly entries = new Map<Variable, Entry>();

  /**
   * The device copy of `v`. If host code replaced `v.value` since the last
   * upload or sync (loadStateDict, k-means init, dead-code restart), the new
   * value is uploaded; in-place edits of `v.value.data` are not detected.
   */
  get(v: Variable): tf.Variable {
    const e = this.entries.get(v);
    if (e && e.seen === v.value) return e.tv;
    const init = fromHost(v.value);
    try {
      if (e && sameShape(e.tv.shape, v.value.shape)) {
        e.tv.assign(init);
        e.seen = v.value;
        return e.tv;
      }
      e?.tv.dispose();
      const tv = tf.variable(init, v.trainable);
      this.entries.set(v, { tv, seen: v.value });
      return tv;
    } finally {
      init.dispose();
    }
  }

  /** Sets the device value and mirrors it to `v.value` (assigned buffers are visible right after a call). */
  async write(v: Variable, value: tf.Tensor): Promise<void> {
    const tv = this.get(v);
    tv.assign(value);
    v.value = await toHostFloat(tv);
    this.entries.get(v)!.seen = v.value;
  }

  /** Device → host for every variable this engine has touched. */
  async sync(): Promise<void> {
    for (const [v, e] of this.entries) {
      if (e.seen !== v.value) continue; // host replaced it since; the host value wins
      v.value = await toHostFloat(e.tv);
      e.seen = v.value;
    }
  }

  dispose(): void {
    for (const e of this.entries.values()) e.tv.dispose();
    this.entries.clear();
  }
}

/** VariableAccess for one call: reads go to the store, assigns wait for commit(). */
export class CallScope implements VariableAccess {
  private readonly pending = new Map<Variable, tf.Tensor>();
  constructor(private readonly store: VariableStore) {}

  read(v: Variable): tf.Variable {
    return this.store.get(v);
  }

  scheduleAssign(v: Variable, value: tf.Tensor): void {
    this.pending.get(v)?.dispose();
    this.pending.set(v, value);
  }

  async commit(): Promise<void> {
    try {
      for (const [v, t] of this.pending) await this.store.write(v, t);
    } finally {
      this.discard();
    }
  }

  discard(): void {
    for (const t of this.pending.values()) t.dispose();
    this.pending.clear();
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
