/**
 * Test support shared by every package's suite (`@zoo/core/testing`):
 * engines by name, seeded inputs, comparisons, and the parity-fixture tensor
 * format. Not part of the model API.
 */
import { readFileSync } from 'node:fs';
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

/** Throws, naming the worst element, unless shapes agree and max |got − want| <= tol. */
export function assertClose(
  got: { shape: readonly number[]; data: ArrayLike<number> },
  want: { shape: readonly number[]; data: ArrayLike<number> },
  tol: number,
  what = 'tensor',
): void {
  if (got.shape.length !== want.shape.length || got.shape.some((d, i) => d !== want.shape[i])) {
    throw new Error(`${what}: shape [${got.shape.join(', ')}] != expected [${want.shape.join(', ')}]`);
  }
  let worst = 0;
  let at = 0;
  for (let i = 0; i < want.data.length; i++) {
    const d = Math.abs(got.data[i]! - want.data[i]!);
    if (!(d <= worst)) [worst, at] = [d, i];
  }
  if (!(worst <= tol)) {
    throw new Error(`${what}: max |diff| ${worst} > ${tol} at flat index ${at} (got ${got.data[at]}, want ${want.data[at]})`);
  }
}
