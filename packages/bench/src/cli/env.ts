/** `zoo env`: what this machine offers the zoo (engines, devices, decoders). */
import os from 'node:os';
import type { Argv } from 'yargs';
import { onnxRuntimeInfo, availableTfjsBackends, TFJS_BACKEND_ORDER } from '@zoo/core';
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
}

export async function collectEnv(): Promise<EnvReport> {
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
  return {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: { count: cpus.length, model: cpus[0]?.model.trim() ?? 'unknown' },
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    onnxruntime,
    tfjs: { available, unavailable: TFJS_BACKEND_ORDER.filter((b) => !available.includes(b)) },
    ffmpeg,
  };
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
  ].join('\n');
}

export function envCommand(y: Argv, io: CliIo): Argv {
  return y.command(
    'env',
    'Print the runtime environment: node, CPUs, onnxruntime and its execution providers, tfjs backends, ffmpeg',
    (b) => b.option('json', { type: 'boolean', default: false, describe: 'print JSON instead of text' }),
    async (args) => {
      const report = await collectEnv();
      io.out(args.json ? JSON.stringify(report, null, 2) : formatEnv(report));
    },
  );
}
