import os from 'node:os';
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { runZoo } from './cli-support.js';
import type { EnvReport } from '../src/cli/env.js';
import { TFJS_BACKEND_ORDER } from '@zoo/core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

const run = runZoo;

describe('zoo CLI', () => {
  it('lists its commands in --help', async () => {
    const r = await run('--help');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/zoo env/);
    expect(r.out).toMatch(/zoo registry/);
    expect(r.out).toMatch(/--log-level/);
  });

  it('alone, lists its commands and fails', async () => {
    const r = await run();
    expect(r.code).toBe(1);
    for (const c of ['env', 'registry', 'tokenizers', 'merge', 'export', 'data']) expect(r.err).toMatch(new RegExp(`zoo ${c}\\b`));
    expect(r.err).toMatch(/error: choose a command/);
  });

  it('describes every flag of every command, with its default or why it has none', async () => {
    const commands = [['env'], ['registry', 'list'], ['engine'], ['data'], ['encoders'], ['quantizers'], ['tokenizers'], ['merge'], ['export']];
    const allFlags = new Set<string>();
    for (const argv of commands) {
      const r = await run(...argv, '--help');
      expect(r.code).toBe(0);
      const lines = r.out.split('\n');
      const entries: string[] = [];
      let inOptions = false;
      for (const line of lines) {
        if (/^(Options|Positionals):/.test(line)) inOptions = true;
        else if (/^\S/.test(line)) inOptions = false;
        else if (inOptions && /^\s{1,8}(-\w, )?(--)?[a-z][\w-]*\s/.test(line) && !/^\s{10,}/.test(line)) entries.push(line);
        else if (inOptions && line.trim() && entries.length) entries[entries.length - 1] += ` ${line.trim()}`;
      }
      expect(entries.length).toBeGreaterThan(0);
      for (const e of entries) {
        const name = /^\s*(?:-\w, )?((?:--)?[a-z][\w-]*)/.exec(e)![1]!;
        allFlags.add(name);
        if (name === '--help') continue;
        const text = e.replace(/^\s*(?:-\w, )?(?:--)?[a-z][\w-]*/, '').replace(/\[[^\]]*\]/g, '').trim();
        expect({ command: argv.join(' '), flag: name, described: text.length > 3 }).toEqual({ command: argv.join(' '), flag: name, described: true });
        const hasDefault = /\[default:|\[required\]|default|required/i.test(e);
        expect({ command: argv.join(' '), flag: name, hasDefault }).toEqual({ command: argv.join(' '), flag: name, hasDefault: true });
      }
    }
    // Registry descriptions name only flags that exist.
    const reg = await run('registry', 'list', '--json');
    for (const flag of reg.out.match(/--[a-z][\w-]*/g) ?? []) expect({ flag, exists: allFlags.has(flag) }).toEqual({ flag, exists: true });
  });

  it('names options as typed in usage errors, and refuses an option left without its value', async () => {
    const missing = await run('export');
    expect(missing.err).toMatch(/Missing required argument: --out/);
    const neither = await run('export', '--out', 'x');
    expect(neither.code).toBe(1);
    expect(neither.err).toMatch(/give exactly one of --checkpoint .* or --pretrained KIND:PATH/);
    const unknown = await run('tokenizers', '--frobnicate', '3');
    expect(unknown.err).toMatch(/Unknown argument: --frobnicate/);
    const empty = await run('tokenizers', '--steps', '--resume');
    expect(empty.code).toBe(1);
    expect(empty.err).toMatch(/--steps needs a value/);
  });

  it('has --help on subcommands', async () => {
    const r = await run('registry', 'list', '--help');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/kind/);
    expect(r.out).toMatch(/quantizer/);
  });

  it('fails clearly on an unknown command', async () => {
    const r = await run('frobnicate');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/Unknown argument|Unknown command/i);
  });

  it('reports the environment as JSON', async () => {
    const r = await run('env', '--json');
    expect(r.code).toBe(0);
    const env = JSON.parse(r.out) as EnvReport;
    expect(env.node).toBe(process.version);
    expect(env.cpus.count).toBe(os.cpus().length);
    if ('error' in env.onnxruntime) throw new Error(env.onnxruntime.error);
    expect(env.onnxruntime.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(env.onnxruntime.executionProviders).toContain('cpu');
    // wasm and cpu always load; every backend in the engine's order is reported exactly once.
    expect(env.tfjs.available).toEqual(expect.arrayContaining(['wasm', 'cpu']));
    expect([...env.tfjs.available, ...env.tfjs.unavailable].sort()).toEqual([...TFJS_BACKEND_ORDER].sort());
    if ('error' in env.ffmpeg) throw new Error(env.ffmpeg.error);
    expect(existsSync(env.ffmpeg.path)).toBe(true);
    expect(env.ffmpeg.version).toMatch(/ffmpeg version/);
    // WebGPU: an adapter with its kind, or the reason and the fix (never a crash)
    if (env.webgpu.ok) expect(['lavapipe', 'gpu', 'unknown']).toContain(env.webgpu.kind);
    else expect(env.webgpu.hint).toMatch(/mesa-vulkan-drivers/);
  });

  it('prints the environment as text', async () => {
    const r = await run('env');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^onnxruntime\s+\d/m);
    expect(r.out).toMatch(/^tfjs\s+backends that load: .*wasm/m);
  });

  it('lists registered components, optionally by kind', async () => {
    const all = await run('registry', 'list', '--json');
    expect(all.code).toBe(0);
    const rows = JSON.parse(all.out) as { kind: string; name: string }[];
    const kinds = new Set(rows.map((r) => r.kind));
    for (const k of ['quantizer', 'encoder', 'decoder', 'dataset', 'metric']) expect(kinds).toContain(k);
    const q = await run('registry', 'list', 'quantizer');
    expect(q.code).toBe(0);
    const lines = q.out.trim().split('\n').slice(2);
    expect(lines.length).toBe(rows.filter((r) => r.kind === 'quantizer').length);
    for (const l of lines) expect(l).toMatch(/^quantizer\s/);
  });

  it('rejects an unknown kind and lists the valid ones', async () => {
    const r = await run('registry', 'list', 'widget');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/widget/);
    expect(r.err).toMatch(/quantizer/);
  });

  it('runs as `pnpm bench` from the repository root', () => {
    const tsx = join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs');
    const r = spawnSync(process.execPath, [tsx, 'packages/bench/src/cli.ts', 'registry', 'list', 'dataset'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, ZOO_LOG_LEVEL: 'silent' },
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^dataset\s+synthetic/m);
  });
});
