/**
 * The vector-Jacobian rules: one entry per traced primitive, mapping the
 * output cotangent `g` to one cotangent per input (undefined: no gradient).
 * Rules are written with the same symbolic Ops as models, so the backward
 * pass is an ordinary traced graph. Broadcasting binary ops share
 * `unbroadcast`; `needs[i]` says whether input i wants a gradient, so costly
 * terms (a first conv's input gradient) are never built.
 */
import { sizeOf } from '../../tensor.js';
import type { Attrs, Sym, SymOps } from './ir.js';
import * as cg from './conv-grad.js';
import { reverse } from './trace-shape.js';

export interface VjpArgs {
  o: SymOps;
  g: Sym;
  x: readonly Sym[];
  y: Sym;
  attrs: Attrs;
  needs: readonly boolean[];
}
export type VjpRule = (a: VjpArgs) => readonly (Sym | undefined)[];

/** Sums `g` down to `shape` (the adjoint of NumPy broadcasting). */
export function unbroadcast(o: SymOps, g: Sym, shape: readonly number[]): Sym {
  const lead = g.shape.length - shape.length;
  const axes = g.shape.map((d, i) => i).filter((i) => i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1));
  return o.reshape(axes.length ? o.sum(g, axes, true) : g, shape);
}

/** Re-inserts reduced axes of size 1 so the cotangent broadcasts against x. */
function keepDimsShape(x: Sym, attrs: Attrs): number[] {
  const axes = attrs.axes as readonly number[];
  return x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

const ZERO: VjpRule = () => [];
const f32 = (o: SymOps, b: Sym): Sym => o.cast(b, 'float32');

function selectByMask(o: SymOps, g: Sym, mask: Sym): Sym {
  return o.where(mask, g, 0);
}

export const VJP: Readonly<Record<string, VjpRule>> = {
  Add: ({ o, g, x: [a, b] }) => [unbroadcast(o, g, a!.shape), unbroadcast(o, g, b!.shape)],
  Sub: ({ o, g, x: [a, b], needs }) => [unbroadcast(o, g, a!.shape), needs[1] ? unbroadcast(o, o.neg(g), b!.shape) : undefined],
  // x * x (square): one term instead of two that the accumulation would add
  Mul: ({ o, g, x: [a, b], needs }) => a === b ? [o.mul(g, o.mul(a!, 2))] : [
    needs[0] ? unbroadcast(o, o.mul(g, b!), a!.shape) : undefined,
    needs[1] ? unbroadcast(o, o.mul(g, a!), b!.shape) : undefined,
  ],
  Div: ({ o, g, x: [a, b], y, needs }) => [
    needs[0] ? unbroadcast(o, o.div(g, b!), a!.shape) : undefined,
    needs[1] ? unbroadcast(o, o.neg(o.div(o.mul(g, y), b!)), b!.shape) : undefined,
  ],
  Pow: ({ o, g, x: [a, b], y, needs }) => [
    needs[0] ? unbroadcast(o, o.mul(g, o.mul(b!, o.pow(a!, o.sub(b!, 1)))), a!.shape) : undefined,
    needs[1] ? unbroadcast(o, o.mul(g, o.mul(y, o.where(o.greater(a!, 0), o.log(o.maximum(a!, 1e-30)), 0))), b!.shape) : undefined,
  ],
  // ties send the gradient to the first operand (as tfjs does)
  Max: ({ o, g, x: [a, b] }) => [
    unbroadcast(o, selectByMask(o, g, o.greaterEqual(a!, b!)), a!.shape),
    unbroadcast(o, selectByMask(o, g, o.less(a!, b!)), b!.shape),
  ],
  Min: ({ o, g, x: [a, b] }) => [
    unbroadcast(o, selectByMask(o, g, o.lessEqual(a!, b!)), a!.shape),
    unbroadcast(o, selectByMask(o, g, o.greater(a!, b!)), b!.shape),
  ],
  Neg: ({ o, g }) => [o.neg(g)],
  Abs: ({ o, g, x: [a] }) => [o.mul(g, o.sign(a!))],
  Exp: ({ o, g, y }) => [o.mul(g, y)],
  Log: ({ o, g, x: [a] }) => [o.div(g, a!)],
  Sqrt: ({ o, g, y }) => [o.div(g, o.mul(y, 2))],
  Reciprocal: ({ o, g, y }) => [o.neg(o.mul(g, o.mul(y, y)))],
  Tanh: ({ o, g, y }) => [o.mul(g, o.sub(1, o.mul(y, y)))],
  Sigmoid: ({ o, g, y }) => [o.mul(g, o.mul(y, o.sub(1, y)))],
  // d/dx x s(x) = s + x s (1 - s) = s (1 + x - y); s recomputed rather than kept from the forward pass
  Silu: ({ o, g, x: [a], y }) => [o.mul(o.mul(g, o.sigmoid(a!)), o.add(o.sub(a!, y), 1))],
  Erf: ({ o, g, x: [a] }) => [o.mul(g, o.mul(o.exp(o.neg(o.mul(a!, a!))), 2 / Math.sqrt(Math.PI)))],
  Relu: ({ o, g, x: [a] }) => [selectByMask(o, g, o.greater(a!, 0))],
  LeakyRelu: ({ o, g, x: [a], attrs }) => [o.where(o.greater(a!, 0), g, o.mul(g, attrs.alpha as number))],
  Clip: ({ o, g, x: [a], attrs }) => [
    selectByMask(o, g, o.logicalAnd(o.greaterEqual(a!, attrs.min as number), o.lessEqual(a!, attrs.max as number))),
  ],
  Cast: ({ o, g, x: [a] }) => [a!.dtype === 'float32' ? o.cast(g, 'float32') : undefined],
  Where: ({ o, g, x: [c, a, b] }) => [
    undefined,
    unbroadcast(o, o.where(c!, g, 0), a!.shape),
    unbroadcast(o, o.where(c!, 0, g), b!.shape),
  ],

  // piecewise constant or non-differentiable: zero gradient
  Sign: ZERO, Round: ZERO, Floor: ZERO, StopGradient: ZERO, ArgMax: ZERO, ArgMin: ZERO,
  Equal: ZERO, Greater: ZERO, GreaterOrEqual: ZERO, Less: ZERO, LessOrEqual: ZERO, And: ZERO, Not: ZERO,
  RandomNormal: ZERO, RandomUniform: ZERO,

  ReduceSum: ({ o, g, x: [a], attrs }) => [o.broadcastTo(o.reshape(g, keepDimsShape(a!, attrs)), a!.shape)],
  ReduceMean: ({ o, g, x: [a], y, attrs }) => [
    o.broadcastTo(o.reshape(o.mul(g, sizeOf(y.shape) / sizeOf(a!.shape)), keepDimsShape(a!, attrs)), a!.shape),
  ],
  // every tied maximum receives the full gradient (as tfjs does)
  ReduceMax: ({ o, g, x: [a], y, attrs }) => [
    o.mul(o.reshape(g, keepDimsShape(a!, attrs)), f32(o, o.equal(a!, o.reshape(y, keepDimsShape(a!, attrs))))),
  ],
  ReduceMin: ({ o, g, x: [a], y, attrs }) => [
    o.mul(o.reshape(g, keepDimsShape(a!, attrs)), f32(o, o.equal(a!, o.reshape(y, keepDimsShape(a!, attrs))))),
  ],
  Softmax: ({ o, g, y, attrs }) => [o.mul(y, o.sub(g, o.sum(o.mul(g, y), attrs.axis as number, true)))],
  LogSoftmax: ({ o, g, y, attrs }) => [o.sub(g, o.mul(o.exp(y), o.sum(g, attrs.axis as number, true)))],
  LayerNorm: ({ o, g, x: [x], y, attrs }) => [layerNormGrad(o, g, x!, y, attrs.epsilon as number)],
  // r = 1/sqrt(var + eps) of x (y only ties it to its LayerNorm node): dr/dx = -r² y / D
  LayerNormInvStd: ({ o, g, x: [x, y], y: r }) => [o.mul(o.mul(g, o.mul(r, r)), o.mul(y!, -1 / x!.shape[x!.shape.length - 1]!)), undefined],

  MatMul: ({ o, g, x: [a, b], needs }) => [
    needs[0] ? unbroadcast(o, o.matmul(g, b!, false, true), a!.shape) : undefined,
    needs[1] ? unbroadcast(o, o.matmul(a!, g, true, false), b!.shape) : undefined,
  ],
  Conv: ({ o, g, x: [x, w, b], attrs, needs }) => [
    needs[0] ? cg.convInputGrad(o, g, w!, x!.shape, cg.convAttrs(attrs)) : undefined,
    needs[1] ? cg.convWeightGrad(o, x!, g, w!.shape, cg.convAttrs(attrs)) : undefined,
    b && needs[2] ? cg.biasGrad(o, g) : undefined,
  ],
  // ConvTranspose is the adjoint of Conv: its input gradient is a Conv with the same geometry
  ConvTranspose: ({ o, g, x: [x, w, b], attrs, needs }) => {
    const a = cg.convAttrs(attrs);
    const n = x!.shape.length - 2;
    const padding = Array.from({ length: n }, (_, i) => [a.pads[i]!, a.pads[n + i]!] as [number, number]);
    const opts = { stride: a.strides, padding, dilation: a.dilations, groups: a.group };
    return [
      needs[0] ? o.conv(g, w!, undefined, opts) : undefined,
      needs[1] ? cg.convWeightGrad(o, g, x!, w!.shape, a) : undefined,
      b && needs[2] ? cg.biasGrad(o, g) : undefined,
    ];
  },
  AveragePool: ({ o, g, x: [x], attrs }) => [cg.avgPoolGrad(o, g, x!.shape, cg.poolAttrs(attrs))],
  MaxPool: ({ o, g, x: [x], y, attrs }) => [cg.maxPoolGrad(o, g, x!, y, cg.poolAttrs(attrs))],

  Reshape: ({ o, g, x: [a] }) => [o.reshape(g, a!.shape)],
  Transpose: ({ o, g, attrs }) => {
    const perm = attrs.perm as readonly number[];
    const inv = perm.map((_, i) => perm.indexOf(i));
    return [o.transpose(g, inv)];
  },
  Reverse: ({ o, g, attrs }) => [reverse(o, g, attrs.axes as readonly number[])],
  Expand: ({ o, g, x: [a] }) => [unbroadcast(o, g, a!.shape)],
  Slice: ({ o, g, x: [a], attrs }) => [
    cg.unslice(o, g, a!.shape, attrs.starts as number[], attrs.axes as number[], attrs.steps as number[]),
  ],
  Pad: ({ o, g, x: [a], attrs }) => [padGrad(o, g, a!, attrs)],
  Concat: ({ o, g, x, attrs }) => {
    const axis = attrs.axis as number;
    let start = 0;
    return x.map((xi) => {
      const s = o.slice(g, [start], [start + xi.shape[axis]!], [axis]);
      start += xi.shape[axis]!;
      return s;
    });
  },
  Gather: ({ o, g, x: [a, idx], attrs }) => [gatherGrad(o, g, a!, idx!, attrs.axis as number)],
  // emitted only by gatherGrad; differentiated again under ops.grad (second order):
  // data passes through, each update row reads back the cotangent row it was added to
  ScatterAdd: ({ o, g, x: [, idx, rows] }) => [g, undefined, o.gather(g, o.reshape(idx!, [rows!.shape[0]!]), 0)],
};

/**
 * y = (x - μ) r over the last axis, r = 1/sqrt(var + eps):
 * dx = r (g - mean(g) - y mean(g y)). r is the fused node's own InvStdDev
 * output (the LayerNormInvStd companion, emitted as that node's second
 * output, so nothing is recomputed).
 */
/** One companion per LayerNorm node, shared when its rule runs again (second order). */
const invStdOf = new WeakMap<Sym, Sym>();

function layerNormGrad(o: SymOps, g: Sym, x: Sym, y: Sym, eps: number): Sym {
  const ax = x.shape.length - 1;
  let r = invStdOf.get(y);
  if (!r) {
    r = o.emit('LayerNormInvStd', [x, y], { epsilon: eps }, [...x.shape.slice(0, -1), 1], 'float32');
    invStdOf.set(y, r);
  }
  const mean = (t: Sym): Sym => o.mean(t, ax, true);
  return o.mul(r, o.sub(o.sub(g, mean(g)), o.mul(y, mean(o.mul(g, y)))));
}

/** Constant pads slice the center back out; reflect/edge pads (one axis each) fold the border back in. */
function padGrad(o: SymOps, g: Sym, x: Sym, attrs: Attrs): Sym {
  const r = x.shape.length;
  const pads = attrs.pads as readonly number[];
  const axes = x.shape.map((_, i) => i);
  const center = o.slice(g, axes.map((i) => pads[i]!), axes.map((i) => pads[i]! + x.shape[i]!), axes);
  if (attrs.mode === 'constant') return center;
  const ax = axes.find((i) => pads[i]! > 0 || pads[r + i]! > 0)!;
  const [b, e, n] = [pads[ax]!, pads[r + ax]!, x.shape[ax]!];
  const along = (t: Sym, before: number, after: number): Sym =>
    o.pad(t, axes.map((i) => (i === ax ? [before, after] : [0, 0]) as [number, number]));
  let out = center;
  if (attrs.mode === 'reflect') {
    // padded[b - 1 - j] = x[1 + j], padded[b + n + j] = x[n - 2 - j]
    if (b > 0) out = o.add(out, along(reverse(o, o.slice(g, [0], [b], [ax]), [ax]), 1, n - 1 - b));
    if (e > 0) out = o.add(out, along(reverse(o, o.slice(g, [b + n], [b + n + e], [ax]), [ax]), n - 1 - e, 1));
    return out;
  }
  if (b > 0) out = o.add(out, along(o.sum(o.slice(g, [0], [b], [ax]), ax, true), 0, n - 1));
  if (e > 0) out = o.add(out, along(o.sum(o.slice(g, [b + n], [b + n + e], [ax]), ax, true), n - 1, 0));
  return out;
}

/** Scatter-add of the cotangent rows into a zero tensor shaped like x. */
function gatherGrad(o: SymOps, g: Sym, x: Sym, idx: Sym, axis: number): Sym {
  const pre = x.shape.slice(0, axis);
  const post = x.shape.slice(axis + 1);
  const [p, m, q, v] = [sizeOf(pre), sizeOf(idx.shape), sizeOf(post), x.shape[axis]!];
  const rows = o.transpose(o.reshape(g, [p, m, q]), [1, 0, 2]); // [M, P, Q]
  const zeros = o.zeros([v, p, q]);
  const flatIdx = o.reshape(idx, [m, 1]);
  const scattered = o.emit('ScatterAdd', [zeros, flatIdx, rows], {}, [v, p, q], 'float32');
  return o.reshape(o.transpose(scattered, [1, 0, 2]), x.shape);
}
