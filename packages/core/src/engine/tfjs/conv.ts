/**
 * Channels-first (PyTorch layout) convolution and pooling on top of tfjs's
 * channels-last kernels. Inputs are transposed NC... → N...C and weights
 * OI... → ...IO around each tfjs call.
 *
 * Choices made for correctness on every backend and under tfjs autodiff:
 * - Padding is applied with an explicit tf.pad and the kernel runs 'valid',
 *   because tfjs's conv3d / pooling accept only 'same'/'valid'.
 * - Dilation is applied by inserting zeros into the kernel: tfjs's conv
 *   gradients reject dilation > 1 and conv2d rejects stride and dilation > 1
 *   together.
 * - Grouped convolution is split/concat per group, except the depthwise 2-D
 *   case (groups == Cin) which has a native tfjs kernel.
 * - 1-D convolution and pooling run as 2-D with a unit height.
 * - The convolutions themselves and their gradients are in conv-grad.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ConvOptions, ConvTransposeOptions, PoolOptions } from '../../ops.js';
import { ShapeError } from '../../tensor.js';
import { convInputGrad, convValid, interleaveZeros } from './conv-grad.js';
import { TfjsEngineError } from './tensors.js';

type Pair = [number, number];

/** One value per spatial dim; `v` may be one number for all dims. */
export function perDim(v: number | readonly number[] | undefined, n: number, def: number, what: string): number[] {
  if (v === undefined) return new Array<number>(n).fill(def);
  if (typeof v === 'number') return new Array<number>(n).fill(v);
  if (v.length !== n) {
    throw new TfjsEngineError(`${what}: expected one number or ${n} numbers (one per spatial dim), got [${v.join(', ')}]`);
  }
  return [...v];
}

/** Padding as [before, after] per spatial dim. */
export function padPairs(p: ConvOptions['padding'], n: number): Pair[] {
  if (p === undefined) return Array.from({ length: n }, (): Pair => [0, 0]);
  if (typeof p === 'number') return Array.from({ length: n }, (): Pair => [p, p]);
  if (p.length !== n) throw new TfjsEngineError(`padding: expected ${n} entries (one per spatial dim), got ${p.length}`);
  return p.map((e): Pair => (typeof e === 'number' ? [e, e] : [e[0], e[1]]));
}

const range = (a: number, b: number): number[] => Array.from({ length: b - a }, (_, i) => a + i);
/** N C S... → N S... C */
const toLast = (r: number): number[] => [0, ...range(2, r + 2), 1];
/** N S... C → N C S... */
const toFirst = (r: number): number[] => [0, r + 1, ...range(1, r + 1)];
/** [A, B, K...] → [K..., B, A]: OI.. → ..IO for conv, IO.. → ..OI for convTranspose (what tfjs wants). */
const kernelToLast = (r: number): number[] => [...range(2, r + 2), 1, 0];

function dilateKernel(w: tf.Tensor, dil: readonly number[]): tf.Tensor {
  let out = w;
  dil.forEach((d, i) => {
    out = interleaveZeros(out, 2 + i, d);
  });
  return out;
}

function spatialRank(x: tf.Tensor, where: string): number {
  const r = x.rank - 2;
  if (r < 1 || r > 3) throw new ShapeError(where, '[N, C, L], [N, C, H, W] or [N, C, D, H, W]', x.shape);
  return r;
}

function addBias(y: tf.Tensor, bias: tf.Tensor | undefined, cout: number, where: string): tf.Tensor {
  if (!bias) return y;
  if (bias.rank !== 1 || bias.shape[0] !== cout) throw new ShapeError(`${where} bias`, `[${cout}]`, bias.shape);
  return tf.add(y, tf.reshape(bias, [1, cout, ...new Array<number>(y.rank - 2).fill(1)]));
}

/** PyTorch ConvNd: x [N, Cin, ...], w [Cout, Cin/groups, ...k]. */
export function conv(x0: tf.Tensor, w0: tf.Tensor, bias: tf.Tensor | undefined, opts: ConvOptions = {}): tf.Tensor {
  const r = spatialRank(x0, 'conv');
  if (w0.rank !== x0.rank) throw new ShapeError('conv weight', `rank ${x0.rank}: [Cout, Cin/groups, ...kernel]`, w0.shape);
  const groups = opts.groups ?? 1;
  const cin = x0.shape[1]!;
  const cout = w0.shape[0]!;
  if (cin !== w0.shape[1]! * groups || cout % groups !== 0) {
    throw new ShapeError('conv', `input channels ${w0.shape[1]! * groups} (weight Cin/groups ${w0.shape[1]} x groups ${groups}) and Cout divisible by groups`, x0.shape);
  }
  const g = liftConv1d(r, {
    x: x0,
    w: w0,
    stride: perDim(opts.stride, r, 1, 'conv stride'),
    dil: perDim(opts.dilation, r, 1, 'conv dilation'),
    pads: padPairs(opts.padding, r),
  });
  const { stride, dil, pads } = g;
  let { x, w } = g;
  const rr = x.rank - 2;
  w = dilateKernel(w, dil);
  if (pads.some(([a, b]) => a !== 0 || b !== 0)) x = tf.pad(x, [[0, 0], [0, 0], ...pads]);
  const xl = tf.transpose(x, toLast(rr));
  let yl: tf.Tensor;
  if (groups === 1) {
    yl = convValid(xl, tf.transpose(w, kernelToLast(rr)), stride);
  } else if (rr === 2 && groups === cin) {
    // Depthwise: PyTorch output channel c*mult+m is tfjs's channel c*mult+m too.
    const mult = cout / cin;
    const f = tf.transpose(tf.reshape(w, [cin, mult, w.shape[2]!, w.shape[3]!]), [2, 3, 0, 1]);
    yl = tf.depthwiseConv2d(xl as tf.Tensor4D, f as tf.Tensor4D, stride as [number, number], 'valid');
  } else {
    const xs = tf.split(xl, groups, -1);
    const ws = tf.split(tf.transpose(w, kernelToLast(rr)), groups, -1);
    yl = tf.concat(xs.map((xg, g) => convValid(xg, ws[g]!, stride)), -1);
  }
  let y = tf.transpose(yl, toFirst(rr));
  if (r === 1) y = tf.squeeze(y, [2]);
  return addBias(y, bias, cout, 'conv');
}


interface ConvGeometry {
  x: tf.Tensor;
  w: tf.Tensor;
  stride: number[];
  dil: number[];
  pads: [number, number][];
}

/** tfjs has no 1-D conv kernels worth using: run 1-D as 2-D with a unit height axis. */
function liftConv1d(r: number, g: ConvGeometry): ConvGeometry {
  if (r !== 1) return g;
  return {
    x: tf.expandDims(g.x, 2),
    w: tf.expandDims(g.w, 2),
    stride: [1, ...g.stride],
    dil: [1, ...g.dil],
    pads: [[0, 0], ...g.pads],
  };
}

/**
 * PyTorch ConvTransposeNd: x [N, Cin, ...], w [Cin, Cout/groups, ...k].
 * Computes the full ('valid') transposed conv of size (in-1)*s + k_eff, then
 * crops `padding` and appends `outputPadding` zeros, which is PyTorch's
 * output size (in-1)*s - pb - pa + d*(k-1) + 1 + outputPadding.
 */
export function convTranspose(x0: tf.Tensor, w0: tf.Tensor, bias: tf.Tensor | undefined, opts: ConvTransposeOptions = {}): tf.Tensor {
  const r = spatialRank(x0, 'convTranspose');
  if (w0.rank !== x0.rank) throw new ShapeError('convTranspose weight', `rank ${x0.rank}: [Cin, Cout/groups, ...kernel]`, w0.shape);
  const groups = opts.groups ?? 1;
  const cin = x0.shape[1]!;
  if (w0.shape[0] !== cin || cin % groups !== 0) {
    throw new ShapeError('convTranspose', `input channels ${w0.shape[0]} (weight dim 0), divisible by groups ${groups}`, x0.shape);
  }
  const cout = w0.shape[1]! * groups;
  const g = liftConv1d(r, {
    x: x0,
    w: w0,
    stride: perDim(opts.stride, r, 1, 'convTranspose stride'),
    dil: perDim(opts.dilation, r, 1, 'convTranspose dilation'),
    pads: padPairs(opts.padding, r),
  });
  const { stride, dil, pads } = g;
  let outPad = perDim(opts.outputPadding, r, 0, 'convTranspose outputPadding');
  if (r === 1) outPad = [0, ...outPad];
  let { x, w } = g;
  const rr = x.rank - 2;
  w = dilateKernel(w, dil);
  const k = w.shape.slice(2);
  const full = x.shape.slice(2).map((n, i) => (n - 1) * stride[i]! + k[i]!);
  const xl = tf.transpose(x, toLast(rr));
  const wl = tf.transpose(w, kernelToLast(rr));
  let yl: tf.Tensor;
  if (groups === 1) {
    yl = convInputGrad(xl, wl, full, stride);
  } else {
    const xs = tf.split(xl, groups, -1);
    const ws = tf.split(wl, groups, -1);
    yl = tf.concat(xs.map((xg, g) => convInputGrad(xg, ws[g]!, full, stride)), -1);
  }
  const ends = full.map((f, i) => f - pads[i]![1] + outPad[i]!);
  const extra = ends.map((e, i) => Math.max(0, e - full[i]!));
  if (extra.some((e) => e > 0)) yl = tf.pad(yl, [[0, 0], ...extra.map((e): Pair => [0, e]), [0, 0]]);
  const begin = [0, ...pads.map((p) => p[0]), 0];
  const size = [-1, ...ends.map((e, i) => e - pads[i]![0]), -1];
  if (size.some((s) => s === 0 || s < -1)) {
    throw new ShapeError('convTranspose', 'padding smaller than the full output', x0.shape);
  }
  yl = tf.slice(yl, begin, size);
  let y = tf.transpose(yl, toFirst(rr));
  if (r === 1) y = tf.squeeze(y, [2]);
  return addBias(y, bias, cout, 'convTranspose');
}

/**
 * Max / average pooling with PyTorch semantics: zero padding counted in the
 * average (count_include_pad=True, the PyTorch default), -inf padding for
 * max, and ceil_mode windows that run past the padded input averaged over
 * the part that lies inside it (PyTorch's divisor rule).
 */
export function pool(kind: 'avg' | 'max', x0: tf.Tensor, opts: PoolOptions): tf.Tensor {
  const where = `${kind}Pool`;
  const r = spatialRank(x0, where);
  let k = perDim(opts.kernel, r, 1, `${where} kernel`);
  let s = perDim(opts.stride ?? opts.kernel, r, 1, `${where} stride`);
  let p = perDim(opts.padding, r, 0, `${where} padding`);
  let x = x0;
  if (r === 1) {
    x = tf.expandDims(x, 2);
    k = [1, ...k];
    s = [1, ...s];
    p = [0, ...p];
  }
  const rr = x.rank - 2;
  const sp = x.shape.slice(2);
  const extra = sp.map((n, i) => {
    const span = n + 2 * p[i]! - k[i]!;
    if (span < 0) throw new ShapeError(where, `spatial size + 2*padding >= kernel ${k[i]}`, x0.shape);
    let out = (opts.ceilMode ? Math.ceil(span / s[i]!) : Math.floor(span / s[i]!)) + 1;
    // PyTorch: the last window must start inside the input or its left padding.
    if (opts.ceilMode && (out - 1) * s[i]! >= n + p[i]!) out--;
    return Math.max(0, (out - 1) * s[i]! + k[i]! - (n + 2 * p[i]!));
  });
  const padVal = kind === 'max' ? -Infinity : 0;
  const padded = p.some((v) => v > 0) || extra.some((e) => e > 0);
  const xp = padded ? tf.pad(x, [[0, 0], [0, 0], ...p.map((v, i): Pair => [v, v + extra[i]!])], padVal) : x;
  const run = (t: tf.Tensor): tf.Tensor => {
    if (rr === 2) {
      const f = kind === 'max' ? tf.maxPool : tf.avgPool;
      return f(t as tf.Tensor4D, k as [number, number], s as [number, number], 'valid');
    }
    const f = kind === 'max' ? tf.maxPool3d : tf.avgPool3d;
    return f(t as tf.Tensor5D, k as [number, number, number], s as [number, number, number], 'valid');
  };
  let yl = run(tf.transpose(xp, toLast(rr)));
  if (kind === 'avg' && extra.some((e) => e > 0)) {
    const inside = tf.ones([1, ...sp.map((n, i) => n + 2 * p[i]!), 1]);
    const mask = tf.pad(inside, [[0, 0], ...extra.map((e): Pair => [0, e]), [0, 0]]);
    yl = tf.div(yl, run(mask));
  }
  let y = tf.transpose(yl, toFirst(rr));
  if (r === 1) y = tf.squeeze(y, [2]);
  return y;
}
