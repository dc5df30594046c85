/**
 * Fréchet distance between Gaussians fitted to two feature sets, the number
 * behind FID (Heusel et al. 2017) and FVD (Unterthiner et al. 2018):
 *
 *   d² = |μ1 − μ2|² + tr Σ1 + tr Σ2 − 2 tr (Σ1^½ Σ2 Σ1^½)^½
 *
 * The trace term uses the symmetric form: Σ1^½ from a symmetric
 * eigendecomposition (negative round-off eigenvalues clipped to 0), then the
 * eigenvalues of the symmetric PSD product Σ1^½ Σ2 Σ1^½, whose square roots
 * sum to tr (Σ1 Σ2)^½. Unlike scipy.linalg.sqrtm on the non-symmetric Σ1 Σ2
 * (pytorch-fid), this never produces complex parts and stays accurate for
 * ill-conditioned or singular covariances (fewer samples than dimensions).
 * All in float64 with ml-matrix.
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { ShapeError } from '@zoo/core';

export interface Gaussian {
  mean: Float64Array;
  /** Row-major D x D, symmetric positive semi-definite. */
  cov: Float64Array;
}

function dimOf(g: Gaussian, where: string): number {
  const d = g.mean.length;
  if (g.cov.length !== d * d) throw new ShapeError(where, `covariance of ${d}x${d} = ${d * d} values`, [g.cov.length]);
  return d;
}

function toMatrix(flat: Float64Array, d: number): Matrix {
  const m = new Matrix(d, d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) m.set(i, j, 0.5 * (flat[i * d + j]! + flat[j * d + i]!));
  return m;
}

function symmetricEigen(m: Matrix): { values: number[]; vectors: Matrix } {
  const e = new EigenvalueDecomposition(m, { assumeSymmetric: true });
  return { values: e.realEigenvalues, vectors: e.eigenvectorMatrix };
}

/** Square root of a symmetric PSD matrix via V diag(√max(λ,0)) Vᵀ. */
export function sqrtPsd(m: Matrix): Matrix {
  const { values, vectors } = symmetricEigen(m);
  const scaled = vectors.clone();
  for (let j = 0; j < values.length; j++) {
    const s = Math.sqrt(Math.max(values[j]!, 0));
    for (let i = 0; i < scaled.rows; i++) scaled.set(i, j, scaled.get(i, j) * s);
  }
  return scaled.mmul(vectors.transpose());
}

/** tr (Σ1^½ Σ2 Σ1^½)^½ = tr (Σ1 Σ2)^½. */
export function traceSqrtProduct(cov1: Matrix, cov2: Matrix): number {
  const s1 = sqrtPsd(cov1);
  const prod = s1.mmul(cov2).mmul(s1);
  const sym = prod.add(prod.transpose()).mul(0.5);
  return symmetricEigen(sym).values.reduce((t, l) => t + Math.sqrt(Math.max(l, 0)), 0);
}

/** Squared Fréchet distance d² between N(μ1, Σ1) and N(μ2, Σ2) (what FID/FVD report). */
export function frechetDistance(a: Gaussian, b: Gaussian): number {
  const d = dimOf(a, 'frechetDistance (first)');
  if (dimOf(b, 'frechetDistance (second)') !== d) {
    throw new ShapeError('frechetDistance (second)', `mean of ${d} (the first Gaussian's dimension)`, [b.mean.length]);
  }
  let meanTerm = 0;
  let traces = 0;
  for (let i = 0; i < d; i++) {
    meanTerm += (a.mean[i]! - b.mean[i]!) ** 2;
    traces += a.cov[i * d + i]! + b.cov[i * d + i]!;
  }
  const cross = traceSqrtProduct(toMatrix(a.cov, d), toMatrix(b.cov, d));
  // Round-off can push an exact 0 (identical Gaussians) slightly negative.
  return Math.max(0, meanTerm + traces - 2 * cross);
}

/**
 * Mean and unbiased (N − 1) covariance of N feature rows of dimension D,
 * two-pass in float64 (np.mean / np.cov(rowvar=False), as pytorch-fid and
 * the FVD reference code do).
 */
export function gaussianOf(rows: readonly ArrayLike<number>[]): Gaussian {
  const n = rows.length;
  if (n < 2) throw new ShapeError('gaussianOf', 'at least 2 feature rows (a covariance needs N >= 2)', [n]);
  const d = rows[0]!.length;
  const mean = new Float64Array(d);
  for (const r of rows) {
    if (r.length !== d) throw new ShapeError('gaussianOf', `rows of ${d} features`, [r.length]);
    for (let j = 0; j < d; j++) mean[j]! += r[j]! / n;
  }
  const cov = new Float64Array(d * d);
  const c = new Float64Array(d);
  for (const r of rows) {
    for (let j = 0; j < d; j++) c[j] = r[j]! - mean[j]!;
    for (let i = 0; i < d; i++) {
      const ci = c[i]!;
      for (let j = i; j < d; j++) cov[i * d + j]! += ci * c[j]!;
    }
  }
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) {
      const v = cov[i * d + j]! / (n - 1);
      cov[i * d + j] = v;
      cov[j * d + i] = v;
    }
  }
  return { mean, cov };
}
