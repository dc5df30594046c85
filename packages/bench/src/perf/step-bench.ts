/**
 * `pnpm bench step`: our train step against the same model in PyTorch, in
 * one run. Each side runs in its own process (ours: step-worker.ts, forked
 * with tsx; PyTorch: peers/torch_step.py), both start from the same weights
 * and batch, the first losses are compared (a peer that computes another
 * loss is not the same model and gets no ratio), then timed rounds alternate
 * between the two so that a slow spell of the VM hits both.
 */
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { logger, timingStats, type TimingStats } from '@zoo/core';
import type { PeerSpec, StepModelOptions } from './step-model.js';
import { STEP_OPTIMIZER } from './step-model.js';

const here = dirname(fileURLToPath(import.meta.url));
/** Sources run through tsx; the packed package runs the compiled .js (dist/src/perf). */
const compiled = import.meta.url.endsWith('.js');

function packageRoot(): string {
  let dir = here;
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`bench step: no package.json above ${here}`);
    dir = up;
  }
  return dir;
}

/** The PyTorch peer, shipped in the bench package (peers/). */
export const TORCH_PEER = join(packageRoot(), 'peers', 'torch_step.py');

/** Losses of the first step must agree to this relative difference for the peer to count as the same model. */
export const SAME_LOSS_RTOL = 1e-3;

export interface SideResult {
  stats: TimingStats;
  firstLoss: number;
  params: number;
  peakRssMiB: number;
  baseRssMiB: number;
}

export interface StepRow {
  model: string;
  engine: string;
  ours: SideResult;
  /** The PyTorch side, or why there is none. */
  torch: SideResult | { unavailable: string };
  /** |ours − torch| / |torch| of the first step's loss, when both ran. */
  lossRelDiff?: number;
}

export interface StepBenchOptions {
  model: StepModelOptions;
  modelName: string;
  engine: string;
  /** Untimed steps on each side before the rounds (compile, allocation). */
  warmup: number;
  /** Timed rounds; each runs `stepsPerRound` steps on each side. */
  rounds: number;
  stepsPerRound: number;
  /** Python with torch, or null to skip the peer. */
  python: string | null;
  blasEnv?: BlasEnv;
  threads?: number;
}

/** Line-oriented JSON messages to and from one child. */
interface Channel {
  request(msg: unknown): Promise<Record<string, unknown>>;
  close(): void;
}

function ipcChannel(child: ChildProcess): Channel {
  const waiting: ((m: Record<string, unknown>) => void)[] = [];
  const failures: ((e: Error) => void)[] = [];
  child.on('message', (m) => waiting.shift()?.(m as Record<string, unknown>));
  child.on('exit', (code) => failures.splice(0).forEach((f) => f(new Error(`step worker exited with code ${code}`))));
  return {
    request: (msg) =>
      new Promise((resolve, reject) => {
        waiting.push((m) => (typeof m['error'] === 'string' ? reject(new Error(m['error'])) : resolve(m)));
        failures.push(reject);
        child.send(msg as object);
      }),
    close: () => void (child.connected && child.disconnect()),
  };
}

function lineChannel(child: ChildProcess): Channel & { ready: Promise<Record<string, unknown>> } {
  const waiting: { resolve: (m: Record<string, unknown>) => void; reject: (e: Error) => void }[] = [];
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  let readyResolve: (m: Record<string, unknown>) => void = () => {};
  let readyReject: (e: Error) => void = () => {};
  const ready = new Promise<Record<string, unknown>>((res, rej) => ((readyResolve = res), (readyReject = rej)));
  child.on('exit', (code) => {
    const lines = stderr.trim().split('\n');
    const e = new Error(`PyTorch peer exited with code ${code}: ${lines.slice(-3).join(' | ')}`);
    readyReject(e);
    waiting.splice(0).forEach((w) => w.reject(e));
  });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const msg = JSON.parse(line) as Record<string, unknown>;
    if ('ready' in msg) readyResolve(msg);
    else waiting.shift()?.resolve(msg);
  });
  return {
    ready,
    request: (msg) =>
      new Promise((resolve, reject) => {
        waiting.push({ resolve, reject });
        child.stdin!.write(JSON.stringify(msg) + '\n');
      }),
    close: () => child.stdin!.end(),
  };
}

/**
 * How the peer's environment treats OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE: some
 * VMs set them because old OpenBLAS builds misbehave on their CPUs, and they
 * slow a current one down. 'clean' drops them for the peer only (a fair
 * timing; a wrong result would show as a first-loss mismatch), 'inherit'
 * keeps them (what tests use).
 */
export type BlasEnv = 'clean' | 'inherit';
export const BLAS_ENVS: readonly BlasEnv[] = ['clean', 'inherit'];

/** The python that has torch, or why none was found. */
export function findTorchPython(candidate?: string, blasEnv: BlasEnv = 'clean'): { python: string } | { unavailable: string } {
  const tries = candidate ? [candidate] : ['/usr/bin/python3', 'python3'];
  for (const py of tries) {
    const r = spawnSync(py, ['-c', 'import torch; print(torch.__version__)'], { env: peerEnv(blasEnv), encoding: 'utf8', timeout: 60_000 });
    if (r.status === 0) return { python: py };
  }
  return { unavailable: `no python with torch (tried ${tries.join(', ')}; Debian: apt-get install python3-torch libopenblas0-pthread)` };
}

function peerEnv(blasEnv: BlasEnv): NodeJS.ProcessEnv {
  const env = { ...process.env };
  if (blasEnv === 'inherit') return env;
  delete env['OPENBLAS_CORETYPE'];
  delete env['OPENBLAS_L2_SIZE'];
  return env;
}

export async function benchStep(o: StepBenchOptions): Promise<StepRow> {
  const dumpDir = mkdtempSync(join(tmpdir(), 'zoo-step-'));
  const worker = fork(join(here, compiled ? 'step-worker.js' : 'step-worker.ts'), [], { execArgv: compiled ? [] : ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ours = ipcChannel(worker);
  let peer: (Channel & { ready: Promise<Record<string, unknown>> }) | undefined;
  let torchWhy: string | undefined;
  let torchParams = 0;
  try {
    const init = await ours.request({ cmd: 'init', options: o.model, engine: o.engine, dumpDir });
    const peerSpec = init['peer'] as PeerSpec | { unsupported: string };
    if (!o.python) torchWhy = 'PyTorch: unavailable (no python with torch)';
    else if ('unsupported' in peerSpec) torchWhy = `PyTorch peer: unavailable (${peerSpec.unsupported})`;
    else {
      const files = init['files'] as { weights: string; batch: string };
      const args = JSON.stringify({ spec: peerSpec, ...files, optimizer: STEP_OPTIMIZER, threads: o.threads ?? 0 });
      const child = spawn(o.python, [TORCH_PEER, args], { env: peerEnv(o.blasEnv ?? 'clean'), stdio: ['pipe', 'pipe', 'pipe'] });
      peer = lineChannel(child);
      const ready = await peer.ready;
      torchParams = ready['params'] as number;
      if (ready['ready'] !== true) {
        torchWhy = `PyTorch peer: unavailable (${String(ready['reason'])})`;
        peer.close();
        peer = undefined;
      }
    }
    const oursFirst = (await ours.request({ cmd: 'run', steps: o.warmup }))['loss'] as number;
    // A peer that fails mid-run loses its row, not ours.
    const fromPeer = async (msg: unknown): Promise<Record<string, unknown> | undefined> => {
      try {
        return await peer?.request(msg);
      } catch (e) {
        torchWhy = `PyTorch peer: failed (${(e as Error).message})`;
        peer = undefined;
        return undefined;
      }
    };
    const torchFirst = (await fromPeer({ cmd: 'run', steps: o.warmup }))?.['loss'] as number | undefined;
    const oursMs: number[] = [];
    const torchMs: number[] = [];
    for (let r = 0; r < o.rounds; r++) {
      logger().info({ model: o.modelName, engine: o.engine, round: r + 1, of: o.rounds }, 'step round');
      // Alternate who goes first, so neither always follows the other's cache state.
      const turns = [async () => oursMs.push(...((await ours.request({ cmd: 'run', steps: o.stepsPerRound }))['ms'] as number[])),
        async () => torchMs.push(...(((await fromPeer({ cmd: 'run', steps: o.stepsPerRound }))?.['ms'] as number[] | undefined) ?? []))];
      if (r % 2) turns.reverse();
      for (const turn of turns) await turn();
    }
    const oursEnd = await ours.request({ cmd: 'exit' });
    const row: StepRow = {
      model: o.modelName,
      engine: o.engine,
      ours: { stats: timingStats(oursMs), firstLoss: oursFirst, params: init['params'] as number, peakRssMiB: oursEnd['peakRssMiB'] as number, baseRssMiB: oursEnd['baseRssMiB'] as number },
      torch: { unavailable: '' },
    };
    const end = torchFirst !== undefined ? await fromPeer({ cmd: 'exit' }) : undefined;
    row.torch = { unavailable: torchWhy ?? '' };
    if (end && torchFirst !== undefined) {
      row.torch = { stats: timingStats(torchMs), firstLoss: torchFirst, params: torchParams, peakRssMiB: end['peakRssMiB'] as number, baseRssMiB: end['baseRssMiB'] as number };
      row.lossRelDiff = Math.abs(oursFirst - torchFirst) / Math.max(Math.abs(torchFirst), 1e-12);
    }
    return row;
  } finally {
    ours.close();
    peer?.close();
    rmSync(dumpDir, { recursive: true, force: true });
  }
}
