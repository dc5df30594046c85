/**
 * A sweep split over scheduler tasks, run locally: the same small sweep
 * (2 quantizers x 2 codebook sizes) as 2 processes with a Kubernetes Indexed
 * Job's environment and as 2 with a Slurm job array's, each pair writing into
 * one shared folder, merged, gives the rows of the unsharded run. A killed
 * shard resumes without redoing finished units; merge names missing and
 * unfinished shards and refuses shards of different options.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliHooks, cliSuite, runZoo } from './cli-support.js';
import type { LeaderboardRow } from '../src/report/leaderboard-row.js';
import { resolveShard, ShardError, unitsOf } from '../src/run/shard.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const SWEEP = ['--frames', '2', '--resolution', '16', '--steps', '2', '--batch', '2', '--eval-clips', '2', '--quantizers', 'fsq,lfq', '--codebook-size', '16,32', '--disc-start', '100', '--checkpoint-every', '1', '--prior-steps', '2', '--prior-config', '{"dim":8,"heads":2,"layers":1}', '--log-level', 'silent'];

const run = runZoo;

/** `pnpm bench ...` as its own process, with a scheduler's environment. */
function processRun(argv: string[], env: Record<string, string>): Promise<{ code: number | null; err: string }> {
  return new Promise((done) => {
    const child = spawn(join(ROOT, 'node_modules', '.bin', 'tsx'), [join(ROOT, 'packages', 'bench', 'src', 'cli.ts'), ...argv], {
      cwd: ROOT, env: { ...process.env, ...env, NODE_OPTIONS: '' }, stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => void (err += d.toString()));
    child.on('close', (code) => done({ code, err }));
  });
}

/** What must match between a sharded and an unsharded run: everything but ids, times and speeds. */
function comparable(rows: readonly LeaderboardRow[]): unknown[] {
  return [...rows]
    .sort((a, b) => a.tokenizer.localeCompare(b.tokenizer))
    .map((r) => ({ tokenizer: r.tokenizer, quantizer: r.quantizer, codebookSize: r.codebookSize, tokensPerClip: r.tokensPerClip, metrics: r.metrics, steps: r.steps, key: r.config['key'], data: r.data }));
}

const rowsIn = (dir: string): LeaderboardRow[] => JSON.parse(readFileSync(join(dir, 'leaderboard.json'), 'utf8')) as LeaderboardRow[];

describe('--shard auto', () => {
  it('reads a Kubernetes Indexed Job and a Slurm job array, and says what is missing', () => {
    expect(resolveShard('auto', { JOB_COMPLETION_INDEX: '3', ZOO_SHARD_COUNT: '4' })).toEqual({ index: 3, count: 4, source: 'kubernetes' });
    expect(resolveShard('auto', { JOB_COMPLETION_INDEX: '0' }, 2)).toEqual({ index: 0, count: 2, source: 'kubernetes' });
    expect(() => resolveShard('auto', { JOB_COMPLETION_INDEX: '0' })).toThrow(/pass --shard-count N or set ZOO_SHARD_COUNT/);
    expect(() => resolveShard('auto', { JOB_COMPLETION_INDEX: '4', ZOO_SHARD_COUNT: '4' })).toThrow(/index 4 is outside 0\.\.3/);
    // --array=1-8: ids 1..8 are shards 0..7; --array=0-30:10 is 0, 10, 20, 30.
    expect(resolveShard('auto', { SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_COUNT: '8' })).toEqual({ index: 0, count: 8, source: 'slurm' });
    expect(resolveShard('auto', { SLURM_ARRAY_TASK_ID: '20', SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_MAX: '30', SLURM_ARRAY_TASK_STEP: '10' })).toEqual({ index: 2, count: 4, source: 'slurm' });
    expect(() => resolveShard('auto', { SLURM_ARRAY_TASK_ID: '5' })).toThrow(/neither SLURM_ARRAY_TASK_COUNT nor SLURM_ARRAY_TASK_MAX/);
    expect(() => resolveShard('auto', {})).toThrow(ShardError);
    expect(() => resolveShard('auto', {})).toThrow(/no scheduler .*JOB_COMPLETION_INDEX.*SLURM_ARRAY_TASK_ID.*--shard i\/n/);
    expect(() => resolveShard('1/x', {})).toThrow(/expected i\/n/);
  });

  it('deals units round-robin: shard sizes differ by at most one and cover every unit once', () => {
    const units = Array.from({ length: 11 }, (_, i) => i);
    const parts = [0, 1, 2, 3].map((index) => unitsOf(units, { index, count: 4 }));
    expect(parts.map((p) => p.length)).toEqual([3, 3, 3, 2]);
    expect(parts.flat().sort((a, b) => a - b)).toEqual(units);
  });
});

describe('a sweep over scheduler tasks, locally', () => {
  const suite = cliSuite('zoo-sweep-');

  it('2 Kubernetes and 2 Slurm tasks into shared folders, merged, give the unsharded rows', async () => {
    const single = await run('tokenizers', ...SWEEP, '--out', join(suite.dir, 'single'));
    expect(single.code).toBe(0);
    const expected = comparable(rowsIn(join(suite.dir, 'single')));
    expect(expected.map((r) => (r as { tokenizer: string }).tokenizer)).toEqual(['mean-frame', 'vqgan+fsq-K16', 'vqgan+fsq-K32', 'vqgan+lfq-K16', 'vqgan+lfq-K32']);

    const k8s = join(suite.dir, 'k8s');
    const kube = await Promise.all([0, 1].map((i) => processRun(['tokenizers', ...SWEEP, '--shard', 'auto', '--out', k8s], { JOB_COMPLETION_INDEX: String(i), ZOO_SHARD_COUNT: '2' })));
    for (const r of kube) expect(r).toMatchObject({ code: 0, err: expect.not.stringMatching(/error/i) });
    expect(existsSync(join(k8s, 'leaderboard.json'))).toBe(false);
    expect((await run('merge', k8s, '--out', k8s)).code).toBe(0);
    expect(comparable(rowsIn(k8s))).toEqual(expected);

    const slurm = join(suite.dir, 'slurm');
    const array = await Promise.all([1, 2].map((id) => processRun(['tokenizers', ...SWEEP, '--shard', 'auto', '--out', slurm], { SLURM_ARRAY_TASK_ID: String(id), SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '2', SLURM_ARRAY_TASK_COUNT: '2' })));
    for (const r of array) expect(r).toMatchObject({ code: 0, err: expect.not.stringMatching(/error/i) });
    expect((await run('merge', slurm, '--out', join(suite.dir, 'slurm-merged'))).code).toBe(0);
    expect(comparable(rowsIn(join(suite.dir, 'slurm-merged')))).toEqual(expected);
    expect(existsSync(join(suite.dir, 'slurm-merged', 'index.html'))).toBe(true);
    // The codebook-size sweep: a Markdown table point per quantizer and size, and the two charts in the page.
    const md = readFileSync(join(suite.dir, 'slurm-merged', 'leaderboard.md'), 'utf8');
    const sweep = md.slice(md.indexOf('## Vocabulary sweep')).split('\n').filter((l) => l.startsWith('| vqgan'));
    expect(sweep.map((l) => l.split('|').slice(1, 3).map((c) => c.trim()))).toEqual([['vqgan+fsq', '16'], ['vqgan+fsq', '32'], ['vqgan+lfq', '16'], ['vqgan+lfq', '32']]);
    for (const l of sweep) expect(l).toMatch(/^\| [^|]+ \| \d+ \| \d+\.\d\d \| \d+\.\d{3} \| 1 \|$/); // PSNR and prior bits/token present
    const html = readFileSync(join(suite.dir, 'slurm-merged', 'index.html'), 'utf8');
    expect(html.match(/<figure class="sweep"/g)).toHaveLength(2);
  }, 600_000);

  it('a killed shard resumes without redoing finished units; merge names missing, unfinished and mismatched shards', async () => {
    const out = join(suite.dir, 'killed');
    const shard0 = ['tokenizers', ...SWEEP, '--shard', '0/2', '--out', out];
    // Shard 0 runs units 0 and 2 (vqgan+fsq-K16, vqgan+lfq-K16): kill it inside the second.
    const ctrl = new AbortController();
    cliHooks.current = { progressStream: { write: () => true }, signal: ctrl.signal, onStep: (name) => void (name === 'vqgan+lfq-K16' && ctrl.abort()) };
    let killed: Awaited<ReturnType<typeof run>>;
    try {
      killed = await run(...shard0);
    } finally {
      cliHooks.current = { progressStream: { write: () => true } };
    }
    expect(killed.code).toBe(1);
    expect(killed.err).toMatch(/TrainingAbortedError/);

    const early = await run('merge', out, '--out', join(suite.dir, 'early'));
    expect(early.code).toBe(1);
    expect(early.err).toMatch(/incomplete sweep: shard 1 of 2 missing .*; shard 0 of 2 did not finish \(rerun its command with --resume\)\. Pass --partial/);
    const partial = await run('merge', out, '--out', join(suite.dir, 'partial'), '--partial');
    expect(partial.code).toBe(0);
    expect(rowsIn(join(suite.dir, 'partial')).map((r) => r.tokenizer)).toEqual(['mean-frame', 'vqgan+fsq-K16']);
    expect(readFileSync(join(suite.dir, 'partial', 'leaderboard.md'), 'utf8')).toMatch(/partial: 0 of 2 shards finished/);

    let skipped: string[] = [];
    const logs: string[] = [];
    cliHooks.current = { progressStream: { write: () => true }, log: (l) => void logs.push(l) };
    try {
      expect((await run(...shard0, '--resume')).code).toBe(0);
      skipped = logs.filter((l) => /skipped \(--resume\)/.test(l));
    } finally {
      cliHooks.current = { progressStream: { write: () => true } };
    }
    expect(skipped).toEqual([expect.stringMatching(/^vqgan\+fsq-K16: already in .*shard-0-of-2\.leaderboard\.json, skipped/)]);

    // Shard 1 of another sweep (other --steps) cannot complete this one.
    const other = join(suite.dir, 'other');
    expect((await run('tokenizers', ...SWEEP.map((a, i, all) => (all[i - 1] === '--steps' ? '1' : a)), '--shard', '1/2', '--out', other)).code).toBe(0);
    const mixed = await run('merge', out, other, '--out', join(suite.dir, 'mixed'));
    expect(mixed.code).toBe(1);
    expect(mixed.err).toMatch(/are shards of different runs \(--steps 2 vs 1\)/);

    expect((await run('tokenizers', ...SWEEP, '--shard', '1/2', '--out', out)).code).toBe(0);
    expect((await run('merge', out, '--out', out)).code).toBe(0);
    expect(rowsIn(out).map((r) => r.tokenizer).sort()).toEqual(['mean-frame', 'vqgan+fsq-K16', 'vqgan+fsq-K32', 'vqgan+lfq-K16', 'vqgan+lfq-K32']);
    // Merging again (the merged file is now an input too) changes nothing.
    expect((await run('merge', out, '--out', out)).code).toBe(0);
    expect(rowsIn(out)).toHaveLength(5);
  }, 600_000);
});
