/**
 * `zoo env`: what this machine offers the zoo (engines, devices, decoders).
 * `--device webgpu` adds which nodes of the four presets' train steps run on
 * WebGPU and which fall back to the CPU; `--device cuda` starts the CUDA provider.
 */
import os from 'node:os';
import type { Argv } from 'yargs';
import { createOnnxEngine, describeWebGpu, onnxRuntimeInfo, availableTfjsBackends, TFJS_BACKEND_ORDER, type WebGpuReport } from '@zoo/core';
import { formatPlacements, presetPlacements, type PresetPlacement } from '../perf/webgpu-placement.js';
import { findFfmpeg, FfmpegNotFoundError } from '../data/ffmpeg.js';
import type { CliIo } from './io.js';

export interface EnvReport {
  node: string;
  platform: string;
  cpus: { count: number; model: string };
  memoryGiB: number;
  onnxruntime: { version: string; executionProviders: string[]; notInstalled: string[] } | { error: string };
  tfjs: { available: string[]; unavailable: string[] };
  ffmpeg: { path: string; source: string; version: string } | { error: string };
  webgpu: WebGpuReport;
  /** --device cuda: whether the CUDA provider started. */
  cuda?: { ok: boolean; error?: string };
  /** --device webgpu: node placement of the presets' train steps (when an adapter started). */
  placement?: PresetPlacement[];
}

export async function collectEnv(opts: { device?: 'cpu' | 'cuda' | 'webgpu' } = {}): Promise<EnvReport> {
  const cpus = os.cpus();
  let onnxruntime: EnvReport['onnxruntime'];
  try {
    const { version, executionProviders, notInstalled } = onnxRuntimeInfo();
    onnxruntime = { version, executionProviders, notInstalled };
  } catch (e) {
    onnxruntime = { error: (e as Error).message };
  }
  const available: string[] = await availableTfjsBackends();
  let ffmpeg: EnvReport['ffmpeg'];
  try {
    ffmpeg = findFfmpeg();
  } catch (e) {
    if (!(e instanceof FfmpegNotFoundError)) throw e;
    ffmpeg = { error: e.message };
  }
  const webgpu = await describeWebGpu();
  let cuda: EnvReport['cuda'];
  if (opts.device === 'cuda') {
    try {
      await (await createOnnxEngine({ device: 'cuda' })).dispose();
      cuda = { ok: true };
    } catch (e) {
      cuda = { ok: false, error: (e as Error).message };
    }
  }
  const placement = opts.device === 'webgpu' && webgpu.ok ? await presetPlacements() : undefined;
  return {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: { count: cpus.length, model: cpus[0]?.model.trim() ?? 'unknown' },
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    onnxruntime,
    tfjs: { available, unavailable: TFJS_BACKEND_ORDER.filter((b) => !available.includes(b)) },
    ffmpeg,
    webgpu,
    ...(cuda ? { cuda } : {}),
    ...(placement ? { placement } : {}),
  };
}

function formatWebGpu(w: WebGpuReport): string {
  if (!w.ok) return `no adapter starts (${w.error}). Fix: ${w.hint}`;
  const name = w.adapter ? `${w.adapter.name} [${w.adapter.type}]` : 'name not reported (no Mesa device-select layer)';
  const what = w.kind === 'lavapipe' ? 'lavapipe, Mesa\'s CPU Vulkan driver: correct, not fast' : w.kind === 'gpu' ? 'a GPU' : 'unknown kind';
  return `adapter starts: ${name} (${what})`;
}

export function formatEnv(r: EnvReport): string {
  const ort =
    'error' in r.onnxruntime
      ? `unavailable (${r.onnxruntime.error})`
      : `${r.onnxruntime.version}; execution providers: ${r.onnxruntime.executionProviders.join(', ')}` +
        (r.onnxruntime.notInstalled.length ? ` (not installed: ${r.onnxruntime.notInstalled.join(', ')})` : '');
  const ff = 'error' in r.ffmpeg ? `not found (${r.ffmpeg.error})` : `${r.ffmpeg.path} [${r.ffmpeg.source}] ${r.ffmpeg.version}`;
  return [
    `node          ${r.node} (${r.platform})`,
    `cpus          ${r.cpus.count} x ${r.cpus.model}`,
    `memory        ${r.memoryGiB} GiB`,
    `onnxruntime   ${ort}`,
    `tfjs          backends that load: ${r.tfjs.available.join(', ') || 'none'}` +
      (r.tfjs.unavailable.length ? ` (not available: ${r.tfjs.unavailable.join(', ')})` : ''),
    `ffmpeg        ${ff}`,
    `webgpu        ${formatWebGpu(r.webgpu)}`,
    ...(r.cuda ? [`cuda          ${r.cuda.ok ? 'the CUDA execution provider starts' : r.cuda.error}`] : []),
    ...(r.placement
      ? ['', 'WebGPU node placement of the presets\' training programs (CPU nodes are fallbacks, each a GPU<->CPU copy):', ...formatPlacements(r.placement)]
      : []),
  ].join('\n');
}

export function envCommand(y: Argv, io: CliIo): Argv {
  return y.command(
    'env',
    'Print the runtime environment: node, CPUs, onnxruntime and its execution providers, tfjs backends, ffmpeg, the WebGPU adapter',
    (b) =>
      b
        .option('json', { type: 'boolean', default: false, describe: 'print JSON instead of text' })
        .option('device', {
          choices: ['cpu', 'cuda', 'webgpu'] as const,
          describe: 'also check this device (default: none, only the WebGPU adapter is reported): cuda starts the CUDA provider; webgpu reports which nodes of the four presets\' train steps run on WebGPU and which fall back to the CPU (trains each preset 2 steps; slow on lavapipe)',
        }),
    async (args) => {
      const report = await collectEnv(args.device ? { device: args.device } : {});
      io.out(args.json ? JSON.stringify(report, null, 2) : formatEnv(report));
    },
  );
}
