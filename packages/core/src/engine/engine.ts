/**
 * What an engine offers beyond `Ops`: turning a function written against Ops
 * into something that runs on host tensors, with or without a training step.
 * The onnx engine traces `fn` once per set of input shapes and caches the
 * compiled graph; the tfjs engine runs `fn` eagerly each call.
 */
import type { Ops, Tensor } from '../ops.js';
import type { HostTensor } from '../tensor.js';
import type { Variable } from '../nn/variable.js';

/** A training step was asked to train a variable marked constant (see `Variable.constant`). */
export class ConstantParameterError extends Error {
  constructor(v: Variable) {
    super(`compileTrainStep: '${v.key || 'a parameter'}' is marked constant (pretrained, baked into graphs) and cannot be trained; pass module.parameters(), which leaves constants out`);
    this.name = 'ConstantParameterError';
  }
}

/** compileTrainStep's check on both engines. */
export function checkTrainable(params: readonly Variable[]): void {
  const constant = params.find((v) => v.constant);
  if (constant) throw new ConstantParameterError(constant);
}

export type Inputs = Record<string, HostTensor>;
export type TensorInputs<I extends Inputs> = { [K in keyof I]: Tensor };
export type Outputs = Record<string, Tensor>;
export type HostOutputs<O> = { [K in keyof O]: HostTensor };

export interface AdamConfig {
  kind: 'adam' | 'adamw';
  lr: number;
  beta1?: number; // default 0.9
  beta2?: number; // default 0.999
  eps?: number; // default 1e-8
  weightDecay?: number; // default 0 (adam: L2 added to grad; adamw: decoupled)
  /** Clip gradients by their global L2 norm before the update. */
  clipGradNorm?: number;
}

export interface StepResult<O> {
  /** The scalar loss and any extra outputs the loss function returned. */
  outputs: HostOutputs<O>;
  /** Global gradient norm before clipping. */
  gradNorm: number;
}

export interface TrainStep<I extends Inputs, O extends Outputs> {
  /** One optimizer step; `lr` overrides the configured learning rate (schedules). */
  run(inputs: I, opts?: { lr?: number }): Promise<StepResult<O>>;
  /** Optimizer state (moments, step count), for checkpoints. */
  optimizerState(): Promise<Record<string, HostTensor>>;
  loadOptimizerState(state: Record<string, HostTensor>): Promise<void>;
}

export interface CompileOptions {
  /**
   * Inference over fixed weights (default false). The onnx engine bakes every
   * variable `fn` reads but does not assign into the graph as a constant, so
   * onnxruntime folds what depends only on weights and pre-packs matmul and
   * conv weights once (like `torch.jit.freeze`). A run after a baked
   * variable's `value` was replaced rebuilds the graph (a new session, ~the
   * first run's cost), so freeze functions whose weights stay put across many
   * calls: evaluation, tokenizing a dataset, metrics with pretrained
   * networks. In-place edits of `value.data` are not seen (the same rule as
   * the tfjs engine's device copies: engines, checkpoint loading and codebook
   * updates replace `value`). The tfjs engine runs eagerly and ignores the
   * option. Measured on the 2-core CPU box: encode + decode of the default
   * bench tokenizer 2x faster per batch, LPIPS-Alex at 64 px 1.8x, at the same
   * compile time.
   */
  frozen?: boolean;
}

export interface CompiledFn<I extends Inputs, O extends Outputs> {
  run(inputs: I): Promise<HostOutputs<O>>;
}

export interface Engine {
  readonly name: 'onnx' | 'tfjs';
  /** Execution device actually in use, e.g. 'cpu', 'cuda', 'wasm', 'tensorflow'. */
  readonly device: string;
  /** Evaluation: no gradients. Buffers assigned inside `fn` are written back. */
  compile<I extends Inputs, O extends Outputs>(
    fn: (ops: Ops, inputs: TensorInputs<I>) => O,
    opts?: CompileOptions,
  ): CompiledFn<I, O>;
  /**
   * Training: minimizes `outputs.loss` (a scalar) over `params` (trainable
   * variables) with Adam/AdamW; other outputs are returned for logging.
   */
  compileTrainStep<I extends Inputs, O extends Outputs & { loss: Tensor }>(
    fn: (ops: Ops, inputs: TensorInputs<I>) => O,
    params: readonly Variable[],
    optimizer: AdamConfig,
  ): TrainStep<I, O>;
  /**
   * Gradients of a scalar `loss` output with respect to chosen inputs and/or
   * variables, without updating anything (tests, adaptive GAN weights).
   */
  valueAndGrad<I extends Inputs, O extends Outputs & { loss: Tensor }>(
    fn: (ops: Ops, inputs: TensorInputs<I>) => O,
    wrt: { inputs?: readonly (keyof I & string)[]; variables?: readonly Variable[] },
  ): CompiledFn<I, O & Record<string, Tensor>> & {
    /** Gradient keys: `grad:<input name>` and `grad:<variable key>`. */
    readonly gradKeys: readonly string[];
  };
  /** Write device-side variable values back to `Variable.value`. */
  sync(): Promise<void>;
  dispose(): Promise<void>;
}
