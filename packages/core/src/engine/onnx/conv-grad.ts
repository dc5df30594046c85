/**
 * Gradients of convolution and pooling, chosen for onnxruntime CPU speed:
 * - input gradient of a stride-1 conv: a Conv with the flipped, transposed
 *   kernel (measured 1.9x faster than ConvTranspose in 2D, 10x in 3D);
 *   strided convs use ConvTranspose, the exact adjoint, or in 3D its
 *   per-phase decomposition into Convs (conv-transpose-phases.ts);
 * - weight gradient: strided slices of the padded input (channels-last, or
 *   NCHW for 1-D/2-D batches), each contracted with the output gradient by a
 *   batched MatMul (measured ~3x faster than the transposed-convolution
 *   trick and ~1.3x faster than one im2col Gemm, which pays for a large
 *   concat). When the last axis has stride 1 and no dilation, its taps ride
 *   on the output gradient instead (weightGradLastAxisOnG), so a 3x3x3
 *   kernel needs 9 input slices, not 27 (docs/benchmarks.md, 2026-12-05 A/Bs);
 * - max pooling: the window tap that produced the max (first one on ties,
 *   like PyTorch) receives the gradient; the taps' shares are scattered back
 *   by one depthwise ConvTranspose, as average pooling's are.
 */
import { ShapeError } from '../../tensor.js';
import type { Attrs, Sym, SymOps } from './ir.js';
import { reverse } from './trace-shape.js';
import { convTransposeByPhases, usePhases } from './conv-transpose-phases.js';

export interface ConvAttrs {
  strides: readonly number[];
  pads: readonly number[];
  dilations: readonly number[];
  group: number;
}

export function convAttrs(a: Attrs): ConvAttrs {
  return {
    strides: a.strides as readonly number[],
    pads: a.pads as readonly number[],
    dilations: a.dilations as readonly number[],
    group: a.group as number,
  };
}

const pairs = (pads: readonly number[], n: number): [number, number][] =>
  Array.from({ length: n }, (_, i) => [pads[i]!, pads[n + i]!] as [number, number]);

const spatialAxes = (rank: number): number[] => Array.from({ length: rank - 2 }, (_, i) => i + 2);

/** Every multi-index of a kernel, row-major (matches the weight layout). */
function kernelTaps(kernel: readonly number[]): number[][] {
  let taps: number[][] = [[]];
  for (const k of kernel) taps = taps.flatMap((t) => Array.from({ length: k }, (_, i) => [...t, i]));
  return taps;
}

/** Bias gradient: sum over batch and spatial axes. */
export function biasGrad(o: SymOps, g: Sym): Sym {
  return o.sum(g, [0, ...spatialAxes(g.shape.length)]);
}

/**
 * Gradient w.r.t. the input of y = conv(x, w): `xShape` is x's shape and g
 * is dL/dy.
 */
export function convInputGrad(o: SymOps, g: Sym, w: Sym, xShape: readonly number[], a: ConvAttrs): Sym {
  const n = xShape.length - 2;
  const kernel = w.shape.slice(2);
  const span = kernel.map((k, i) => (k - 1) * a.dilations[i]!);
  const flippedPads = pairs(a.pads, n).map(([b, e], i) => [span[i]! - b, span[i]! - e] as [number, number]);
  if (a.strides.every((s) => s === 1) && flippedPads.every(([b, e]) => b >= 0 && e >= 0)) {
    const [cout, cinG] = w.shape as [number, number];
    const G = a.group;
    const wg = o.reshape(w, [G, cout / G, cinG, ...kernel]);
    const perm = [0, 2, 1, ...kernel.map((_, i) => i + 3)];
    const wt = o.reshape(o.transpose(wg, perm), [cinG * G, cout / G, ...kernel]);
    const wf = reverse(o, wt, spatialAxes(wt.shape.length));
    return o.conv(g, wf, undefined, { padding: flippedPads, dilation: a.dilations, groups: G });
  }
  const outputPadding = xShape.slice(2).map(
    (d, i) => d - ((g.shape[2 + i]! - 1) * a.strides[i]! + span[i]! + 1 - a.pads[i]! - a.pads[n + i]!),
  );
  if (usePhases(a.strides, a.dilations)) return convTransposeByPhases(o, g, w, { ...a, outputPadding });
  return o.convTranspose(g, w, undefined, {
    stride: a.strides,
    padding: pairs(a.pads, n),
    dilation: a.dilations,
    groups: a.group,
    outputPadding,
  });
}

/** [begin, end) of the strided input window a kernel tap reads, on the first tap.length spatial axes. */
function tapWindow(tap: readonly number[], outSp: readonly number[], a: ConvAttrs): [number[], number[]] {
  const begin = tap.map((t, i) => t * a.dilations[i]!);
  return [begin, begin.map((b, i) => b + (outSp[i]! - 1) * a.strides[i]! + 1)];
}

/** Largest divisor of n that is <= cap. */
function divisorUpTo(n: number, cap: number): number {
  for (let d = Math.min(cap, n); d > 1; d--) if (n % d === 0) return d;
  return 1;
}

/**
 * Gradient w.r.t. the weight of y = conv(x, w) (weight [Cout, Cin/G, ...k]),
 * given x and g = dL/dy. Also serves ConvTranspose with x and g swapped.
 *
 * Ungrouped: the padded input goes channels-last once; each kernel tap is a
 * strided slice [N, ...out, Cin] contracted with the output gradient by a
 * batched MatMul whose batch splits the long N*out reduction into chunks
 * (so both threads stay busy even at batch size 1), then summed.
 * Grouped: the taps are concatenated (im2col) and contracted per group.
 */
export function convWeightGrad(o: SymOps, x: Sym, g: Sym, wShape: readonly number[], a: ConvAttrs): Sym {
  const n = x.shape.length - 2;
  const [cout, cinG] = wShape as [number, number];
  const kernel = wShape.slice(2);
  const G = a.group;
  const outSp = g.shape.slice(2);
  const batch = x.shape[0]!;
  const no = batch * outSp.reduce((p, d) => p * d, 1);
  const padPairs = pairs(a.pads, n).map(([b, e], i) => {
    // the last tap's strided window must fit; slices ignore any excess
    const need = (outSp[i]! - 1) * a.strides[i]! + (kernel[i]! - 1) * a.dilations[i]! + 1;
    return [b, Math.max(e, need - x.shape[2 + i]! - b)] as [number, number];
  });
  const last = n - 1;
  if (G === 1 && kernel[last]! > 1 && a.strides[last] === 1 && a.dilations[last] === 1) {
    return weightGradLastAxisOnG(o, x, g, wShape, a, padPairs);
  }
  const taps = kernelTaps(kernel);
  const window = (tap: number[]): [number[], number[]] => tapWindow(tap, outSp, a);
  if (G === 1) {
    // chunks along N, or along the first output dim at batch size 1
    const byBatch = divisorUpTo(batch, 8);
    let chunks: number;
    let gc: Sym; // [chunks, Cout, N*out/chunks], matching the row order of the tap slices
    if (batch > 1) {
      chunks = byBatch;
      const g4 = o.reshape(g, [chunks, batch / chunks, cout, no / batch]);
      gc = o.reshape(o.transpose(g4, [0, 2, 1, 3]), [chunks, cout, no / chunks]);
    } else {
      chunks = divisorUpTo(outSp[0]!, 8);
      gc = o.transpose(o.reshape(g, [cout, chunks, no / chunks]), [1, 0, 2]);
    }
    // Transposed, then padded: padding the channels-last tensor copies whole
    // channel rows, measured 2-3x faster than padding NCHW rows of a few floats
    // and transposing the larger padded tensor. (The grouped path does the same.)
    const channelsLast = o.transpose(x, [0, ...spatialAxes(x.shape.length), 1]);
    const xl = o.pad(channelsLast, [[0, 0], ...padPairs, [0, 0]]); // [N, ...padded, Cin]
    const parts = taps.map((tap) => {
      const [begin, end] = window(tap);
      const s = o.slice(xl, begin, end, Array.from({ length: n }, (_, i) => i + 1), a.strides);
      return o.matmul(gc, o.reshape(s, [chunks, no / chunks, cinG])); // [chunks, Cout, Cin]
    });
    const summed = o.sum(o.concat(parts, 2), 0); // [Cout, taps * Cin]
    return o.reshape(o.transpose(o.reshape(summed, [cout, taps.length, cinG]), [0, 2, 1]), wShape);
  }
  const perm = [1, 0, ...spatialAxes(x.shape.length)];
  const xt = o.pad(o.transpose(x, perm), [[0, 0], [0, 0], ...padPairs]); // [Cin, N, ...padded]
  const cols = taps.map((tap) => {
    const [begin, end] = window(tap);
    return o.reshape(o.slice(xt, begin, end, spatialAxes(x.shape.length), a.strides), [G, cinG, no]);
  });
  const gt = o.transpose(g, perm); // [Cout, N, ...out]
  const im2col = o.concat(cols, 1); // [G, taps * Cin/G, N * out]
  const dw = o.matmul(o.reshape(gt, [G, cout / G, no]), im2col, false, true); // [G, Cout/G, taps * Cin/G]
  return o.reshape(o.transpose(o.reshape(dw, [cout, taps.length, cinG]), [0, 2, 1]), wShape);
}

/**
 * Ungrouped weight gradient when the last spatial axis has stride 1 and no
 * dilation: that axis's kw taps move to the output-gradient side. g is
 * zero-padded to the input window's width wx = out + kw - 1 in kw shifted
 * ways (j zeros before, kw-1-j after), concatenated on channels: G [(j, o),
 * rows]. Then each tap of the other axes needs ONE slice of the padded
 * input, X [rows, Cin] (full window width), and one MatMul G X gives that
 * tap's kw weight slices at once: for w' = w - j, G[(j, o), (.., w)]
 * X[(.., w), i] sums g(.., w', o) x(.., w' + j, i), and G is zero where
 * w - j is off the row. A 3x3x3 kernel takes 9 input slices instead of 27,
 * each MatMul has a kw-times taller left operand, and the input is read
 * 1/kw as often.
 */
function weightGradLastAxisOnG(o: SymOps, x: Sym, g: Sym, wShape: readonly number[], a: ConvAttrs, padPairs: [number, number][]): Sym {
  const n = x.shape.length - 2;
  const [cout, cin] = wShape as [number, number];
  const kernel = wShape.slice(2);
  const last = n - 1;
  const kw = kernel[last]!;
  const outSp = g.shape.slice(2);
  const batch = x.shape[0]!;
  const wx = outSp[last]! + kw - 1; // input columns one output row reads
  const leadOut = outSp.slice(0, last);
  const rows = batch * leadOut.reduce((p, d) => p * d, 1) * wx;
  // MatMul batches (threads): one per image, or chunks of the first spatial axis at batch size 1
  const chunks = batch > 1 ? batch : n > 1 ? divisorUpTo(outSp[0]!, 8) : 1;
  const perChunk = rows / chunks;
  // G, the MatMul's left operand [chunks, kw*Cout, rows/chunks], built channels-first: there the pads and
  // the concat move whole rows (channels-last, or MatMul's transposed A, measured slower)
  const noPad = leadOut.map(() => [0, 0] as [number, number]);
  const shifted = Array.from({ length: kw }, (_, j) => o.pad(g, [[0, 0], [0, 0], ...noPad, [j, kw - 1 - j]]));
  const gk = o.concat(shifted, 1); // [N, kw*Cout, ...leadOut, wx]: G[.., w, (j, o)] = g(.., w - j, o)
  const gc = batch > 1 ? o.reshape(gk, [chunks, kw * cout, perChunk]) : o.transpose(o.reshape(gk, [kw * cout, chunks, perChunk]), [1, 0, 2]);
  // The input's side: one slice per tap of the other axes. 1-D/2-D with a batch: straight from NCHW, one
  // GEMM per image against the slice transposed (no channels-last copy of x; measured faster there). 3-D,
  // or one image: channels-last, where a slice copies long rows and the GEMM splits the reduction.
  const leadTaps = kernelTaps(kernel.slice(0, last));
  const channelsFirst = batch > 1 && n <= 2;
  const xp = channelsFirst
    ? o.pad(x, [[0, 0], [0, 0], ...padPairs])
    : o.pad(o.transpose(x, [0, ...spatialAxes(x.shape.length), 1]), [[0, 0], ...padPairs, [0, 0]]);
  const sliceAxes = Array.from({ length: n }, (_, i) => i + (channelsFirst ? 2 : 1));
  const parts = leadTaps.map((tap) => {
    const [begin, end] = tapWindow(tap, leadOut, a);
    const s = o.slice(xp, [...begin, 0], [...end, wx], sliceAxes, [...a.strides.slice(0, last), 1]);
    return channelsFirst
      ? o.matmul(gc, o.reshape(s, [chunks, cin, perChunk]), false, true) // [N, kw * Cout, Cin]
      : o.matmul(gc, o.reshape(s, [chunks, perChunk, cin])); // [chunks, kw * Cout, Cin]
  });
  const summed = o.sum(parts.length > 1 ? o.concat(parts, 1) : parts[0]!, 0); // [(tap, j, Cout), Cin]
  const perTap = o.reshape(summed, [leadTaps.length, kw, cout, cin]);
  return o.reshape(o.transpose(perTap, [2, 3, 0, 1]), wShape);
}

export interface PoolAttrs {
  kernel: readonly number[];
  strides: readonly number[];
  pads: readonly number[];
}

export function poolAttrs(a: Attrs): PoolAttrs {
  return {
    kernel: a.kernel_shape as readonly number[],
    strides: a.strides as readonly number[],
    pads: a.pads as readonly number[],
  };
}

/**
 * Average-pool gradient (count_include_pad=True): a depthwise transposed conv
 * with a constant 1/|window| kernel. Windows clipped by ceil mode use the full
 * window size as divisor here (a documented approximation).
 */
export function avgPoolGrad(o: SymOps, g: Sym, xShape: readonly number[], a: PoolAttrs): Sym {
  const c = xShape[1]!;
  const size = a.kernel.reduce((p, k) => p * k, 1);
  return scatterWindows(o, g, o.fill([c, 1, ...a.kernel], 1 / size), xShape, a, c);
}

/**
 * Adds each window's values back onto the input positions it covered: a
 * transposed conv with `groups` groups over g [N, groups * T, ...out] and
 * kernel w [groups * T, 1, ...kernel], cropped to the pooling pads (and
 * grown by the rows a floor-mode pool never read).
 */
function scatterWindows(o: SymOps, g: Sym, w: Sym, xShape: readonly number[], a: PoolAttrs, groups: number): Sym {
  const padding: [number, number][] = [];
  const outputPadding: number[] = [];
  for (let i = 0; i < xShape.length - 2; i++) {
    const full = (g.shape[2 + i]! - 1) * a.strides[i]! + a.kernel[i]! - 2 * a.pads[i]!;
    const extra = xShape[2 + i]! - full;
    padding.push([a.pads[i]!, a.pads[i]! + Math.max(0, -extra)]);
    outputPadding.push(Math.max(0, extra));
  }
  return o.convTranspose(g, w, undefined, { stride: a.strides, padding, groups, outputPadding });
}

/** Zero-fills a strided-slice gradient back to the full axis (the VJP of Slice). */
export function unslice(o: SymOps, g: Sym, shape: readonly number[], starts: readonly number[], axes: readonly number[], steps: readonly number[]): Sym {
  let out = g;
  axes.forEach((ax, i) => {
    const len = out.shape[ax]!;
    const s = steps[i]!;
    if (s > 1 && len > 0) {
      // interleave s-1 zeros after every element along `ax`
      const pre = out.shape.slice(0, ax);
      const post = out.shape.slice(ax + 1);
      const col = o.reshape(out, [...pre, len, 1, ...post]);
      const padded = o.pad(col, col.shape.map((_, j) => (j === ax + 1 ? [0, s - 1] : [0, 0]) as [number, number]));
      const flat = o.reshape(padded, [...pre, len * s, ...post]);
      out = o.slice(flat, [0], [(len - 1) * s + 1], [ax]);
    }
    const after = shape[ax]! - starts[i]! - out.shape[ax]!;
    if (after < 0) throw new ShapeError('slice gradient', `a slice inside axis ${ax}`, shape);
    out = o.pad(out, out.shape.map((_, j) => (j === ax ? [starts[i]!, after] : [0, 0]) as [number, number]));
  });
  return out;
}

/**
 * Each tap's share (g where that tap held the window's max and no earlier tap
 * did) is computed at output resolution, the T shares are stacked as
 * channels, and one depthwise ConvTranspose with a one-hot kernel per tap
 * scatters them back. Scattering per tap with strided unslices instead
 * (zero-interleaving Pads) took ~55% of an AlexNet LPIPS backward.
 */
export function maxPoolGrad(o: SymOps, g: Sym, x: Sym, y: Sym, a: PoolAttrs): Sym {
  const axes = spatialAxes(x.shape.length);
  const [n, c] = g.shape as [number, number];
  const outSp = y.shape.slice(2);
  const padPairs = axes.map((ax, i) => {
    const need = (outSp[i]! - 1) * a.strides[i]! + a.kernel[i]!;
    return [a.pads[i]!, Math.max(0, need - x.shape[ax]! - a.pads[i]!)] as [number, number];
  });
  const xp = padPairs.some(([b, e]) => b > 0 || e > 0) ? o.pad(x, [[0, 0], [0, 0], ...padPairs], 'constant', -3.4e38) : x;
  const taps = kernelTaps(a.kernel);
  let remaining: Sym | number = 1;
  const shares: Sym[] = [];
  for (const tap of taps) {
    const end = tap.map((t, i) => t + (outSp[i]! - 1) * a.strides[i]! + 1);
    const win = o.slice(xp, tap, end, axes, a.strides);
    const hit = o.mul(o.cast(o.equal(win, y), 'float32'), remaining);
    remaining = o.sub(remaining, hit);
    shares.push(o.reshape(o.mul(g, hit), [n, c, 1, ...outSp]));
  }
  const t = taps.length;
  const stacked = o.reshape(o.concat(shares, 2), [n, c * t, ...outSp]);
  const oneHot = new Float32Array(c * t * t);
  for (let ch = 0; ch < c; ch++) for (let i = 0; i < t; i++) oneHot[(ch * t + i) * t + i] = 1;
  return scatterWindows(o, stacked, o.constant(oneHot, [c * t, 1, ...a.kernel]), x.shape, a, c);
}
