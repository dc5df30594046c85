/**
 * Symbolic shape ops. Two normalizations keep the gradient rules simple:
 * a negative-step slice becomes a `Reverse` followed by a positive-step
 * `Slice`, and a reflect/replicate pad becomes one single-axis `Pad` per
 * padded axis.
 */
import type { PadMode } from '../../ops.js';
import { ShapeError, sizeOf, type Shape } from '../../tensor.js';
import { TraceError, type Sym, type SymOps } from './ir.js';
import { broadcastShapes, normAxis, sameShape } from './shapes.js';

export function reshape(o: SymOps, x: Sym, shape: Shape): Sym {
  const known = shape.filter((d) => d !== -1);
  const inferred = shape.length - known.length;
  if (inferred > 1) throw new ShapeError('reshape', 'at most one -1 in the target shape', shape);
  const target = shape.map((d) => (d === -1 ? x.shape.length === 0 ? 1 : sizeOf(x.shape) / sizeOf(known) : d));
  if (sizeOf(target) !== sizeOf(x.shape) || target.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new ShapeError('reshape', `a shape with ${sizeOf(x.shape)} elements (input [${x.shape.join(', ')}])`, shape);
  }
  if (sameShape(target, x.shape)) return x;
  return o.emit('Reshape', [x], { shape: target }, target, x.dtype);
}

export function transpose(o: SymOps, x: Sym, perm: readonly number[]): Sym {
  const r = x.shape.length;
  const p = perm.map((a) => normAxis('transpose', a, r));
  if (p.length !== r || new Set(p).size !== r) throw new ShapeError('transpose', `a permutation of 0..${r - 1}`, perm);
  if (p.every((a, i) => a === i)) return x;
  // moving only size-1 axes keeps the memory order: a (free) reshape
  const moved = p.filter((a) => x.shape[a] !== 1);
  if (moved.every((a, i) => i === 0 || a > moved[i - 1]!)) return reshape(o, x, p.map((a) => x.shape[a]!));
  return o.emit('Transpose', [x], { perm: p }, p.map((a) => x.shape[a]!), x.dtype);
}

/** Reverses `axes` (a slice with step -1 over the whole axis). */
export function reverse(o: SymOps, x: Sym, axes: readonly number[]): Sym {
  return axes.length === 0 ? x : o.emit('Reverse', [x], { axes: [...axes] }, x.shape, x.dtype);
}

export function slice(
  o: SymOps,
  x: Sym,
  begin: readonly number[],
  end: readonly number[],
  axes?: readonly number[],
  steps?: readonly number[],
): Sym {
  const r = x.shape.length;
  const ax = (axes ?? begin.map((_, i) => i)).map((a) => normAxis('slice', a, r));
  if (begin.length !== ax.length || end.length !== ax.length || (steps && steps.length !== ax.length)) {
    throw new RangeError(`slice: begin (${begin.length}), end (${end.length}), axes and steps must have equal lengths`);
  }
  const starts: number[] = [];
  const ends: number[] = [];
  const stp: number[] = [];
  const revAxes: number[] = [];
  const shape = [...x.shape];
  ax.forEach((a, i) => {
    const n = x.shape[a]!;
    const s = steps?.[i] ?? 1;
    if (s === 0 || !Number.isInteger(s)) throw new RangeError(`slice: step must be a non-zero integer, got ${s}`);
    let b = begin[i]!;
    let e = end[i]!;
    if (b < 0) b += n;
    if (e < 0) e += n;
    if (s > 0) {
      b = Math.min(Math.max(b, 0), n);
      e = Math.min(Math.max(e, 0), n);
    } else {
      // x[b:e:s] with s < 0 equals reverse(x)[n-1-b : n-1-e : -s]
      b = n - 1 - Math.min(Math.max(b, 0), n - 1);
      e = n - 1 - Math.min(Math.max(e, -1), n - 1);
      revAxes.push(a);
    }
    const len = Math.max(0, Math.ceil((e - b) / Math.abs(s)));
    shape[a] = len;
    if (b !== 0 || len * Math.abs(s) < n || Math.abs(s) !== 1 || e !== n) {
      starts.push(b);
      ends.push(Math.min(b + (len - 1) * Math.abs(s) + 1, n));
      stp.push(Math.abs(s));
    } else {
      starts.push(0);
      ends.push(n);
      stp.push(1);
    }
  });
  const xr = reverse(o, x, revAxes);
  const keep = ax.map((_, i) => i).filter((i) => !(starts[i] === 0 && ends[i] === x.shape[ax[i]!] && stp[i] === 1));
  if (keep.length === 0) return xr;
  const attrs = {
    starts: keep.map((i) => starts[i]!),
    ends: keep.map((i) => ends[i]!),
    axes: keep.map((i) => ax[i]!),
    steps: keep.map((i) => stp[i]!),
  };
  return o.emit('Slice', [xr], attrs, shape, x.dtype);
}

const ONNX_PAD_MODE: Record<PadMode, string> = { constant: 'constant', reflect: 'reflect', replicate: 'edge' };

export function pad(o: SymOps, x: Sym, pads: readonly (readonly [number, number])[], mode: PadMode, value: number): Sym {
  const r = x.shape.length;
  if (pads.length !== r) throw new ShapeError('pad', `${r} [before, after] pairs (one per axis)`, pads.map((p) => p.length));
  if (pads.some(([b, e]) => b < 0 || e < 0)) throw new RangeError('pad: negative padding is not supported (use slice)');
  if (mode !== 'constant') {
    let y = x;
    pads.forEach(([b, e], a) => {
      if (b === 0 && e === 0) return;
      const n = x.shape[a]!;
      if (mode === 'reflect' && (b >= n || e >= n)) {
        throw new ShapeError('pad (reflect)', `axis ${a} longer than its padding (${b}, ${e})`, x.shape);
      }
      const all = new Array<number>(2 * r).fill(0);
      all[a] = b;
      all[r + a] = e;
      const shape = y.shape.map((d, i) => (i === a ? d + b + e : d));
      y = o.emit('Pad', [y], { pads: all, mode: ONNX_PAD_MODE[mode], value: 0 }, shape, x.dtype);
    });
    return y;
  }
  if (pads.every(([b, e]) => b === 0 && e === 0)) return x;
  const all = [...pads.map((p) => p[0]), ...pads.map((p) => p[1])];
  const shape = x.shape.map((d, i) => d + pads[i]![0] + pads[i]![1]);
  return o.emit('Pad', [x], { pads: all, mode: 'constant', value }, shape, x.dtype);
}

export function concat(o: SymOps, xs: readonly Sym[], axis: number): Sym {
  if (xs.length === 0) throw new TraceError('concat: needs at least one tensor');
  const first = xs[0]!;
  const a = normAxis('concat', axis, first.shape.length);
  for (const x of xs) {
    if (x.shape.length !== first.shape.length || x.shape.some((d, i) => i !== a && d !== first.shape[i])) {
      throw new ShapeError('concat', `[${first.shape.map((d, i) => (i === a ? '*' : d)).join(', ')}]`, x.shape);
    }
  }
  if (xs.length === 1) return first;
  const dtype = xs.some((x) => x.dtype === 'float32') ? 'float32' : first.dtype;
  const shape = first.shape.map((d, i) => (i === a ? xs.reduce((s, x) => s + x.shape[a]!, 0) : d));
  return o.emit('Concat', xs.map((x) => o.cast(x, dtype)), { axis: a }, shape, dtype);
}

export function expand(o: SymOps, x: Sym, shape: Shape): Sym {
  const out = broadcastShapes('broadcastTo', x.shape, shape);
  if (!sameShape(out, shape)) throw new ShapeError('broadcastTo', `a shape that [${x.shape.join(', ')}] broadcasts to`, shape);
  if (sameShape(out, x.shape)) return x;
  return o.emit('Expand', [x], { shape: [...shape] }, shape, x.dtype);
}

export function gather(o: SymOps, x: Sym, indices: Sym, axis: number): Sym {
  const a = normAxis('gather', axis, x.shape.length);
  const idx = o.cast(indices, 'int32');
  const shape = [...x.shape.slice(0, a), ...idx.shape, ...x.shape.slice(a + 1)];
  return o.emit('Gather', [x, idx], { axis: a }, shape, x.dtype);
}
