/**
 * onnxruntime-node's WebGPU execution provider (Dawn over Vulkan, bundled in
 * the Linux x64 binding; no download). On a machine without a GPU, Mesa's
 * lavapipe (a CPU Vulkan driver) gives the same provider an adapter, which is
 * how CI runs the WebGPU code path.
 *
 * Starting Dawn can fail (no Vulkan driver, a driver too old for Dawn) and
 * a failed start must not leave onnxruntime half-initialized in the caller's
 * process, so the adapter description and the node-placement report run in a
 * child process (see webgpu-child.ts); the engine itself probes in-process
 * and turns onnxruntime's error into an OnnxDeviceError carrying the fix.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';

/** The fix shown whenever no WebGPU adapter starts. */
export const WEBGPU_HINT =
  'WebGPU runs on Vulkan: install a Vulkan driver Dawn accepts — on Debian 12 ' +
  '`apt-get install -t bookworm-backports mesa-vulkan-drivers` (Mesa 25 lavapipe, a CPU driver; bookworm\'s own Mesa 22 lacks features Dawn needs; ' +
  '`bash scripts/setup.sh` does this), or your GPU vendor\'s Vulkan driver (NVIDIA: the driver\'s libnvidia-vulkan / nvidia_icd.json plus libvulkan1); ' +
  'check that XDG_RUNTIME_DIR names a writable folder (the engine creates a private one when it is unset); ' +
  'or use --device cpu.';

/**
 * Dawn/Vulkan read XDG_RUNTIME_DIR for their caches and warn or fail when it
 * is unset (containers, CI). Sets it to a new private (0700) temp folder when
 * unset; leaves a set value alone. Returns the value in effect.
 */
export function ensureXdgRuntimeDir(): string {
  const cur = process.env['XDG_RUNTIME_DIR'];
  if (cur) return cur;
  const dir = mkdtempSync(join(os.tmpdir(), 'zoo-xdg-'));
  process.env['XDG_RUNTIME_DIR'] = dir;
  return dir;
}

/**
 * Runs `probe` (y = x + 1 on [1]) on the WebGPU provider alone, so a
 * silent fallback to the CPU cannot pass for a working adapter. Returns the
 * error message, or undefined when the adapter computed 1 + 1 = 2.
 */
export async function tryWebGpu(probe: Uint8Array): Promise<string | undefined> {
  ensureXdgRuntimeDir();
  let session: ort.InferenceSession | undefined;
  try {
    session = await ort.InferenceSession.create(probe, { executionProviders: ['webgpu'], logSeverityLevel: 4 });
    const out = await session.run({ x: new ort.Tensor('float32', Float32Array.of(1), [1]) });
    const y = (out['y']?.data as Float32Array | undefined)?.[0];
    return y === 2 ? undefined : `the WebGPU probe computed 1 + 1 = ${String(y)}`;
  } catch (e) {
    return e instanceof Error ? e.message.split('\n')[0]! : String(e);
  } finally {
    await session?.release();
  }
}
