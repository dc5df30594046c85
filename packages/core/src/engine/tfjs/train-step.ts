/**
 * The tfjs training step: forward under tfjs's tape, gradients of `loss`
 * with respect to the parameters' tf.Variables, then the Adam/AdamW update
 * of adam.ts applied to the variables in place.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Ops } from '../../ops.js';
import { HostTensor, ShapeError } from '../../tensor.js';
import type { Variable } from '../../nn/variable.js';
import type { AdamConfig, HostOutputs, Inputs, Outputs, StepResult, TensorInputs, TrainStep } from '../engine.js';
import { adamUpdate, clipByGlobalNorm, globalNorm, type Moments } from './adam.js';
import { explainGradientError } from './grad.js';
import { TfjsOps } from './ops.js';
import { asOpsInputs, detach, lossOf, readAndDispose, toInputs } from './run.js';
import { TfjsEngineError, fromHost, toHostFloat } from './tensors.js';
import { CallScope, type VariableStore } from './variables.js';

/** Keys used in optimizerState(): torch's state names, per parameter key. */
const M_KEY = (k: string): string => `exp_avg:${k}`;
const V_KEY = (k: string): string => `exp_avg_sq:${k}`;

export class TfjsTrainStep<I extends Inputs, O extends Outputs> implements TrainStep<I, O> {
  private step = 0;
  private moments: (Moments | undefined)[];
  private readonly keys: string[];

  constructor(
    private readonly store: VariableStore,
    private readonly activate: () => Promise<void>,
    private readonly fn: (ops: Ops, inputs: TensorInputs<I>) => O,
    private readonly params: readonly Variable[],
    private readonly cfg: AdamConfig,
  ) {
    if (cfg.kind !== 'adam' && cfg.kind !== 'adamw') {
      throw new TfjsEngineError(`optimizer kind '${String(cfg.kind)}' is not supported (valid: adam, adamw)`);
    }
    // Variables without a dotted key (not owned by a named module) fall back to their position.
    this.keys = params.map((v, i) => v.key || `param.${i}`);
    this.moments = params.map(() => undefined);
  }

  async run(inputs: I, opts?: { lr?: number }): Promise<StepResult<O>> {
    await this.activate();
    const lr = opts?.lr ?? this.cfg.lr;
    const scope = new CallScope(this.store);
    const ops = new TfjsOps(scope);
    const t = this.step + 1;
    const kept: tf.Tensor[] = [];
    let outs: Record<string, tf.Tensor> = {};
    let norm: tf.Tensor | undefined;
    let next: Moments[] = [];
    try {
      // Everything that outlives the tidy is tf.keep()-ed and listed in `kept`.
      tf.tidy(() => {
        const tin = toInputs(inputs);
        const xs = this.params.map((v) => this.store.get(v));
        const { value, grads } = tf.engine().gradients(
          () => {
            const o = this.fn(ops, asOpsInputs<TensorInputs<I>>(tin));
            const loss = lossOf(o, 'compileTrainStep');
            outs = detach(o);
            for (const e of Object.values(outs)) kept.push(tf.keep(e));
            return loss;
          },
          xs,
          undefined,
          true,
        );
        outs['loss'] = value;
        kept.push(tf.keep(value));
        const g = grads.map((gr, i) => gr ?? tf.zerosLike(xs[i]!));
        const n = globalNorm(g);
        norm = n;
        kept.push(tf.keep(n));
        const clipped = clipByGlobalNorm(g, n, this.cfg.clipGradNorm);
        next = xs.map((p, i) => {
          const prev = this.moments[i] ?? { m: tf.zerosLike(p), v: tf.zerosLike(p) };
          const nm = adamUpdate(p, clipped[i]!, prev, t, this.cfg, lr);
          kept.push(tf.keep(nm.m), tf.keep(nm.v));
          return nm;
        });
      });
    } catch (e) {
      for (const k of kept) k.dispose();
      scope.discard();
      throw explainGradientError(e, 'compileTrainStep');
    }
    this.step = t;
    this.moments.forEach((m) => {
      m?.m.dispose();
      m?.v.dispose();
    });
    this.moments = next;
    const gradNorm = (await norm!.data())[0]!;
    norm!.dispose();
    const host = await readAndDispose(outs);
    await scope.commit();
    return { outputs: host as HostOutputs<O>, gradNorm };
  }

  async optimizerState(): Promise<Record<string, HostTensor>> {
    const out: Record<string, HostTensor> = { step: HostTensor.int([this.step], []) };
    for (let i = 0; i < this.params.length; i++) {
      const m = this.moments[i];
      const shape = this.params[i]!.shape;
      out[M_KEY(this.keys[i]!)] = m ? await toHostFloat(m.m) : HostTensor.zeros(shape);
      out[V_KEY(this.keys[i]!)] = m ? await toHostFloat(m.v) : HostTensor.zeros(shape);
    }
    return out;
  }

  async loadOptimizerState(state: Record<string, HostTensor>): Promise<void> {
    const step = state['step'];
    if (!step || step.size !== 1) throw new TfjsEngineError("loadOptimizerState: missing scalar 'step'");
    const next = this.params.map((v, i): Moments => {
      const load = (key: string): tf.Tensor => {
        const h = state[key];
        if (!h) throw new TfjsEngineError(`loadOptimizerState: missing '${key}'`);
        if (h.shape.length !== v.shape.length || h.shape.some((d, j) => d !== v.shape[j])) {
          throw new ShapeError(`loadOptimizerState '${key}'`, `[${v.shape.join(', ')}]`, h.shape);
        }
        return fromHost(h.dtype === 'float32' ? h : new HostTensor(h.shape, Float32Array.from(h.data), 'float32'));
      };
      return { m: load(M_KEY(this.keys[i]!)), v: load(V_KEY(this.keys[i]!)) };
    });
    this.moments.forEach((m) => {
      m?.m.dispose();
      m?.v.dispose();
    });
    this.moments = next;
    this.step = step.item();
  }

  dispose(): void {
    this.moments.forEach((m) => {
      m?.m.dispose();
      m?.v.dispose();
    });
    this.moments = this.params.map(() => undefined);
  }
}
