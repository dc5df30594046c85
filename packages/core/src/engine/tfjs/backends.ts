/**
 * Run-time choice of the tfjs backend, in the order the design fixes:
 * tfjs-node-gpu, tfjs-node (optional packages that download libtensorflow at
 * install time, so they are only used when a dynamic import succeeds), then
 * WebAssembly, then pure-JS cpu. Also loads tfjs's gradients (see
 * gradients.ts for the fixes applied to them) and routes the wasm kernels
 * that are missing or wrong in tfjs 4.22 to the cpu backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import { patchGradients } from './gradients.js';
import { TfjsEngineError } from './tensors.js';

export type TfjsBackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';
export const TFJS_BACKEND_ORDER: readonly TfjsBackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

/** The npm package that provides each backend. */
const PACKAGE: Record<TfjsBackendName, string> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
  wasm: '@tensorflow/tfjs-backend-wasm',
  cpu: '@tensorflow/tfjs-backend-cpu',
};

/** The name tfjs registers the backend under (both node packages register 'tensorflow'). */
export const TF_NAME: Record<TfjsBackendName, string> = {
  'tensorflow-gpu': 'tensorflow',
  tensorflow: 'tensorflow',
  wasm: 'wasm',
  cpu: 'cpu',
};

/**
 * Kernels that the wasm backend (4.22) lacks but tfjs's gradients call, and
 * 3-D kernels whose wasm versions return wrong values (Conv3DBackpropInputV2:
 * zeros for stride 2; Conv3DBackpropFilterV2 with stride 2; MaxPool3D on a
 * window that is mostly padding; checked by the tfjs-conv tests). They run on
 * the cpu backend with a copy in and out: slow but correct. 3-D pooling is
 * moved as a whole, forward and backward, to stay consistent.
 */
const WASM_FALLBACK_KERNELS = [
  'Conv2DBackpropFilter',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
  'UnsortedSegmentSum',
  'Conv3DBackpropInputV2',
  'Conv3DBackpropFilterV2',
  'MaxPool3D',
  'MaxPool3DGrad',
  'AvgPool3D',
  'AvgPool3DGrad',
];

const loaded = new Map<TfjsBackendName, Promise<boolean>>();

/** Dynamic import through a variable so bundlers/tsc do not require the optional packages. */
async function importOptional(spec: string): Promise<boolean> {
  try {
    await import(spec);
    return true;
  } catch {
    return false;
  }
}

async function load(name: TfjsBackendName): Promise<boolean> {
  if (!(await importOptional(PACKAGE[name]))) return false;
  if (name === 'wasm') registerWasmFallbacks();
  if (name === 'cpu' || name === 'wasm') await import('@tensorflow/tfjs-backend-cpu');
  const prev = currentBackend();
  try {
    const ok = await tf.setBackend(TF_NAME[name]);
    if (ok) quietCpuBanner();
    return ok;
  } catch {
    return false;
  } finally {
    if (prev && prev !== tf.getBackend()) await tf.setBackend(prev);
  }
}

function currentBackend(): string | undefined {
  // tf.getBackend() initializes the best registered backend as a side effect; peek instead.
  return tf.engine().backendName ?? undefined;
}

/** Loads (once per process) and initializes a backend; false if it cannot run here. */
export function loadBackend(name: TfjsBackendName): Promise<boolean> {
  let p = loaded.get(name);
  if (!p) {
    p = load(name);
    loaded.set(name, p);
  }
  return p;
}

/** Backends that load on this machine, in preference order (for `zoo env`). */
export async function availableTfjsBackends(): Promise<TfjsBackendName[]> {
  const out: TfjsBackendName[] = [];
  for (const name of TFJS_BACKEND_ORDER) if (await loadBackend(name)) out.push(name);
  return out;
}

/** The first backend that loads, starting from `preferred` if given (which must then load). */
export async function selectBackend(preferred?: TfjsBackendName): Promise<TfjsBackendName> {
  await loadGradients();
  if (preferred) {
    if (!TFJS_BACKEND_ORDER.includes(preferred)) {
      throw new TfjsEngineError(`unknown tfjs backend '${String(preferred)}' (valid: ${TFJS_BACKEND_ORDER.join(', ')})`);
    }
    if (!(await loadBackend(preferred))) {
      throw new TfjsEngineError(`tfjs backend '${preferred}' is not available: install ${PACKAGE[preferred]} or choose one of ${TFJS_BACKEND_ORDER.join(', ')}`);
    }
    return preferred;
  }
  for (const name of TFJS_BACKEND_ORDER) if (await loadBackend(name)) return name;
  throw new TfjsEngineError('no tfjs backend could be initialized (tried ' + TFJS_BACKEND_ORDER.join(', ') + ')');
}

/** The cpu backend prints a "use tfjs-node" banner on first use in Node; we choose backends deliberately. */
function quietCpuBanner(): void {
  const cpu = tf.engine().registry['cpu'] as unknown as { firstUse?: boolean } | undefined;
  if (cpu && 'firstUse' in cpu) cpu.firstUse = false;
}

let wasmPatched = false;
function registerWasmFallbacks(): void {
  if (wasmPatched) return;
  wasmPatched = true;
  const have = new Set(tf.getKernelsForBackend('wasm').map((k) => k.kernelName));
  for (const kernelName of WASM_FALLBACK_KERNELS) {
    if (have.has(kernelName)) tf.unregisterKernel(kernelName, 'wasm');
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: (args) => runOnCpu(kernelName, args) });
  }
}

type KernelArgs = Parameters<tf.KernelFunc>[0];

function runOnCpu(kernelName: string, { inputs, backend: b, attrs }: KernelArgs): tf.TensorInfo | tf.TensorInfo[] {
  const backend = b as tf.KernelBackend;
  const cpu = tf.engine().findBackend('cpu');
  const impl = tf.getKernel(kernelName, 'cpu');
  if (!cpu || !impl) throw new TfjsEngineError(`wasm fallback for ${kernelName}: the cpu backend is not available`);
  quietCpuBanner();
  const cpuInputs: Record<string, tf.TensorInfo> = {};
  const created: tf.DataId[] = [];
  for (const [k, info] of Object.entries(inputs)) {
    if (!info) continue;
    const values = backend.readSync(info.dataId) as tf.TypedArray;
    const dataId = cpu.write(values, info.shape, info.dtype);
    created.push(dataId);
    cpuInputs[k] = { dataId, shape: info.shape, dtype: info.dtype };
  }
  try {
    const res = impl.kernelFunc({ inputs: cpuInputs, backend: cpu, attrs });
    const outs = Array.isArray(res) ? res : [res];
    const moved = outs.map((o) => {
      const values = cpu.readSync(o.dataId) as tf.TypedArray;
      cpu.disposeData(o.dataId, true);
      return { dataId: backend.write(values, o.shape, o.dtype), shape: o.shape, dtype: o.dtype };
    });
    return Array.isArray(res) ? moved : moved[0]!;
  } finally {
    for (const id of created) cpu.disposeData(id, true);
  }
}

let gradients: Promise<void> | undefined;
/**
 * tfjs-core registers no gradients by itself: they ship (bundled for Node) in
 * the @tensorflow/tfjs union package, whose import registers them globally.
 * Imported lazily so code that never creates a tfjs engine does not load it.
 */
function loadGradients(): Promise<void> {
  gradients ??= import('@tensorflow/tfjs').then(() => patchGradients());
  return gradients;
}
