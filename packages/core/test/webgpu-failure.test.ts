/**
 * A WebGPU adapter that does not start, or a probe process that dies, gives
 * a typed error or report with the fix, never a crash of the caller. Vulkan
 * is broken on purpose in child processes (VK_ICD_FILENAMES naming no
 * driver), so these run on every machine, with or without an adapter.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { statSync } from 'node:fs';
import { describeWebGpu, ensureXdgRuntimeDir, parsePlacement, parseVulkanDevices, WEBGPU_HINT } from '../src/engine/onnx/index.js';

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

describe('log parsing (onnxruntime 1.30 and Mesa device-select formats)', () => {
  it('reads node placements per provider, and the CPU nodes by type and name', () => {
    const p = '2026-12-05 02:28:19.780 [V:onnxruntime:, session_state.cc:1377 VerifyEachNodeIsAssignedToAnEp] ';
    const log = [
      `${p}Node placements`,
      `${p} Node(s) placed on [CPUExecutionProvider]. Number of nodes: 2`,
      `${p}  Cast (::Cast336)`,
      `${p}  Sign (::Sign812)`,
      `${p} Node(s) placed on [WebGpuExecutionProvider]. Number of nodes: 3`,
      `${p}  Mul (::Mul1)`,
      `${p}  MemcpyToHost (Memcpy)`,
      `${p}  Add (::Add2)`,
      '2026-12-05 02:28:19.781 [I:onnxruntime:, allocation_planner.cc:2653 CreateGraphPartitioner] Use DeviceBasedPartition as default',
    ].join('\n');
    expect(parsePlacement(log)).toEqual({
      nodes: { CPUExecutionProvider: 2, WebGpuExecutionProvider: 3 },
      cpuOps: { Cast: 1, Sign: 1 },
      cpuNodes: ['::Cast336', '::Sign812'],
    });
    expect(parsePlacement(`${p} All nodes placed on [WebGpuExecutionProvider]. Number of nodes: 212`)).toEqual({
      nodes: { WebGpuExecutionProvider: 212 }, cpuOps: {}, cpuNodes: [],
    });
  });

  it('reads the Vulkan devices Mesa lists', () => {
    const log = 'selectable devices:\n  GPU 0: 10de:2335 "NVIDIA H200" discrete GPU\n  GPU 1: 10005:0 "llvmpipe (LLVM 15.0.6, 256 bits)" CPU\n';
    expect(parseVulkanDevices(log)).toEqual([
      { name: 'NVIDIA H200', type: 'discrete GPU' },
      { name: 'llvmpipe (LLVM 15.0.6, 256 bits)', type: 'CPU' },
    ]);
  });
});

test('XDG_RUNTIME_DIR: a private (0700) folder is made when unset, a set value is kept', () => {
  const saved = process.env['XDG_RUNTIME_DIR'];
  try {
    delete process.env['XDG_RUNTIME_DIR'];
    const dir = ensureXdgRuntimeDir();
    expect(process.env['XDG_RUNTIME_DIR']).toBe(dir);
    expect(statSync(dir).isDirectory()).toBe(true);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    process.env['XDG_RUNTIME_DIR'] = '/run/user/1234';
    expect(ensureXdgRuntimeDir()).toBe('/run/user/1234');
  } finally {
    if (saved === undefined) delete process.env['XDG_RUNTIME_DIR'];
    else process.env['XDG_RUNTIME_DIR'] = saved;
  }
});
