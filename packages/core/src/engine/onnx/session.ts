/**
 * onnxruntime-node sessions and the HostTensor <-> ort.Tensor bridge. On the
 * CPU the bridge wraps the host buffers (no copies): inputs view the typed
 * arrays of HostTensors, outputs become HostTensors over ort's buffers.
 */
import os from 'node:os';
import * as ort from 'onnxruntime-node';
import { HostTensor } from '../../tensor.js';
import { CUDA_INSTALL_HINT, onnxRuntimeInfo } from '../probe.js';
import { ensureXdgRuntimeDir, tryWebGpu, WEBGPU_HINT } from './webgpu.js';

export const ONNX_DEVICES = ['cpu', 'cuda', 'webgpu'] as const;
export type OnnxDevice = (typeof ONNX_DEVICES)[number];

export class OnnxDeviceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OnnxDeviceError';
  }
}

const CUDA_HINT = CUDA_INSTALL_HINT;

export function checkDevice(device: OnnxDevice): void {
  if (!(ONNX_DEVICES as readonly string[]).includes(device)) {
    throw new OnnxDeviceError(`onnx engine: unknown device '${String(device)}' (valid: ${ONNX_DEVICES.map((d) => `'${d}'`).join(', ')})`);
  }
}

/** Fails with the fix (WEBGPU_HINT) unless a WebGPU adapter starts and computes. */
export async function probeWebGpu(probeModel: Uint8Array): Promise<void> {
  const err = await tryWebGpu(probeModel);
  if (err !== undefined) throw new OnnxDeviceError(`onnx engine: no WebGPU adapter starts (${err}); ${WEBGPU_HINT}`);
}

/**
 * The WebGPU provider's tensor layout. 'NCHW' (our default) keeps the traced
 * layout; onnxruntime's own default 'NHWC' wraps every conv in Transposes,
 * ~15% more nodes in a VQGAN train step, and put the Transposes of bool
 * masks (relu/leakyRelu gradients) on the CPU, where WebGPU has no kernel.
 */
export type WebGpuLayout = 'NCHW' | 'NHWC';

/** Execution providers per device, in onnxruntime's preference order: nodes a GPU provider has no kernel for run on the CPU. */
export function providersOf(device: OnnxDevice, webgpuLayout: WebGpuLayout = 'NCHW'): ort.InferenceSession.ExecutionProviderConfig[] {
  if (device === 'webgpu') return [{ name: 'webgpu', preferredLayout: webgpuLayout }, 'cpu'];
  return device === 'cpu' ? ['cpu'] : [device, 'cpu'];
}

/**
 * Starts the CUDA execution provider on a one-node model, because
 * listSupportedBackends() lists 'cuda' even when its binaries were never
 * downloaded; fails with install instructions.
 */
export async function probeCuda(probeModel: Uint8Array): Promise<void> {
  // Without the provider library on disk, say so before onnxruntime logs a native error.
  if (!onnxRuntimeInfo().executionProviders.includes('cuda')) {
    throw new OnnxDeviceError(`onnx engine: the CUDA execution provider is not installed; ${CUDA_HINT}`);
  }
  try {
    const s = await ort.InferenceSession.create(probeModel, { executionProviders: ['cuda'], logSeverityLevel: 4 });
    await s.release();
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new OnnxDeviceError(`onnx engine: the CUDA execution provider is not available (${msg}); ${CUDA_HINT}`);
  }
}

export interface SessionOptions {
  device: OnnxDevice;
  /** Default os.cpus().length. */
  threads?: number;
  /** Default 'NCHW' (see WebGpuLayout). */
  webgpuLayout?: WebGpuLayout;
  /**
   * onnxruntime's memory pattern (one block per run for every planned
   * intermediate, laid out from the first run). Default false: on a VQGAN
   * train step at 64 px it raised peak RSS from ~960 to ~1630 MiB (PyTorch:
   * ~760), for ~4% less step time (the same process, alternated steps;
   * scripts/dev/step-ab.ts). Turning the CPU arena off instead cut memory as
   * far but made that step ~7x slower.
   */
  memPattern?: boolean;
  /**
   * Whether onnxruntime's intra-op threads spin while waiting for work.
   * Default false: with one other busy process on the 2-core VM, a magvit2
   * train step took 30% less time without spinning (the same process,
   * alternated steps), since a spinning thread competes with the busy core
   * for the straggler it waits on; on the quiet machine the vqgan step's time
   * was the same within noise (+3%) at 7% less CPU.
   */
  spinning?: boolean;
  /** webgpu only: outputs returned as GPU buffers ('gpu-buffer' tensors; see downloadTensor). Default none. */
  deviceOutputs?: readonly string[];
}

let sessionsCreated = 0;

export async function createSession(model: Uint8Array, opts: SessionOptions): Promise<ort.InferenceSession> {
  const optimizedDump = process.env['ZOO_ORT_OPTIMIZED'];
  sessionsCreated++;
  if (opts.device === 'webgpu') ensureXdgRuntimeDir();
  try {
    return await ort.InferenceSession.create(model, {
      executionProviders: providersOf(opts.device, opts.webgpuLayout),
      intraOpNumThreads: opts.threads ?? os.cpus().length,
      graphOptimizationLevel: 'all',
      enableMemPattern: opts.memPattern ?? false,
      extra: { session: { intra_op: { allow_spinning: opts.spinning ? '1' : '0' } } },
      ...(opts.device === 'webgpu' && opts.deviceOutputs?.length
        ? { preferredOutputLocation: Object.fromEntries(opts.deviceOutputs.map((n) => [n, 'gpu-buffer' as const])) }
        : {}),
      // WebGPU: onnxruntime warns on every session with a CPU node; `pnpm bench env --device webgpu` reports them instead
      ...(opts.device === 'webgpu' && !process.env['ZOO_ORT_WARNINGS'] ? { logSeverityLevel: 3 as const } : {}),
      // Per-node timings as Chrome-trace JSON, for finding slow kernels (a developer switch).
      ...(process.env['ZOO_ORT_PROFILE'] ? { enableProfiling: true, profileFilePrefix: process.env['ZOO_ORT_PROFILE'] } : {}),
      // Each session's graph after onnxruntime's rewrites (`<prefix><n>.onnx`), for Netron or node counts.
      ...(optimizedDump ? { optimizedModelFilePath: `${optimizedDump}${sessionsCreated}.onnx` } : {}),
      // A/B of session options (a developer switch, JSON, e.g. '{"enableMemPattern":true}'; see scripts/dev/step-ab.ts).
      ...(process.env['ZOO_ORT_SESSION'] ? (JSON.parse(process.env['ZOO_ORT_SESSION']) as ort.InferenceSession.SessionOptions) : {}),
    });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (opts.device === 'cuda' && /cuda|provider|\.so/i.test(msg)) {
      throw new OnnxDeviceError(`onnx engine: could not start the CUDA execution provider (${msg}); ${CUDA_HINT}`);
    }
    if (opts.device === 'webgpu' && /webgpu|adapter|dawn|vulkan/i.test(msg)) {
      throw new OnnxDeviceError(`onnx engine: could not start the WebGPU execution provider (${msg.split('\n')[0]}); ${WEBGPU_HINT}`);
    }
    throw e;
  }
}

/**
 * Typed-array constructors of onnxruntime's JS realm. Under jest's VM modules
 * the test realm's Float32Array differs from ort's and fails its instanceof
 * checks, so buffers are re-viewed (never copied) with ort's constructors.
 */
const ORT_ARRAYS = {
  float32: new ort.Tensor('float32', [0]).data.constructor as Float32ArrayConstructor,
  int32: new ort.Tensor('int32', [0]).data.constructor as Int32ArrayConstructor,
  bool: new ort.Tensor('bool', [0]).data.constructor as Uint8ArrayConstructor,
};

export function toOrt(t: HostTensor): ort.Tensor {
  const C = ORT_ARRAYS[t.dtype];
  const d = t.data;
  const data = d instanceof C ? d : new C(d.buffer as ArrayBuffer, d.byteOffset, d.length);
  return new ort.Tensor(t.dtype, data, t.shape);
}

export function fromOrt(t: ort.Tensor): HostTensor {
  const dims = [...t.dims];
  const d = t.data as Float32Array | Int32Array | Uint8Array;
  switch (t.type) {
    case 'float32':
      return new HostTensor(dims, d instanceof Float32Array ? d : new Float32Array(d.buffer, d.byteOffset, d.length), 'float32');
    case 'int32':
      return new HostTensor(dims, d instanceof Int32Array ? d : new Int32Array(d.buffer, d.byteOffset, d.length), 'int32');
    case 'bool':
      return new HostTensor(dims, d instanceof Uint8Array ? d : new Uint8Array(d.buffer, d.byteOffset, d.length), 'bool');
    default:
      throw new TypeError(`onnx engine: unexpected output dtype ${t.type}`);
  }
}

export { ort };
