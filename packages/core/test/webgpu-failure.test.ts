/**
 * A WebGPU adapter that does not start, or a probe process that dies, gives
 * a typed error or report with the fix, never a crash of the caller. Vulkan
 * is broken on purpose in child processes (VK_ICD_FILENAMES naming no
 * driver), so these run on every machine, with or without an adapter.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describeWebGpu, WEBGPU_HINT } from '../src/engine/onnx/index.js';

const NO_DRIVER = { VK_ICD_FILENAMES: '/nonexistent/zoo_icd.json', VK_DRIVER_FILES: '/nonexistent/zoo_icd.json' };
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/webgpu/${name}`, import.meta.url));

describe('WebGPU failures are typed', () => {
  it('describeWebGpu reports no adapter, with the fix, when Vulkan has no driver', async () => {
    const r = await describeWebGpu({ env: NO_DRIVER });
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/adapter/i);
    expect(r.hint).toBe(WEBGPU_HINT);
    expect(r.hint).toMatch(/apt-get install -t bookworm-backports mesa-vulkan-drivers/);
    expect(r.hint).toMatch(/XDG_RUNTIME_DIR/);
  });

  it('describeWebGpu reports a probe process that was killed instead of crashing', async () => {
    const r = await describeWebGpu({ env: { NODE_OPTIONS: `--require=${fixture('kill-self.cjs')}` } });
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/SIGKILL/);
    expect(r.hint).toBe(WEBGPU_HINT);
  });

  it('createOnnxEngine({ device: "webgpu" }) throws OnnxDeviceError with the fix when no adapter starts', () => {
    const tsx = fileURLToPath(new URL('../../../node_modules/.bin/tsx', import.meta.url));
    const p = spawnSync(tsx, [fixture('engine-probe.mts')], { env: { ...process.env, ...NO_DRIVER }, encoding: 'utf8', timeout: 120_000 });
    expect(p.status).toBe(0);
    const out = JSON.parse(p.stdout.trim().split('\n').pop()!) as { name?: string; message?: string };
    expect(out.name).toBe('OnnxDeviceError');
    expect(out.message).toMatch(/no WebGPU adapter starts/);
    expect(out.message).toContain(WEBGPU_HINT);
  });
});
