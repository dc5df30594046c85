/**
 * What the WebGPU execution provider does on this machine, asked in a child
 * process (a Vulkan driver that crashes Dawn takes the child down, not the
 * caller; Vulkan and onnxruntime log to the native stderr, which only a
 * parent can read):
 *
 * - describeWebGpu: whether an adapter starts and computes, and which one.
 *   The adapter's name comes from Mesa's device-select Vulkan layer
 *   (MESA_VK_DEVICE_SELECT_DEBUG=1 lists the devices); Dawn, asked for high
 *   performance by onnxruntime, takes a discrete GPU over an integrated one
 *   over a CPU driver. Without Mesa's layer the name is not known.
 * - webGpuPlacement: which nodes of each model run on WebGPU and which fall
 *   back to the CPU provider, from onnxruntime's verbose session log
 *   ("Node placements" lists every node type per provider).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import type * as ort from 'onnxruntime-node';
import { deviceProbeModel } from './onnx-engine.js';
import { providersOf, type WebGpuLayout } from './session.js';
import { ensureXdgRuntimeDir, WEBGPU_HINT } from './webgpu.js';

/** One Vulkan physical device as Mesa's device-select layer names it. */
export interface VulkanDevice {
  name: string;
  /** 'CPU', 'discrete GPU', 'integrated GPU', 'virtual GPU' or 'other'. */
  type: string;
}

export interface WebGpuReport {
  /** True when the probe model ran on the WebGPU provider alone and computed 1 + 1 = 2. */
  ok: boolean;
  /** Why no adapter started (first line of onnxruntime's error), when !ok. */
  error?: string;
  /** The fix, when !ok. */
  hint?: string;
  /** 'lavapipe': Mesa's CPU Vulkan driver; 'gpu': a hardware adapter; 'unknown': started, name not reported. */
  kind?: 'lavapipe' | 'gpu' | 'unknown';
  /** The device Dawn picks (see the file comment), when named. */
  adapter?: VulkanDevice;
  vulkanDevices: VulkanDevice[];
}

export interface NodePlacement {
  label: string;
  /** Node count per execution provider, e.g. { WebGpuExecutionProvider: 812, CPUExecutionProvider: 3 }. */
  nodes: Record<string, number>;
  /** Op types on the CPU provider with their counts (the fallbacks). */
  cpuOps: Record<string, number>;
  /** The CPU provider's nodes by name (the serializer's node names), for finding the primitive behind a fallback. */
  cpuNodes: string[];
  /** Session creation failed: the first line of the error. */
  error?: string;
}

const require = createRequire(import.meta.url);

/** The child: loads models from files, creates sessions, prints JSON results; native logs go to stderr. */
const CHILD = `
const cfg = JSON.parse(process.env.ZOO_WEBGPU_CHILD);
const ort = require(cfg.ort);
const fs = require('fs');
(async () => {
  const results = [];
  for (let i = 0; i < cfg.models.length; i++) {
    try {
      const s = await ort.InferenceSession.create(fs.readFileSync(cfg.models[i]), {
        executionProviders: cfg.providers, logSeverityLevel: cfg.verbose ? 0 : 3, graphOptimizationLevel: 'all' });
      let ok = true;
      if (cfg.probe) ok = (await s.run({ x: new ort.Tensor('float32', Float32Array.of(1), [1]) })).y.data[0] === 2;
      await s.release();
      results.push(ok ? { ok } : { ok, error: 'the probe did not compute 1 + 1 = 2' });
    } catch (e) {
      results.push({ ok: false, error: String((e && e.message) || e).split('\\n')[0] });
    }
  }
  process.stdout.write(JSON.stringify(results));
})();
`;

interface ChildResult {
  ok: boolean;
  error?: string;
}

interface ChildOptions {
  models: Uint8Array[];
  providers: ort.InferenceSession.ExecutionProviderConfig[];
  verbose: boolean;
  probe: boolean;
  env?: Record<string, string>;
  timeoutMs?: number;
}

async function runChild(o: ChildOptions): Promise<{ results: ChildResult[] | undefined; stderr: string; failure?: string }> {
  const dir = mkdtempSync(join(os.tmpdir(), 'zoo-webgpu-'));
  try {
    const files = o.models.map((m, i) => {
      const f = join(dir, `${i}.onnx`);
      writeFileSync(f, m);
      return f;
    });
    const cfg = { ort: require.resolve('onnxruntime-node'), models: files, providers: o.providers, verbose: o.verbose, probe: o.probe };
    ensureXdgRuntimeDir();
    const env = { ...process.env, ...o.env, ZOO_WEBGPU_CHILD: JSON.stringify(cfg) };
    const child = spawn(process.execPath, ['-e', CHILD], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 300_000);
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((res) => child.on('close', (c, s) => res([c, s])));
    clearTimeout(timer);
    try {
      return { results: JSON.parse(stdout) as ChildResult[], stderr };
    } catch {
      const last = stderr.split('\n').filter((l) => l.trim()).slice(-1)[0] ?? '';
      return { results: undefined, stderr, failure: `the probe process ended with ${signal ?? `exit code ${code}`}${last ? `: ${last.trim()}` : ''}` };
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `  GPU 0: 10005:0 "llvmpipe (LLVM 15.0.6, 256 bits)" CPU` lines of MESA_VK_DEVICE_SELECT_DEBUG. */
export function parseVulkanDevices(log: string): VulkanDevice[] {
  const seen = new Map<string, VulkanDevice>();
  for (const m of log.matchAll(/^\s*GPU \d+: [0-9a-f]+:[0-9a-f]+ "([^"]*)" (.+?)\s*$/gim)) {
    const d = { name: m[1]!, type: m[2]!.replace(/\s*default\s*$/i, '') };
    seen.set(`${d.name}|${d.type}`, d);
  }
  return [...seen.values()];
}

const PREFERENCE = ['discrete GPU', 'integrated GPU', 'virtual GPU', 'other', 'CPU'];

/** Whether a WebGPU adapter starts here, and which (see the file comment). Never throws for a missing driver. */
export async function describeWebGpu(opts: { env?: Record<string, string> } = {}): Promise<WebGpuReport> {
  const { results, stderr, failure } = await runChild({
    models: [deviceProbeModel()],
    providers: ['webgpu'],
    verbose: false,
    probe: true,
    env: { MESA_VK_DEVICE_SELECT_DEBUG: '1', ...opts.env },
    timeoutMs: 120_000,
  });
  const vulkanDevices = parseVulkanDevices(stderr);
  const r = results?.[0];
  if (!r?.ok) return { ok: false, error: r?.error ?? failure ?? 'unknown failure', hint: WEBGPU_HINT, vulkanDevices };
  const rank = (d: VulkanDevice) => {
    const i = PREFERENCE.indexOf(d.type);
    return i < 0 ? PREFERENCE.length : i;
  };
  const adapter = [...vulkanDevices].sort((a, b) => rank(a) - rank(b))[0];
  const kind = !adapter ? 'unknown' : adapter.type === 'CPU' || /llvmpipe|lavapipe/i.test(adapter.name) ? 'lavapipe' : 'gpu';
  return { ok: true, kind, ...(adapter ? { adapter } : {}), vulkanDevices };
}

/**
 * Parses one session's verbose log: after "Node placements", either
 * " All nodes placed on [EP]. Number of nodes: N" or, per provider,
 * " Node(s) placed on [EP]. Number of nodes: N" followed by "  OpType (name)" lines.
 */
export function parsePlacement(log: string): Pick<NodePlacement, 'nodes' | 'cpuOps' | 'cpuNodes'> {
  const nodes: Record<string, number> = {};
  const cpuOps: Record<string, number> = {};
  const cpuNodes: string[] = [];
  let ep: string | undefined;
  for (const line of log.split('\n')) {
    const all = /All nodes placed on \[(\w+)\]\. Number of nodes: (\d+)/.exec(line);
    if (all) {
      nodes[all[1]!] = (nodes[all[1]!] ?? 0) + Number(all[2]);
      ep = undefined;
      continue;
    }
    const some = /Node\(s\) placed on \[(\w+)\]\. Number of nodes: (\d+)/.exec(line);
    if (some) {
      ep = some[1]!;
      nodes[ep] = (nodes[ep] ?? 0) + Number(some[2]);
      continue;
    }
    // "<log prefix> VerifyEachNodeIsAssignedToAnEp]   OpType (node name)"; any other line ends the block
    const node = /VerifyEachNodeIsAssignedToAnEp\]\s+(\w+) \((.*)\)\s*$/.exec(line);
    if (node && ep === 'CPUExecutionProvider') {
      cpuOps[node[1]!] = (cpuOps[node[1]!] ?? 0) + 1;
      cpuNodes.push(node[2]!);
    } else if (!node) ep = undefined;
  }
  return { nodes, cpuOps, cpuNodes };
}

/**
 * Node placement of each model on ['webgpu', 'cpu'] with the engine's
 * provider options and onnxruntime's full graph optimization, as the engine
 * runs it (models from an engine with device 'webgpu', see OnnxEngineOptions.onModel). One child per model: in one process
 * onnxruntime 1.30 logged the placements of the first two sessions only.
 */
export async function webGpuPlacement(
  models: readonly { label: string; model: Uint8Array }[],
  opts: { layout?: WebGpuLayout } = {},
): Promise<NodePlacement[]> {
  const out: NodePlacement[] = [];
  for (const m of models) {
    const { results, stderr, failure } = await runChild({ models: [m.model], providers: providersOf('webgpu', opts.layout), verbose: true, probe: false });
    const error = results ? results[0]?.error : failure;
    out.push({ label: m.label, ...parsePlacement(stderr), ...(error ? { error } : {}) });
  }
  return out;
}

/** The graph output names of a serialized model (labels for placement reports). */
export function modelOutputNames(model: Uint8Array): string[] {
  return onnxProto.onnx.ModelProto.decode(model).graph?.output?.map((o) => o.name ?? '') ?? [];
}
