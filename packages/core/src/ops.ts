/**
 * The backend-neutral op set (in the spirit of Keras 3's `keras.ops`).
 * Model code is written once against `Ops`; the onnx engine implements it by
 * tracing a static graph (and differentiates that graph itself), the tfjs
 * engine implements it eagerly on tf.Tensors (and uses tfjs's autodiff).
 *
 * Conventions (shared by both engines, chosen to match PyTorch and ONNX so
 * reference weights load unchanged):
 * - Convolutions and pooling are channels-first: x is [N, C, ...spatial],
 *   weights are [Cout, Cin/groups, ...kernel] (OIHW / OIDHW).
 * - Binary ops broadcast like NumPy; a plain number is a float32 scalar.
 * - Axes may be negative. Reductions drop reduced axes unless keepDims.
 * - Integer results (argmin/argmax, indices) are int32.
 * - `round` rounds half to even, like torch.round and ONNX Round.
 */
import type { DType, Shape, HostTensor } from './tensor.js';
import type { Variable } from './nn/variable.js';

/** An engine tensor: symbolic under the onnx tracer, concrete under tfjs. */
export interface Tensor {
  readonly shape: readonly number[];
  readonly dtype: DType;
}

export type TensorLike = Tensor | number;
export type PadMode = 'constant' | 'reflect' | 'replicate';

export interface ConvOptions {
  /** Per spatial dim, or one number for all. Default 1. */
  stride?: number | readonly number[];
  /**
   * Explicit padding: one number (all sides), one per spatial dim (both sides),
   * or [before, after] pairs per spatial dim. Default 0. Zero padding only;
   * other modes: call `pad` first.
   */
  padding?: number | readonly number[] | readonly (readonly [number, number])[];
  dilation?: number | readonly number[];
  groups?: number;
}

export interface ConvTransposeOptions extends ConvOptions {
  /** Extra size added to one side of the output (PyTorch's output_padding). */
  outputPadding?: number | readonly number[];
}

export interface PoolOptions {
  kernel: number | readonly number[];
  stride?: number | readonly number[];
  padding?: number | readonly number[];
  /** PyTorch ceil_mode (SqueezeNet uses it). Default false. */
  ceilMode?: boolean;
}

export interface Ops {
  readonly engine: 'onnx' | 'tfjs';

  // ---- creation -----------------------------------------------------------
  constant(values: number | ArrayLike<number> | HostTensor, shape?: Shape, dtype?: DType): Tensor;
  zeros(shape: Shape, dtype?: DType): Tensor;
  ones(shape: Shape, dtype?: DType): Tensor;
  fill(shape: Shape, value: number, dtype?: DType): Tensor;
  /** Deterministic for a given seed within one engine (streams differ between engines). */
  randomNormal(shape: Shape, seed: number, mean?: number, std?: number): Tensor;
  randomUniform(shape: Shape, seed: number, low?: number, high?: number): Tensor;
  /** int32 [n] with values 0..n-1. */
  range(n: number): Tensor;

  // ---- model state --------------------------------------------------------
  /** The engine tensor for a parameter or buffer (graph input / tf.Variable). */
  variable(v: Variable): Tensor;
  /**
   * Schedule a buffer update (EMA codebooks, running stats). The new value is
   * visible to host code after the step/call returns; reads of `variable(v)`
   * inside the same call see the old value.
   */
  assign(v: Variable, value: Tensor): void;

  // ---- elementwise --------------------------------------------------------
  add(a: TensorLike, b: TensorLike): Tensor;
  sub(a: TensorLike, b: TensorLike): Tensor;
  mul(a: TensorLike, b: TensorLike): Tensor;
  div(a: TensorLike, b: TensorLike): Tensor;
  pow(a: TensorLike, b: TensorLike): Tensor;
  maximum(a: TensorLike, b: TensorLike): Tensor;
  minimum(a: TensorLike, b: TensorLike): Tensor;
  neg(x: Tensor): Tensor;
  abs(x: Tensor): Tensor;
  exp(x: Tensor): Tensor;
  log(x: Tensor): Tensor;
  sqrt(x: Tensor): Tensor;
  rsqrt(x: Tensor): Tensor;
  square(x: Tensor): Tensor;
  tanh(x: Tensor): Tensor;
  sigmoid(x: Tensor): Tensor;
  /**
   * x * sigmoid(x) (SiLU / swish). The onnx engine runs it as one fused node
   * forward and differentiates it with one rule, g s (1 + x - y) with
   * s = sigmoid(x) recomputed: 5 nodes instead of the composite's 6, and no
   * sigmoid output kept alive from the forward pass.
   */
  silu(x: Tensor): Tensor;
  erf(x: Tensor): Tensor;
  relu(x: Tensor): Tensor;
  leakyRelu(x: Tensor, alpha: number): Tensor;
  sign(x: Tensor): Tensor;
  round(x: Tensor): Tensor;
  floor(x: Tensor): Tensor;
  clip(x: Tensor, min: number, max: number): Tensor;
  cast(x: Tensor, dtype: DType): Tensor;

  // ---- comparison / selection (bool results) ------------------------------
  equal(a: TensorLike, b: TensorLike): Tensor;
  greater(a: TensorLike, b: TensorLike): Tensor;
  greaterEqual(a: TensorLike, b: TensorLike): Tensor;
  less(a: TensorLike, b: TensorLike): Tensor;
  lessEqual(a: TensorLike, b: TensorLike): Tensor;
  logicalAnd(a: Tensor, b: Tensor): Tensor;
  logicalNot(a: Tensor): Tensor;
  where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor;

  // ---- reductions ---------------------------------------------------------
  sum(x: Tensor, axes?: number | readonly number[], keepDims?: boolean): Tensor;
  mean(x: Tensor, axes?: number | readonly number[], keepDims?: boolean): Tensor;
  max(x: Tensor, axes?: number | readonly number[], keepDims?: boolean): Tensor;
  min(x: Tensor, axes?: number | readonly number[], keepDims?: boolean): Tensor;
  /** int32; ties resolve to the first index (torch and ONNX select_last_index=0). */
  argmax(x: Tensor, axis: number): Tensor;
  argmin(x: Tensor, axis: number): Tensor;
  softmax(x: Tensor, axis?: number): Tensor;
  logSoftmax(x: Tensor, axis?: number): Tensor;
  /**
   * (x - mean) / sqrt(var + eps) over the last axis, with the biased
   * variance: the core of GroupNorm and LayerNorm. The onnx engine runs it as
   * one fused node (onnxruntime's LayerNormalization) with its own VJP rule.
   */
  normalizeLast(x: Tensor, eps: number): Tensor;

  // ---- linear algebra / convolution ---------------------------------------
  /** Batched matmul with broadcasting over leading dims. */
  matmul(a: Tensor, b: Tensor, transposeA?: boolean, transposeB?: boolean): Tensor;
  /** 1-D, 2-D or 3-D convolution, channels-first; bias optional ([Cout]). */
  conv(x: Tensor, w: Tensor, bias?: Tensor, opts?: ConvOptions): Tensor;
  /** Weights [Cin, Cout/groups, ...kernel] as in PyTorch's ConvTransposeNd. */
  convTranspose(x: Tensor, w: Tensor, bias?: Tensor, opts?: ConvTransposeOptions): Tensor;
  avgPool(x: Tensor, opts: PoolOptions): Tensor;
  maxPool(x: Tensor, opts: PoolOptions): Tensor;

  // ---- shape --------------------------------------------------------------
  reshape(x: Tensor, shape: Shape): Tensor;
  transpose(x: Tensor, perm: readonly number[]): Tensor;
  /** begin/end per axis (end exclusive, may be negative); steps default 1. */
  slice(x: Tensor, begin: readonly number[], end: readonly number[], axes?: readonly number[], steps?: readonly number[]): Tensor;
  /** pads: [before, after] per axis (all axes). */
  pad(x: Tensor, pads: readonly (readonly [number, number])[], mode?: PadMode, value?: number): Tensor;
  concat(xs: readonly Tensor[], axis: number): Tensor;
  broadcastTo(x: Tensor, shape: Shape): Tensor;
  /** Gather along `axis` with int32 indices of any shape (numpy.take). */
  gather(x: Tensor, indices: Tensor, axis?: number): Tensor;
  /** float32 one-hot on a new last axis. */
  oneHot(indices: Tensor, depth: number): Tensor;

  // ---- autodiff -----------------------------------------------------------
  /** Identity in the forward pass, zero gradient (torch .detach()). */
  stopGradient(x: Tensor): Tensor;
  /**
   * d(loss)/d(wrt[i]) for each i, taken inside the function being run (like
   * torch.autograd.grad with create_graph=True); zeros where `loss` does not
   * depend on a tensor. The result is itself differentiable: an enclosing
   * `valueAndGrad` / `compileTrainStep` differentiates through it (double
   * backprop, e.g. the exact R1 penalty ‖∇_x D(x)‖² trained w.r.t. D).
   * `loss` must have exactly one element (shape [] or [1]) and be float32
   * (ShapeError / engine error otherwise); `wrt` must be float32 tensors.
   * Every op between `wrt` and `loss` must be twice differentiable on the
   * engine for the outer gradient; an op without a second-order rule is
   * reported by name when the outer gradient is taken.
   */
  grad(loss: Tensor, wrt: readonly Tensor[]): Tensor[];
}
