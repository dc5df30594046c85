/**
 * Trace-time shape arithmetic shared by the symbolic ops and the gradient
 * rules: NumPy broadcasting, axis normalization and the convolution/pooling
 * parameter forms of ops.ts expanded to per-dimension arrays.
 */
import { ShapeError, type Shape } from '../../tensor.js';
import type { ConvOptions } from '../../ops.js';

export function broadcastShapes(where: string, a: Shape, b: Shape): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(where, `a shape broadcastable with [${a.join(', ')}]`, b);
    }
    out.push(da === 1 ? db : da);
  }
  return out;
}

export function normAxis(where: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= Math.max(rank, 1)) {
    throw new RangeError(`${where}: axis ${axis} is out of range for rank ${rank} (valid: ${-rank}..${rank - 1})`);
  }
  return a;
}

/** Sorted unique non-negative axes; undefined means all axes. */
export function normAxes(where: string, axes: number | readonly number[] | undefined, rank: number): number[] {
  if (axes === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof axes === 'number' ? [axes] : axes;
  return [...new Set(list.map((a) => normAxis(where, a, rank)))].sort((x, y) => x - y);
}

export function perDim(where: string, v: number | readonly number[] | undefined, n: number, dflt: number): number[] {
  if (v === undefined) return new Array<number>(n).fill(dflt);
  if (typeof v === 'number') return new Array<number>(n).fill(v);
  if (v.length !== n) throw new RangeError(`${where}: expected 1 or ${n} values, got ${v.length}`);
  return [...v];
}

/** ONNX pads layout: all begins, then all ends. */
export function padPairs(where: string, p: ConvOptions['padding'], n: number): number[] {
  if (p === undefined || typeof p === 'number') {
    const v = p ?? 0;
    return new Array<number>(2 * n).fill(v);
  }
  if (p.length !== n) throw new RangeError(`${where}: padding needs ${n} entries (one per spatial dim), got ${p.length}`);
  const begins: number[] = [];
  const ends: number[] = [];
  for (const e of p) {
    if (typeof e === 'number') {
      begins.push(e);
      ends.push(e);
    } else {
      const pair = e as readonly [number, number];
      begins.push(pair[0]);
      ends.push(pair[1]);
    }
  }
  return [...begins, ...ends];
}

export interface ConvGeometry {
  strides: number[];
  pads: number[];
  dilations: number[];
  group: number;
}

export function convGeometry(where: string, opts: ConvOptions | undefined, nSpatial: number): ConvGeometry {
  return {
    strides: perDim(`${where} stride`, opts?.stride, nSpatial, 1),
    pads: padPairs(`${where} padding`, opts?.padding, nSpatial),
    dilations: perDim(`${where} dilation`, opts?.dilation, nSpatial, 1),
    group: opts?.groups ?? 1,
  };
}

export function convOutSize(inp: number, k: number, s: number, d: number, pb: number, pe: number): number {
  return Math.floor((inp + pb + pe - (k - 1) * d - 1) / s) + 1;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function strides(shape: Shape): number[] {
  const st = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    st[i] = acc;
    acc *= shape[i]!;
  }
  return st;
}
