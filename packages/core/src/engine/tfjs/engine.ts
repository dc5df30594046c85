/**
 * The eager tfjs engine: `fn` runs on concrete tf.Tensors each call (no
 * tracing), gradients come from tfjs's tape. It is the independent oracle the
 * onnx engine is tested against, so it favours plain tfjs ops over cleverness.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Ops, Tensor } from '../../ops.js';
import type { Variable } from '../../nn/variable.js';
import type {
  AdamConfig,
  CompiledFn,
  Engine,
  HostOutputs,
  Inputs,
  Outputs,
  TensorInputs,
  TrainStep,
} from '../engine.js';
import { checkTrainable } from '../engine.js';
import { TF_NAME, selectBackend, type TfjsBackendName } from './backends.js';
import { TapeRequired, explainGradientError, withTape } from './grad.js';
import { TfjsOps } from './ops.js';
import { asOpsInputs, detach, lossOf, readAndDispose, toInputs } from './run.js';
import { TfjsEngineError } from './tensors.js';
import { TfjsTrainStep } from './train-step.js';
import { CallScope, VariableStore } from './variables.js';

export interface TfjsEngineOptions {
  /**
   * Force a backend. Default: the first that loads of tensorflow-gpu
   * (@tensorflow/tfjs-node-gpu), tensorflow (@tensorflow/tfjs-node), wasm, cpu
   * — the order in DESIGN.md.
   */
  backend?: TfjsBackendName;
}

export async function createTfjsEngine(opts: TfjsEngineOptions = {}): Promise<Engine> {
  const backend = await selectBackend(opts.backend);
  const engine = new TfjsEngine(backend);
  await engine.activate();
  return engine;
}

class TfjsEngine implements Engine {
  readonly name = 'tfjs' as const;
  private readonly store = new VariableStore();
  private readonly steps = new Set<TfjsTrainStep<Inputs, Outputs>>();
  private disposed = false;

  constructor(readonly device: TfjsBackendName) {}

  /** tfjs has one global backend; an engine re-selects its own before each call. */
  readonly activate = async (): Promise<void> => {
    if (this.disposed) throw new TfjsEngineError('this tfjs engine has been disposed');
    const name = TF_NAME[this.device];
    if (tf.engine().backendName !== name) await tf.setBackend(name);
  };

  compile<I extends Inputs, O extends Outputs>(fn: (ops: Ops, inputs: TensorInputs<I>) => O): CompiledFn<I, O> {
    // Set once fn calls ops.grad: from then on every call records a tape (see grad.ts).
    let taped = false;
    const attempt = (inputs: I): { outs: Record<string, tf.Tensor>; scope: CallScope } => {
      const scope = new CallScope(this.store);
      const ops = new TfjsOps(scope);
      const call = (): Record<string, tf.Tensor> => detach(fn(ops, asOpsInputs<TensorInputs<I>>(toInputs(inputs))));
      try {
        return { outs: tf.tidy(() => (taped ? withTape(call) : call())), scope };
      } catch (e) {
        scope.discard();
        throw explainGradientError(e, 'compile');
      }
    };
    return {
      run: async (inputs: I): Promise<HostOutputs<O>> => {
        await this.activate();
        let res: { outs: Record<string, tf.Tensor>; scope: CallScope };
        try {
          res = attempt(inputs);
        } catch (e) {
          if (!(e instanceof TapeRequired) || taped) throw e;
          taped = true;
          res = attempt(inputs);
        }
        const host = await readAndDispose(res.outs);
        await res.scope.commit();
        return host as HostOutputs<O>;
      },
    };
  }

  compileTrainStep<I extends Inputs, O extends Outputs & { loss: Tensor }>(
    fn: (ops: Ops, inputs: TensorInputs<I>) => O,
    params: readonly Variable[],
    optimizer: AdamConfig,
  ): TrainStep<I, O> {
    checkTrainable(params);
    const step = new TfjsTrainStep<I, O>(this.store, this.activate, fn, params, optimizer);
    this.steps.add(step as unknown as TfjsTrainStep<Inputs, Outputs>);
    return step;
  }

  /** Buffers assigned inside `fn` are not written back: this computes, it does not update. */
  valueAndGrad<I extends Inputs, O extends Outputs & { loss: Tensor }>(
    fn: (ops: Ops, inputs: TensorInputs<I>) => O,
    wrt: { inputs?: readonly (keyof I & string)[]; variables?: readonly Variable[] },
  ) {
    const inputNames = wrt.inputs ?? [];
    const vars = wrt.variables ?? [];
    vars.forEach((v, i) => {
      if (!v.key) throw new TfjsEngineError(`valueAndGrad: variable ${i} has no key (name it through its Module's namedVariables())`);
    });
    const gradKeys = [...inputNames.map((n) => `grad:${n}`), ...vars.map((v) => `grad:${v.key}`)];
    if (gradKeys.length === 0) throw new TfjsEngineError('valueAndGrad: nothing to differentiate (give wrt.inputs and/or wrt.variables)');
    const run = async (inputs: I): Promise<HostOutputs<O & Record<string, Tensor>>> => {
      await this.activate();
      const scope = new CallScope(this.store);
      const ops = new TfjsOps(scope);
      const kept: tf.Tensor[] = [];
      const outs: Record<string, tf.Tensor> = {};
      try {
        tf.tidy(() => {
          const tin = toInputs(inputs);
          const xs = [
            ...inputNames.map((n) => {
              const t = tin[n];
              if (!t || t.dtype !== 'float32') {
                throw new TfjsEngineError(`valueAndGrad: input '${n}' must be a float32 input (got ${t ? t.dtype : 'nothing'})`);
              }
              return t;
            }),
            ...vars.map((v) => this.store.get(v)),
          ];
          const { value, grads } = tf.engine().gradients(
            () => {
              const o = fn(ops, asOpsInputs<TensorInputs<I>>(tin));
              const loss = lossOf(o, 'valueAndGrad');
              for (const [k, t] of Object.entries(detach(o))) kept.push((outs[k] = tf.keep(t)));
              return loss;
            },
            xs,
            undefined,
            true,
          );
          kept.push((outs['loss'] = tf.keep(value)));
          grads.forEach((g, i) => kept.push((outs[gradKeys[i]!] = tf.keep(g ?? tf.zerosLike(xs[i]!)))));
        });
      } catch (e) {
        for (const k of kept) k.dispose();
        throw explainGradientError(e, 'valueAndGrad');
      } finally {
        scope.discard();
      }
      return (await readAndDispose(outs)) as HostOutputs<O & Record<string, Tensor>>;
    };
    return { run, gradKeys };
  }

  async sync(): Promise<void> {
    await this.store.sync();
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    for (const s of this.steps) s.dispose();
    this.steps.clear();
    this.store.dispose();
    this.disposed = true;
  }
}
