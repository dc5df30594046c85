/**
 * `Ops` over symbolic tensors: each call infers the output shape and dtype and
 * records one primitive node (or a few) in the traced `Graph`. Convolution,
 * pooling and matmul live in trace-nn.ts, shape ops in trace-shape.ts; this
 * file holds creation, elementwise ops, comparisons and reductions.
 */
import type { ConvOptions, ConvTransposeOptions, PadMode, PoolOptions, Tensor, TensorLike } from '../../ops.js';
import { allocFor, HostTensor, ShapeError, sizeOf, type DType, type Shape } from '../../tensor.js';
import type { Variable } from '../../nn/variable.js';
import { gradients } from './autodiff.js';
import { Graph, Sym, TraceError, type Attrs, type SymOps } from './ir.js';
import { broadcastShapes, normAxes, normAxis } from './shapes.js';
import * as nn from './trace-nn.js';
import * as sh from './trace-shape.js';

/** Where a trace sends variable reads and buffer updates (set by the engine). */
export interface VariableHooks {
  read(v: Variable): Sym;
  assign(v: Variable, value: Sym): void;
}

const RANK: Record<DType, number> = { bool: 0, int32: 1, float32: 2 };

export class TraceOps implements SymOps {
  readonly engine = 'onnx' as const;
  constructor(
    readonly graph: Graph,
    private readonly hooks: VariableHooks,
  ) {}

  /** Checks that `x` is a symbolic tensor of this trace. */
  sym(x: Tensor, where = 'op'): Sym {
    if (!(x instanceof Sym)) throw new TraceError(`${where}: expected a tensor of the onnx engine trace, got ${String(x)}`);
    if (x.graph !== this.graph) throw new TraceError(`${where}: tensor belongs to another traced function`);
    return x;
  }

  scalar(v: number, dtype: DType = 'float32'): Sym {
    const data = allocFor(dtype, 1);
    data[0] = v;
    return this.graph.constant(data, [], dtype);
  }

  emit(op: string, inputs: readonly Sym[], attrs: Attrs, shape: Shape, dtype: DType): Sym {
    return this.graph.emit(op, inputs, attrs, shape, dtype);
  }

  // ---- creation -----------------------------------------------------------
  constant(values: number | ArrayLike<number> | HostTensor, shape?: Shape, dtype?: DType): Sym {
    if (values instanceof HostTensor) {
      const dt = dtype ?? values.dtype;
      const data = allocFor(dt, values.size);
      data.set(values.data);
      return this.graph.constant(data, shape ?? values.shape, dt);
    }
    const dt = dtype ?? 'float32';
    if (typeof values === 'number') return shape === undefined ? this.scalar(values, dt) : this.fill(shape, values, dt);
    const shp = shape ?? [values.length];
    if (sizeOf(shp) !== values.length) throw new TraceError(`constant: ${values.length} values do not fill shape [${shp.join(', ')}]`);
    const data = allocFor(dt, values.length);
    for (let i = 0; i < values.length; i++) data[i] = values[i]!;
    return this.graph.constant(data, shp, dt);
  }
  zeros(shape: Shape, dtype: DType = 'float32'): Sym {
    return this.fill(shape, 0, dtype);
  }
  ones(shape: Shape, dtype: DType = 'float32'): Sym {
    return this.fill(shape, 1, dtype);
  }
  fill(shape: Shape, value: number, dtype: DType = 'float32'): Sym {
    const s = this.scalar(value, dtype);
    return shape.length === 0 ? s : sh.expand(this, s, shape);
  }
  randomNormal(shape: Shape, seed: number, mean = 0, std = 1): Sym {
    return this.emit('RandomNormal', [], { shape: [...shape], seed, mean, scale: std }, shape, 'float32');
  }
  randomUniform(shape: Shape, seed: number, low = 0, high = 1): Sym {
    return this.emit('RandomUniform', [], { shape: [...shape], seed, low, high }, shape, 'float32');
  }
  range(n: number): Sym {
    return this.graph.constant(Int32Array.from({ length: n }, (_, i) => i), [n], 'int32');
  }

  // ---- model state --------------------------------------------------------
  variable(v: Variable): Sym {
    return this.hooks.read(v);
  }
  assign(v: Variable, value: Tensor): void {
    this.hooks.assign(v, this.sym(value, 'assign'));
  }

  // ---- elementwise --------------------------------------------------------
  /** Lifts numbers to scalars of the partner's dtype and promotes mixed dtypes. */
  private pair(where: string, a: TensorLike, b: TensorLike): [Sym, Sym] {
    if (typeof a === 'number' && typeof b === 'number') return [this.scalar(a), this.scalar(b)];
    const lit = (v: number, other: Sym): Sym =>
      other.dtype === 'int32' && Number.isInteger(v) ? this.scalar(v, 'int32') : this.scalar(v);
    const ta = typeof a === 'number' ? undefined : this.sym(a, where);
    const tb = typeof b === 'number' ? undefined : this.sym(b, where);
    const x = ta ?? lit(a as number, tb!);
    const y = tb ?? lit(b as number, ta!);
    const dt = RANK[x.dtype] >= RANK[y.dtype] ? x.dtype : y.dtype;
    // bool arithmetic promotes to float32 (ONNX Add/Mul have no bool kernels)
    const target = dt === 'bool' && !KEEP_BOOL.has(where) ? 'float32' : dt;
    return [this.cast(x, target), this.cast(y, target)];
  }
  binary(op: string, a: TensorLike, b: TensorLike, boolOut = false): Sym {
    const [x, y] = this.pair(op, a, b);
    return this.emit(op, [x, y], {}, broadcastShapes(op, x.shape, y.shape), boolOut ? 'bool' : x.dtype);
  }
  unary(op: string, x: Tensor, attrs: Attrs = {}): Sym {
    const s = this.sym(x, op);
    return this.emit(op, [s], attrs, s.shape, s.dtype);
  }

  add(a: TensorLike, b: TensorLike): Sym { return this.binary('Add', a, b); }
  sub(a: TensorLike, b: TensorLike): Sym { return this.binary('Sub', a, b); }
  mul(a: TensorLike, b: TensorLike): Sym { return this.binary('Mul', a, b); }
  div(a: TensorLike, b: TensorLike): Sym { return this.binary('Div', a, b); }
  pow(a: TensorLike, b: TensorLike): Sym { return this.binary('Pow', a, b); }
  maximum(a: TensorLike, b: TensorLike): Sym { return this.binary('Max', a, b); }
  minimum(a: TensorLike, b: TensorLike): Sym { return this.binary('Min', a, b); }
  neg(x: Tensor): Sym { return this.unary('Neg', x); }
  abs(x: Tensor): Sym { return this.unary('Abs', x); }
  exp(x: Tensor): Sym { return this.unary('Exp', x); }
  log(x: Tensor): Sym { return this.unary('Log', x); }
  sqrt(x: Tensor): Sym { return this.unary('Sqrt', x); }
  rsqrt(x: Tensor): Sym { return this.unary('Reciprocal', this.sqrt(x)); }
  reciprocal(x: Tensor): Sym { return this.unary('Reciprocal', x); }
  square(x: Tensor): Sym { return this.mul(x, x); }
  tanh(x: Tensor): Sym { return this.unary('Tanh', x); }
  sigmoid(x: Tensor): Sym { return this.unary('Sigmoid', x); }
  silu(x: Tensor): Sym {
    const s = this.sym(x, 'silu');
    if (s.dtype !== 'float32') throw new ShapeError('silu', 'a float32 tensor', s.shape);
    return this.emit('Silu', [s], {}, s.shape, 'float32');
  }
  erf(x: Tensor): Sym { return this.unary('Erf', x); }
  relu(x: Tensor): Sym { return this.unary('Relu', x); }
  leakyRelu(x: Tensor, alpha: number): Sym { return this.unary('LeakyRelu', x, { alpha }); }
  sign(x: Tensor): Sym { return this.unary('Sign', x); }
  round(x: Tensor): Sym { return this.unary('Round', x); }
  floor(x: Tensor): Sym { return this.unary('Floor', x); }
  clip(x: Tensor, min: number, max: number): Sym { return this.unary('Clip', x, { min, max }); }
  cast(x: Tensor, dtype: DType): Sym {
    const s = this.sym(x, 'cast');
    return s.dtype === dtype ? s : this.emit('Cast', [s], { to: dtype }, s.shape, dtype);
  }

  // ---- comparison / selection ---------------------------------------------
  equal(a: TensorLike, b: TensorLike): Sym { return this.binary('Equal', a, b, true); }
  greater(a: TensorLike, b: TensorLike): Sym { return this.binary('Greater', a, b, true); }
  greaterEqual(a: TensorLike, b: TensorLike): Sym { return this.binary('GreaterOrEqual', a, b, true); }
  less(a: TensorLike, b: TensorLike): Sym { return this.binary('Less', a, b, true); }
  lessEqual(a: TensorLike, b: TensorLike): Sym { return this.binary('LessOrEqual', a, b, true); }
  logicalAnd(a: Tensor, b: Tensor): Sym {
    return this.binary('And', this.cast(a, 'bool'), this.cast(b, 'bool'), true);
  }
  logicalNot(a: Tensor): Sym { return this.unary('Not', this.cast(a, 'bool')); }
  where(cond: Tensor, a: TensorLike, b: TensorLike): Sym {
    const c = this.cast(cond, 'bool');
    const [x, y] = this.pair('where', a, b);
    const shape = broadcastShapes('where', broadcastShapes('where', c.shape, x.shape), y.shape);
    return this.emit('Where', [c, x, y], {}, shape, x.dtype);
  }

  // ---- reductions ---------------------------------------------------------
  reduce(op: string, x: Tensor, axes: number | readonly number[] | undefined, keepDims = false): Sym {
    const s = this.sym(x, op);
    const ax = normAxes(op, axes, s.shape.length);
    const shape = s.shape.flatMap((d, i) => (ax.includes(i) ? (keepDims ? [1] : []) : [d]));
    if (ax.length === 0) return s;
    return this.emit(op, [s], { axes: ax, keepdims: keepDims ? 1 : 0 }, shape, s.dtype);
  }
  sum(x: Tensor, axes?: number | readonly number[], keepDims?: boolean): Sym { return this.reduce('ReduceSum', x, axes, keepDims); }
  mean(x: Tensor, axes?: number | readonly number[], keepDims?: boolean): Sym { return this.reduce('ReduceMean', x, axes, keepDims); }
  max(x: Tensor, axes?: number | readonly number[], keepDims?: boolean): Sym { return this.reduce('ReduceMax', x, axes, keepDims); }
  min(x: Tensor, axes?: number | readonly number[], keepDims?: boolean): Sym { return this.reduce('ReduceMin', x, axes, keepDims); }
  private argReduce(op: string, x: Tensor, axis: number): Sym {
    const s = this.sym(x, op);
    const a = normAxis(op, axis, s.shape.length);
    return this.emit(op, [s], { axis: a }, s.shape.filter((_, i) => i !== a), 'int32');
  }
  argmax(x: Tensor, axis: number): Sym { return this.argReduce('ArgMax', x, axis); }
  argmin(x: Tensor, axis: number): Sym { return this.argReduce('ArgMin', x, axis); }
  softmax(x: Tensor, axis = -1): Sym {
    const s = this.sym(x, 'softmax');
    return this.unary('Softmax', s, { axis: normAxis('softmax', axis, s.shape.length) });
  }
  logSoftmax(x: Tensor, axis = -1): Sym {
    const s = this.sym(x, 'logSoftmax');
    return this.unary('LogSoftmax', s, { axis: normAxis('logSoftmax', axis, s.shape.length) });
  }

  normalizeLast(x: Tensor, eps: number): Sym {
    const s = this.sym(x, 'normalizeLast');
    if (s.shape.length < 1 || s.dtype !== 'float32') throw new ShapeError('normalizeLast', 'a float32 tensor of rank >= 1', s.shape);
    if (!(eps > 0)) throw new RangeError(`normalizeLast: eps must be > 0, got ${eps}`);
    return this.emit('LayerNorm', [s], { epsilon: eps }, s.shape, 'float32');
  }

  // ---- linear algebra / convolution ---------------------------------------
  matmul(a: Tensor, b: Tensor, transposeA = false, transposeB = false): Sym {
    return nn.matmul(this, this.sym(a, 'matmul'), this.sym(b, 'matmul'), transposeA, transposeB);
  }
  conv(x: Tensor, w: Tensor, bias?: Tensor, opts?: ConvOptions): Sym {
    return nn.conv(this, this.sym(x, 'conv'), this.sym(w, 'conv'), bias && this.sym(bias, 'conv'), opts);
  }
  convTranspose(x: Tensor, w: Tensor, bias?: Tensor, opts?: ConvTransposeOptions): Sym {
    const b = bias && this.sym(bias, 'convTranspose');
    return nn.convTranspose(this, this.sym(x, 'convTranspose'), this.sym(w, 'convTranspose'), b, opts);
  }
  avgPool(x: Tensor, opts: PoolOptions): Sym { return nn.pool(this, 'AveragePool', this.sym(x, 'avgPool'), opts); }
  maxPool(x: Tensor, opts: PoolOptions): Sym { return nn.pool(this, 'MaxPool', this.sym(x, 'maxPool'), opts); }

  // ---- shape --------------------------------------------------------------
  reshape(x: Tensor, shape: Shape): Sym { return sh.reshape(this, this.sym(x, 'reshape'), shape); }
  transpose(x: Tensor, perm: readonly number[]): Sym { return sh.transpose(this, this.sym(x, 'transpose'), perm); }
  slice(x: Tensor, begin: readonly number[], end: readonly number[], axes?: readonly number[], steps?: readonly number[]): Sym {
    return sh.slice(this, this.sym(x, 'slice'), begin, end, axes, steps);
  }
  pad(x: Tensor, pads: readonly (readonly [number, number])[], mode: PadMode = 'constant', value = 0): Sym {
    return sh.pad(this, this.sym(x, 'pad'), pads, mode, value);
  }
  concat(xs: readonly Tensor[], axis: number): Sym {
    return sh.concat(this, xs.map((x) => this.sym(x, 'concat')), axis);
  }
  broadcastTo(x: Tensor, shape: Shape): Sym { return sh.expand(this, this.sym(x, 'broadcastTo'), shape); }
  gather(x: Tensor, indices: Tensor, axis = 0): Sym {
    return sh.gather(this, this.sym(x, 'gather'), this.sym(indices, 'gather'), axis);
  }
  oneHot(indices: Tensor, depth: number): Sym {
    const idx = this.sym(indices, 'oneHot');
    const col = this.reshape(this.cast(idx, 'int32'), [...idx.shape, 1]);
    return this.cast(this.equal(col, this.range(depth)), 'float32');
  }

  // ---- autodiff -----------------------------------------------------------
  stopGradient(x: Tensor): Sym { return this.unary('StopGradient', x); }
  /**
   * The backward nodes go into this same graph, so the result is an ordinary
   * traced value: an outer `gradients()` call (valueAndGrad, train step) walks
   * them like forward nodes, which is what makes this differentiable.
   */
  grad(loss: Tensor, wrt: readonly Tensor[]): Sym[] {
    const l = this.sym(loss, 'grad');
    if (l.shape.length > 1 || sizeOf(l.shape) !== 1) throw new ShapeError('grad loss', 'a scalar (shape [] or [1])', l.shape);
    if (l.dtype !== 'float32') throw new TraceError(`grad: the loss must be float32, got ${l.dtype}`);
    const xs = wrt.map((t, i) => {
      const s = this.sym(t, `grad wrt[${i}]`);
      if (s.dtype !== 'float32') throw new TraceError(`grad: wrt[${i}] is ${s.dtype}; gradients need float32 tensors`);
      return s;
    });
    return gradients(this, l, xs);
  }
}

const KEEP_BOOL = new Set(['Equal', 'And', 'where']);
