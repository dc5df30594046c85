/**
 * Test support shared by every package's suite (`@zoo/core/testing`):
 * engines by name, seeded inputs, comparisons, and the parity-fixture tensor
 * format. Not part of the model API.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Engine } from './engine/engine.js';
import { createOnnxEngine, describeWebGpu } from './engine/onnx/index.js';
import { createTfjsEngine, type TfjsBackendName } from './engine/tfjs/index.js';
import { HostTensor, sizeOf, type Shape } from './tensor.js';
import type { Rng } from './util/rng.js';

export type TestEngineName = 'tfjs' | 'onnx';

/** Engines parity tests run on; `ZOO_TEST_ENGINES=tfjs` (comma-separated) narrows the list. */
export const TEST_ENGINES: readonly TestEngineName[] =
  (process.env['ZOO_TEST_ENGINES']?.split(',').filter(Boolean) as TestEngineName[] | undefined) ?? ['tfjs', 'onnx'];

export interface TestEngineOptions {
  /** tfjs backend (default: the engine's own choice, wasm here). cpu sums in a torch-like order. */
  tfjsBackend?: TfjsBackendName;
  /** onnx intra-op threads (default: the engine's, one per core). */
  onnxThreads?: number;
}

/** A new engine owned by the caller (dispose it). */
export function createTestEngine(name: TestEngineName, opts: TestEngineOptions = {}): Promise<Engine> {
  if (name === 'tfjs') return createTfjsEngine(opts.tfjsBackend ? { backend: opts.tfjsBackend } : {});
  return createOnnxEngine({ device: 'cpu', ...(opts.onnxThreads ? { threads: opts.onnxThreads } : {}) });
}

let webgpuReason: Promise<string | undefined> | undefined;

/**
 * Why the WebGPU suites skip here (no adapter starts: the error and the
 * fix), or undefined when an adapter starts. With ZOO_REQUIRE_WEBGPU=1 (CI,
 * where setup installs lavapipe) a missing adapter throws instead of skipping.
 */
export function webgpuSkipReason(): Promise<string | undefined> {
  webgpuReason ??= describeWebGpu().then((r) => {
    if (r.ok) return undefined;
    const reason = `no WebGPU adapter starts: ${r.error ?? 'unknown'}. ${r.hint ?? ''}`;
    if (process.env['ZOO_REQUIRE_WEBGPU'] === '1') throw new Error(`ZOO_REQUIRE_WEBGPU=1 but ${reason}`);
    return reason;
  });
  return webgpuReason;
}

/** `describe`, or `describe.skip` with the reason in its title when no WebGPU adapter starts. */
export async function describeOnWebGpu(title: string, body: () => void): Promise<void> {
  const reason = await webgpuSkipReason();
  if (reason) describe.skip(`${title} [skipped: ${reason}]`, body);
  else describe(title, body);
}

const engines = new Map<string, Promise<Engine>>();

/** One shared engine per name and options per test file (jest isolates modules per file); see disposeTestEngines. */
export function testEngine(name: TestEngineName, opts: TestEngineOptions = {}): Promise<Engine> {
  const key = `${name}|${opts.tfjsBackend ?? ''}|${opts.onnxThreads ?? ''}`;
  let e = engines.get(key);
  if (!e) {
    e = createTestEngine(name, opts);
    engines.set(key, e);
  }
  return e;
}

export async function disposeTestEngines(): Promise<void> {
  for (const e of engines.values()) await (await e).dispose();
  engines.clear();
}

export function randn(rng: Rng, shape: Shape, std = 1): HostTensor<'float32'> {
  return new HostTensor(shape, rng.fillNormal(new Float32Array(sizeOf(shape)), 0, std), 'float32');
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`maxAbsDiff: length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** max |got − want| relative to max |want| (the comparison the gradient and engine-parity tests use). */
export function relErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  return maxAbsDiff(got, want) / Math.max(maxAbs(want), 1e-12);
}

/** An NCHW conv2d with square kernel and zero padding, for float64 host references. */
export interface Conv2dGeom {
  n: number;
  cin: number;
  h: number;
  w: number;
  cout: number;
  k: number;
  stride: number;
  pad: number;
}

export const convOutSize = (g: Conv2dGeom, d: number): number => Math.floor((d + 2 * g.pad - g.k) / g.stride) + 1;

/** Visits every (output, input, weight) flat index triple of the conv `g` (padding taps skipped). */
export function eachConv2dTap(g: Conv2dGeom, f: (yi: number, xi: number, wi: number) => void): void {
  const [oh, ow] = [convOutSize(g, g.h), convOutSize(g, g.w)];
  for (let b = 0; b < g.n; b++)
    for (let co = 0; co < g.cout; co++)
      for (let i = 0; i < oh; i++)
        for (let j = 0; j < ow; j++)
          for (let ci = 0; ci < g.cin; ci++)
            for (let p = 0; p < g.k; p++)
              for (let q = 0; q < g.k; q++) {
                const [r, c] = [i * g.stride - g.pad + p, j * g.stride - g.pad + q];
                if (r < 0 || c < 0 || r >= g.h || c >= g.w) continue;
                f(((b * g.cout + co) * oh + i) * ow + j, ((b * g.cin + ci) * g.h + r) * g.w + c, ((co * g.cin + ci) * g.k + p) * g.k + q);
              }
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

/** A tensor as stored in the parity fixtures (flat row-major data). */
export interface JsonTensor {
  shape: number[];
  dtype: 'float32' | 'int64' | 'int32' | 'bool' | string;
  data: number[];
}

/** float32 stays float32, bool becomes a 0/1 bool tensor, int64/int32 become int32. */
export function fromJsonTensor(t: JsonTensor): HostTensor {
  if (t.dtype === 'float32') return new HostTensor(t.shape, Float32Array.from(t.data), 'float32');
  if (t.dtype === 'bool') return new HostTensor(t.shape, Uint8Array.from(t.data), 'bool');
  return new HostTensor(t.shape, Int32Array.from(t.data), 'int32');
}

export function readJsonFile<T>(path: string | URL): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** A fixture tensor as float32, whatever its stored dtype. */
export function floatTensor(t: JsonTensor): HostTensor<'float32'> {
  return new HostTensor(t.shape, Float32Array.from(t.data), 'float32');
}

/**
 * How close `expectClose` requires two tensors to be. Every element must
 * satisfy |got − want| ≤ atol·s + rtol·|want| (numpy.allclose), where s = 1,
 * or s = max(1, max |want|) with `atolPerPeak` (an absolute bound in units of
 * the reference's peak, for outputs whose small elements are sums of
 * cancelling terms). `want` is rounded to float32 first: the engines compute
 * in float32, and fixtures store float32 values as decimals.
 */
export interface Tolerance {
  /** Relative part, times |want| element by element. Default 1e-5 (float32 parity with PyTorch fixtures). */
  rtol?: number;
  /** Absolute part, the floor for near-zero elements. Default 1e-6. */
  atol?: number;
  /** Scale atol by max(1, max |want|). Default false. */
  atolPerPeak?: boolean;
}

/** `{ rtol: 0, atol, atolPerPeak: true }`: max |got − want| ≤ atol·max(1, max |want|). */
export const peakTol = (atol: number): Tolerance => ({ rtol: 0, atol, atolPerPeak: true });

type Tensorish = { shape: readonly number[]; data: ArrayLike<number> } | ArrayLike<number>;

const dataOf = (t: Tensorish): ArrayLike<number> => ('data' in t && !Array.isArray(t) ? (t as { data: ArrayLike<number> }).data : (t as ArrayLike<number>));
const shapeOf = (t: Tensorish): readonly number[] | undefined => ('shape' in t && !Array.isArray(t) ? (t as { shape: readonly number[] }).shape : undefined);

/**
 * The one tensor comparison of every package's tests (meaning: `Tolerance`).
 * Throws, naming `what`, the worst element and the bound, unless lengths
 * (and shapes, when both have one) agree and every element is within it.
 */
export function expectClose(got: Tensorish, want: Tensorish, tol: Tolerance = {}, what = 'tensor'): void {
  const rtol = tol.rtol ?? 1e-5;
  const g = dataOf(got);
  const w = dataOf(want);
  const [gs, ws] = [shapeOf(got), shapeOf(want)];
  if (gs && ws && (gs.length !== ws.length || gs.some((d, i) => d !== ws[i]))) {
    throw new Error(`${what}: shape [${gs.join(', ')}] != expected [${ws.join(', ')}]`);
  }
  if (g.length !== w.length) throw new Error(`${what}: ${g.length} elements != expected ${w.length}`);
  const atol = (tol.atol ?? 1e-6) * (tol.atolPerPeak ? Math.max(1, maxAbs(w)) : 1);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < w.length; i++) {
    const e = Math.fround(w[i]!);
    const d = g[i]! === e ? 0 : Math.abs(g[i]! - e);
    const bound = atol + rtol * Math.abs(e);
    // Ratio to the bound, so the element reported is the one closest to failing; NaN fails.
    const r = d === 0 ? 0 : bound === 0 || Number.isNaN(d) ? Infinity : d / bound;
    if (!(r <= worst)) [worst, at] = [r, i];
  }
  if (!(worst <= 1)) {
    throw new Error(
      `${what}: mismatch at flat index ${at}: got ${g[at]}, want ${w[at]} (|diff| ${Math.abs(g[at]! - w[at]!)} > atol ${atol} + rtol ${rtol}·|want|)`,
    );
  }
}

const tempDirs: string[] = [];

/** A fresh folder under the OS temp dir, removed by `removeTempDirs` (call that from afterEach/afterAll). */
export function makeTempDir(prefix = 'zoo-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/** Removes every folder `makeTempDir` made in this test file so far. */
export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}
