import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { HostTensor, Rng, ShapeError, create } from '@zoo/core';
import { FrechetMetric, frechetDistance, gaussianOf, resizeFrames, type Gaussian } from '../src/metrics/index.js';

/** Random orthogonal matrix: eigenvectors of a random symmetric matrix. */
function randomOrthogonal(d: number, rng: Rng): Matrix {
  const a = new Matrix(d, d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) a.set(i, j, rng.normal());
  return new EigenvalueDecomposition(a.add(a.transpose()), { assumeSymmetric: true }).eigenvectorMatrix;
}
function covFrom(q: Matrix, eig: number[]): Float64Array {
  const out = q.mmul(Matrix.diag(eig)).mmul(q.transpose());
  return Float64Array.from(out.to1DArray());
}
function randomMean(d: number, rng: Rng, scale: number): Float64Array {
  return Float64Array.from({ length: d }, () => rng.normal(0, scale));
}
function meanTerm(a: Gaussian, b: Gaussian): number {
  return a.mean.reduce((s, m, i) => s + (m - b.mean[i]!) ** 2, 0);
}
const relErr = (got: number, want: number): number => Math.abs(got - want) / Math.abs(want);

describe('Fréchet distance against closed forms', () => {
  it.each([
    ['well conditioned', [1, 2, 3, 4, 5, 6], [2, 1, 5, 3, 8, 0.5]],
    ['ill conditioned (cond 1e12)', [1e-8, 1e-5, 1e-2, 1, 1e2, 1e4], [3e-8, 1e-6, 5e-2, 2, 1e2 * 1.5, 2e4]],
    ['singular', [0, 0, 1, 2, 3, 4], [1, 0, 0, 2, 5, 4]],
    [
      '32-d, eigenvalues 1e-10 .. 1e4',
      Array.from({ length: 32 }, (_, i) => 10 ** (-10 + (14 * i) / 31)),
      Array.from({ length: 32 }, (_, i) => 10 ** (-10 + (14 * ((i * 7) % 32)) / 31)),
    ],
  ])('commuting covariances, %s: d² = |Δμ|² + Σ(√a − √b)²', (_n, a, b) => {
    const rng = new Rng(7);
    const q = randomOrthogonal(a.length, rng);
    const g1 = { mean: randomMean(a.length, rng, 1), cov: covFrom(q, a) };
    const g2 = { mean: randomMean(a.length, rng, 1), cov: covFrom(q, b) };
    const want = meanTerm(g1, g2) + a.reduce((s, ai, i) => s + (Math.sqrt(ai) - Math.sqrt(b[i]!)) ** 2, 0);
    expect(relErr(frechetDistance(g1, g2), want)).toBeLessThan(1e-6);
    expect(relErr(frechetDistance(g2, g1), want)).toBeLessThan(1e-6);
  });

  it.each([
    ['well conditioned', [1, 3], [2, 0.5]],
    ['ill conditioned', [1e-6, 1e4], [1e4, 1e-6]],
  ])('non-commuting 2x2, %s: tr(Σ1Σ2)^½ = √(tr Σ1Σ2 + 2√(det Σ1 det Σ2))', (_n, a, b) => {
    const rng = new Rng(11);
    const c1 = covFrom(randomOrthogonal(2, rng), a);
    const c2 = covFrom(randomOrthogonal(2, rng), b);
    const g1 = { mean: randomMean(2, rng, 2), cov: c1 };
    const g2 = { mean: randomMean(2, rng, 2), cov: c2 };
    const trProd = c1[0]! * c2[0]! + c1[1]! * c2[2]! + c1[2]! * c2[1]! + c1[3]! * c2[3]!;
    const det = (c: Float64Array): number => c[0]! * c[3]! - c[1]! * c[2]!;
    const trSqrt = Math.sqrt(trProd + 2 * Math.sqrt(Math.max(det(c1) * det(c2), 0)));
    const want = meanTerm(g1, g2) + c1[0]! + c1[3]! + c2[0]! + c2[3]! - 2 * trSqrt;
    expect(relErr(frechetDistance(g1, g2), want)).toBeLessThan(1e-6);
  });

  it('is 0 between identical Gaussians and rejects mismatched dimensions', () => {
    const rng = new Rng(3);
    const g = { mean: randomMean(5, rng, 1), cov: covFrom(randomOrthogonal(5, rng), [1, 2, 3, 4, 5]) };
    expect(frechetDistance(g, g)).toBeLessThan(1e-10);
    expect(() => frechetDistance(g, { mean: new Float64Array(4), cov: new Float64Array(16) })).toThrow(ShapeError);
  });

  it('gaussianOf gives the sample mean and the unbiased covariance', () => {
    const g = gaussianOf([
      [1, 2],
      [3, 6],
      [5, 4],
    ]);
    expect(Array.from(g.mean)).toEqual([3, 4]);
    // cov: var(x) = 4, var(y) = 4, cov(x, y) = 2 (divided by N - 1 = 2)
    expect(Array.from(g.cov)).toEqual([4, 2, 2, 4]);
  });
});

// Jest runs each test file in its own VM realm, but onnxruntime-node's native
// binding allocates output arrays in the main realm, so onnxruntime-common's
// `instanceof Float32Array` check fails under jest only (not in node). Let
// this realm's Float32Array recognise main-realm arrays too.
Object.defineProperty(Float32Array, Symbol.hasInstance, {
  value: (x: unknown) => ArrayBuffer.isView(x) && Object.prototype.toString.call(x) === '[object Float32Array]',
});

// ---- FVD through onnxruntime with a tiny hand-built ONNX model ----
// A minimal protobuf writer, enough for a ReduceMean graph (field numbers from onnx.proto).
function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v > 127) {
    out.push((v & 127) | 128);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}
const field = (no: number, bytes: number[]): number[] => [...varint((no << 3) | 2), ...varint(bytes.length), ...bytes];
const num = (no: number, v: number): number[] => [...varint(no << 3), ...varint(v)];
const str = (no: number, s: string): number[] => field(no, [...Buffer.from(s, 'utf8')]);
function valueInfo(name: string, dims: (number | string)[]): number[] {
  const shape = dims.flatMap((d) => field(1, typeof d === 'number' ? num(1, d) : str(2, d)));
  return [...str(1, name), ...field(2, field(1, [...num(1, 1), ...field(2, shape)]))];
}
/** Y[n, c] = mean over (T, H, W) of X[n, c, T, H, W], H = W = 8. */
function reduceMeanModel(): Uint8Array {
  const axes = [...str(1, 'axes'), ...num(20, 7), ...[2, 3, 4].flatMap((a) => num(8, a))];
  const keep = [...str(1, 'keepdims'), ...num(20, 2), ...num(3, 0)];
  const node = [...str(1, 'X'), ...str(2, 'Y'), ...str(4, 'ReduceMean'), ...field(5, axes), ...field(5, keep)];
  const graph = [...field(1, node), ...str(2, 'g'), ...field(11, valueInfo('X', ['N', 3, 'T', 8, 8])), ...field(12, valueInfo('Y', ['N', 3]))];
  return Uint8Array.from([...num(1, 8), ...field(7, graph), ...field(8, [...str(1, ''), ...num(2, 13)])]);
}

describe('FVD / FID metric', () => {
  it('reports itself unavailable without a model file and never returns a number', async () => {
    const none = create('metric', 'fvd', {});
    expect(none.available).toBe(false);
    await none.update(HostTensor.zeros([2, 2, 8, 8, 3]), HostTensor.zeros([2, 2, 8, 8, 3]));
    const r = await none.result();
    expect(r.available).toBe(false);
    expect(!r.available && r.reason).toMatch(/--fvd-model/);
    const missing = new FrechetMetric('fid', { modelPath: '/nonexistent/inception.onnx' });
    const r2 = await missing.result();
    expect(!r2.available && r2.reason).toMatch(/not found/);
  });

  it('runs a user ONNX feature network (NCTHW, [-1, 1], resized to its input size) and takes the Fréchet distance', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zoo-fvd-'));
    try {
      const model = join(dir, 'feat.onnx');
      writeFileSync(model, reduceMeanModel());
      const rng = new Rng(5);
      const [b, t, s] = [6, 2, 16];
      const make = (bias: number): HostTensor<'float32'> => {
        const x = new Float32Array(b * t * s * s * 3);
        for (let v = 0; v < b; v++) {
          const off = [rng.uniform(0, 0.3), rng.uniform(0, 0.3), rng.uniform(0, 0.3)];
          for (let i = 0; i < t * s * s; i++) for (let c = 0; c < 3; c++) x[(v * t * s * s + i) * 3 + c] = Math.min(1, off[c]! + bias + rng.uniform(0, 0.4));
        }
        return new HostTensor([b, t, s, s, 3], x, 'float32');
      };
      const real = make(0);
      const fake = make(0.2);
      // Expected features: per-clip channel means of 2x - 1 (a 2x bilinear downsample keeps block means).
      const feats = (x: HostTensor): number[][] =>
        Array.from({ length: b }, (_, v) =>
          [0, 1, 2].map((c) => {
            let sum = 0;
            for (let i = 0; i < t * s * s; i++) sum += x.data[(v * t * s * s + i) * 3 + c]!;
            return (2 * sum) / (t * s * s) - 1;
          }),
        );
      const want = frechetDistance(gaussianOf(feats(real)), gaussianOf(feats(fake)));
      const m = create('metric', 'fvd', { modelPath: model });
      expect(m.available).toBe(true);
      await m.update(real, fake);
      const r = await m.result();
      expect(r.available).toBe(true);
      expect(r.available && relErr(r.value, want)).toBeLessThan(1e-4);
      await m.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('bilinear resize keeps a constant image and averages 2x2 blocks when halving', () => {
    const src = Float32Array.from({ length: 4 * 4 }, (_, i) => i);
    const out = resizeFrames(src, 1, 4, 4, 1, 2);
    expect(Array.from(out)).toEqual([2.5, 4.5, 10.5, 12.5]);
    expect(Array.from(resizeFrames(new Float32Array(27).fill(0.25), 1, 3, 3, 3, 5)).every((v) => v === 0.25)).toBe(true);
  });
});
