/**
 * Float64 host references for the ops.grad tests: small functions f(x; w)
 * with their input gradient ∇_x f written out by hand, and central finite
 * differences of R(w) = ‖∇_x f‖² over w (the second-order quantity the
 * engines must differentiate).
 */

import { convOutSize, eachConv2dTap as eachTap, type Conv2dGeom } from '../src/testing.js';

/**
 * f(x; w, bias) = Σ c ⊙ leakyRelu(conv(x, w) + bias, alpha); returns ∇_x f.
 */
export function convLeakyGradX(
  g: Conv2dGeom, x: ArrayLike<number>, w: ArrayLike<number>, bias: ArrayLike<number>, c: ArrayLike<number>, alpha: number,
): Float64Array {
  const per = convOutSize(g, g.h) * convOutSize(g, g.w);
  const y = new Float64Array(g.n * g.cout * per);
  for (let i = 0; i < y.length; i++) y[i] = bias[Math.floor(i / per) % g.cout]!;
  eachTap(g, (yi, xi, wi) => (y[yi]! += x[xi]! * w[wi]!));
  const dy = y.map((v, i) => c[i]! * (v > 0 ? 1 : alpha));
  const dx = new Float64Array(x.length);
  eachTap(g, (yi, xi, wi) => (dx[xi]! += dy[yi]! * w[wi]!));
  return dx;
}

/** f(x; W) = Σ c ⊙ tanh(x W) for x [m, k], W [k, n]; returns ∇_x f. */
export function matmulTanhGradX(m: number, k: number, n: number, x: ArrayLike<number>, w: ArrayLike<number>, c: ArrayLike<number>): Float64Array {
  const dx = new Float64Array(m * k);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += x[i * k + t]! * w[t * n + j]!;
      const d = c[i * n + j]! * (1 - Math.tanh(s) ** 2);
      for (let t = 0; t < k; t++) dx[i * k + t]! += d * w[t * n + j]!;
    }
  return dx;
}

/** f(x; w) = Σ tanh(x[idx] ⊙ w) for x [v, d], idx [m], w [m, d]; returns ∇_x f. */
export function gatherTanhGradX(v: number, d: number, idx: readonly number[], x: ArrayLike<number>, w: ArrayLike<number>): Float64Array {
  const dx = new Float64Array(v * d);
  idx.forEach((r, i) => {
    for (let t = 0; t < d; t++) dx[r * d + t]! += (1 - Math.tanh(x[r * d + t]! * w[i * d + t]!) ** 2) * w[i * d + t]!;
  });
  return dx;
}

export const sumSq = (a: ArrayLike<number>): number => Array.from(a).reduce((s, v) => s + v * v, 0);

/** Central differences of r over every entry of w (float64, step h). */
export function fdGrad(w: ArrayLike<number>, r: (w: Float64Array) => number, h = 1e-5): Float64Array {
  const base = Float64Array.from(w);
  return base.map((_, i) => {
    const p = base.slice();
    const m = base.slice();
    p[i]! += h;
    m[i]! -= h;
    return (r(p) - r(m)) / (2 * h);
  });
}

