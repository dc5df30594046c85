/**
 * Plain-JS reference implementations used by the nn tests (direct loops,
 * written from the PyTorch definitions, independent of both engines).
 */
import { HostTensor, Rng, sizeOf, type Shape } from '../src/index.js';

export function randn(rng: Rng, shape: Shape, std = 1): HostTensor<'float32'> {
  return new HostTensor(shape, rng.fillNormal(new Float32Array(sizeOf(shape)), 0, std), 'float32');
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}


/** Lift [N, C, ...s] with 1-3 spatial dims to 3 spatial dims by prepending size-1 dims. */
function to3d(shape: Shape): number[] {
  const s = shape.slice(2);
  return [shape[0]!, shape[1]!, ...Array(3 - s.length).fill(1), ...s];
}
function lift<T>(v: readonly T[], fill: T): T[] {
  return [...Array(3 - v.length).fill(fill), ...v];
}

export interface RefConvOpts {
  stride?: number[];
  pads?: [number, number][];
  dilation?: number[];
  groups?: number;
}

/** Cross-correlation like torch.nn.functional.conv{1,2,3}d. */
export function convRef(x: HostTensor, w: HostTensor, b: HostTensor | undefined, o: RefConvOpts = {}): HostTensor<'float32'> {
  const nd = x.shape.length - 2;
  const [N, C, D, H, W] = to3d(x.shape) as [number, number, number, number, number];
  const [O, Ig, KD, KH, KW] = to3d(w.shape) as [number, number, number, number, number];
  const st = lift(o.stride ?? Array(nd).fill(1), 1);
  const dl = lift(o.dilation ?? Array(nd).fill(1), 1);
  const pd = lift(o.pads ?? Array(nd).fill([0, 0]), [0, 0] as [number, number]);
  const g = o.groups ?? 1;
  const outDim = (n: number, k: number, i: number) => Math.floor((n + pd[i]![0] + pd[i]![1] - dl[i]! * (k - 1) - 1) / st[i]!) + 1;
  const OD = outDim(D, KD, 0), OH = outDim(H, KH, 1), OW = outDim(W, KW, 2);
  const out = new Float32Array(N * O * OD * OH * OW);
  const Og = O / g;
  for (let n = 0; n < N; n++)
    for (let oc = 0; oc < O; oc++) {
      const grp = Math.floor(oc / Og);
      for (let od = 0; od < OD; od++)
        for (let oh = 0; oh < OH; oh++)
          for (let ow = 0; ow < OW; ow++) {
            let acc = b ? b.data[oc]! : 0;
            for (let ic = 0; ic < Ig; ic++) {
              const c = grp * Ig + ic;
              for (let kd = 0; kd < KD; kd++) {
                const id = od * st[0]! - pd[0]![0] + kd * dl[0]!;
                if (id < 0 || id >= D) continue;
                for (let kh = 0; kh < KH; kh++) {
                  const ih = oh * st[1]! - pd[1]![0] + kh * dl[1]!;
                  if (ih < 0 || ih >= H) continue;
                  for (let kw = 0; kw < KW; kw++) {
                    const iw = ow * st[2]! - pd[2]![0] + kw * dl[2]!;
                    if (iw < 0 || iw >= W) continue;
                    acc += x.data[(((n * C + c) * D + id) * H + ih) * W + iw]! * w.data[(((oc * Ig + ic) * KD + kd) * KH + kh) * KW + kw]!;
                  }
                }
              }
            }
            out[(((n * O + oc) * OD + od) * OH + oh) * OW + ow] = acc;
          }
    }
  const spatial = [OD, OH, OW].slice(3 - nd);
  return new HostTensor([N, O, ...spatial], out, 'float32');
}

/** torch conv_transpose{1,2,3}d (weights [Cin, Cout/groups, ...k]). */
export function convTransposeRef(
  x: HostTensor,
  w: HostTensor,
  b: HostTensor | undefined,
  o: { stride?: number[]; padding?: number[]; outputPadding?: number[]; dilation?: number[]; groups?: number } = {},
): HostTensor<'float32'> {
  const nd = x.shape.length - 2;
  const [N, C, D, H, W] = to3d(x.shape) as [number, number, number, number, number];
  const [, Og, KD, KH, KW] = to3d(w.shape) as [number, number, number, number, number];
  const g = o.groups ?? 1;
  const O = Og * g;
  const st = lift(o.stride ?? Array(nd).fill(1), 1);
  const dl = lift(o.dilation ?? Array(nd).fill(1), 1);
  const p = lift(o.padding ?? Array(nd).fill(0), 0);
  const op = lift(o.outputPadding ?? Array(nd).fill(0), 0);
  const outDim = (n: number, k: number, i: number) => (n - 1) * st[i]! - 2 * p[i]! + dl[i]! * (k - 1) + op[i]! + 1;
  const OD = outDim(D, KD, 0), OH = outDim(H, KH, 1), OW = outDim(W, KW, 2);
  const out = new Float32Array(N * O * OD * OH * OW);
  const Cg = C / g;
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++) {
      const grp = Math.floor(c / Cg);
      for (let d = 0; d < D; d++)
        for (let h = 0; h < H; h++)
          for (let ww = 0; ww < W; ww++) {
            const v = x.data[(((n * C + c) * D + d) * H + h) * W + ww]!;
            for (let oc = 0; oc < Og; oc++)
              for (let kd = 0; kd < KD; kd++) {
                const od = d * st[0]! - p[0]! + kd * dl[0]!;
                if (od < 0 || od >= OD) continue;
                for (let kh = 0; kh < KH; kh++) {
                  const oh = h * st[1]! - p[1]! + kh * dl[1]!;
                  if (oh < 0 || oh >= OH) continue;
                  for (let kw = 0; kw < KW; kw++) {
                    const ow = ww * st[2]! - p[2]! + kw * dl[2]!;
                    if (ow < 0 || ow >= OW) continue;
                    const o2 = grp * Og + oc;
                    out[(((n * O + o2) * OD + od) * OH + oh) * OW + ow] += v * w.data[(((c * Og + oc) * KD + kd) * KH + kh) * KW + kw]!;
                  }
                }
              }
          }
    }
  if (b) {
    const per = OD * OH * OW;
    for (let i = 0; i < out.length; i++) out[i] += b.data[Math.floor(i / per) % O]!;
  }
  return new HostTensor([N, O, ...[OD, OH, OW].slice(3 - nd)], out, 'float32');
}

/** Pad every axis by [before, after] with torch F.pad semantics for constant/reflect/replicate. */
export function padRef(x: HostTensor, pads: [number, number][], mode: 'constant' | 'reflect' | 'replicate'): HostTensor<'float32'> {
  const shape = x.shape.map((d, i) => d + pads[i]![0] + pads[i]![1]);
  const out = new Float32Array(sizeOf(shape));
  const r = shape.length;
  const idx = new Array<number>(r).fill(0);
  for (let flat = 0; flat < out.length; flat++) {
    let rem = flat;
    for (let a = r - 1; a >= 0; a--) {
      idx[a] = rem % shape[a]!;
      rem = Math.floor(rem / shape[a]!);
    }
    let src = 0;
    let inside = true;
    for (let a = 0; a < r; a++) {
      const n = x.shape[a]!;
      let i = idx[a]! - pads[a]![0];
      if (i < 0 || i >= n) {
        if (mode === 'constant') inside = false;
        else if (mode === 'replicate') i = Math.min(Math.max(i, 0), n - 1);
        else i = i < 0 ? -i : 2 * (n - 1) - i;
      }
      src = src * n + i;
    }
    out[flat] = inside ? x.data[src]! : 0;
  }
  return new HostTensor(shape, out, 'float32');
}

/** Elementwise map. */
export function mapRef(x: HostTensor, f: (v: number) => number): HostTensor<'float32'> {
  return new HostTensor(x.shape, Float32Array.from(x.data, f), 'float32');
}

/** erf by its Maclaurin series / continued fraction, accurate to ~1e-12 on the ranges used. */
export function erfRef(x: number): number {
  const ax = Math.abs(x);
  if (ax < 3) {
    let sum = 0;
    let term = ax;
    for (let n = 0; n < 80; n++) {
      sum += term / (2 * n + 1);
      term *= (-ax * ax) / (n + 1);
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  return Math.sign(x) * (1 - Math.exp(-ax * ax) / (ax * Math.sqrt(Math.PI)) * (1 - 1 / (2 * ax * ax)));
}

/** Normalize groups of `groupSize` consecutive elements (after the layout is arranged so groups are contiguous). */
export function normalizeGroupsRef(data: Float32Array, groupSize: number, eps: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let s = 0; s < data.length; s += groupSize) {
    let mean = 0;
    for (let i = 0; i < groupSize; i++) mean += data[s + i]!;
    mean /= groupSize;
    let v = 0;
    for (let i = 0; i < groupSize; i++) v += (data[s + i]! - mean) ** 2;
    v /= groupSize;
    for (let i = 0; i < groupSize; i++) out[s + i] = (data[s + i]! - mean) / Math.sqrt(v + eps);
  }
  return out;
}
