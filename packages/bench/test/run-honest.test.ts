/**
 * Results that cannot come out silently wrong: a typo'd config key, scoring
 * on training clips, a rerun over a finished output folder, an interrupted
 * run and options that cannot work are all refused or marked before any
 * number is written.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliHooks, cliSuite, runZoo } from './cli-support.js';
import { resolveFfmpeg } from '../src/data/index.js';
import type { LeaderboardRow } from '../src/report/leaderboard-row.js';
import { parseRunOptions } from '../src/run/options.js';

const run = runZoo;

const rowsOf = (dir: string): LeaderboardRow[] => JSON.parse(readFileSync(join(dir, 'leaderboard.json'), 'utf8')) as LeaderboardRow[];

describe('honest results', () => {
  const suite = cliSuite('zoo-honest-');
  const tiny = ['--frames', '2', '--resolution', '16', '--steps', '2', '--batch', '2', '--eval-clips', '2', '--quantizers', 'fsq', '--disc-start', '100', '--prior-steps', '0', '--log-level', 'silent'];

  it("a typo'd config key is an error naming the nearest valid key, before any work", async () => {
    const cfg = join(suite.dir, 'typo.json');
    writeFileSync(cfg, JSON.stringify({
      name: 'typo', encoder: { name: 'conv2d', config: { ch: 8, chMult: [1, 2], numResBlock: 1, zChannels: 4 } }, quantizer: { name: 'fsq', config: { levels: [4, 4] } },
    }));
    const r = await run('tokenizers', ...tiny.filter((a, i, all) => a !== '--quantizers' && all[i - 1] !== '--quantizers'), '--config', cfg, '--out', join(suite.dir, 'typo'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/numResBlock = 1: unknown key 'numResBlock' \(did you mean 'numResBlocks'\?/);
    expect(existsSync(join(suite.dir, 'typo'))).toBe(false);

    writeFileSync(cfg, JSON.stringify({ name: 'typo', encoder: { name: 'conv2d' }, quantizer: { name: 'fsq' }, losses: { perceptualWieght: 1 } }));
    const spec = await run('tokenizers', '--config', cfg, '--out', join(suite.dir, 'typo'), '--log-level', 'silent');
    expect(spec.err).toMatch(/losses\.perceptualWieght: unknown key 'perceptualWieght' \(did you mean 'perceptualWeight'\?/);
  });

  it('an empty --config list, --resolution 9 and unknown options are refused with the flags as typed', async () => {
    const empty = join(suite.dir, 'empty.json');
    writeFileSync(empty, '[]');
    const r = await run('tokenizers', '--config', empty, '--out', join(suite.dir, 'empty'), '--log-level', 'silent');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/holds an empty list/);
    expect(() => parseRunOptions({ resolution: 9 })).toThrow(/^--resolution: must be at least 11 \(SSIM's 11x11 window\)$/);
    expect(() => parseRunOptions({ evalClips: 0 })).toThrow(/^--eval-clips: /);
    expect(() => parseRunOptions({ evalClip: 3 } as never)).toThrow(/^--eval-clip: unknown option \(did you mean --eval-clips\?\)$/);
    const cli = await run('tokenizers', '--resolution', '9', '--out', join(suite.dir, 'r9'), '--log-level', 'silent');
    expect(cli.code).toBe(1);
    expect(cli.err).toContain('--resolution: must be at least 11');
    expect(existsSync(join(suite.dir, 'r9'))).toBe(false);
  });

  it('a rerun over a finished output stops and says --resume or a new --out; --resume skips, never duplicates', async () => {
    const out = join(suite.dir, 'rerun');
    expect((await run('tokenizers', ...tiny, '--out', out)).code).toBe(0);
    const first = rowsOf(out);
    expect(first.map((r) => r.tokenizer)).toEqual(['mean-frame', 'vqgan+fsq']);
    const again = await run('tokenizers', ...tiny, '--out', out);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/RerunError: .*already holds finished rows of vqgan\+fsq from this same command\. Rerun with --resume .* or pass a new --out/);
    expect(rowsOf(out)).toEqual(first);
    const resumed = await run('tokenizers', ...tiny, '--out', out, '--resume');
    expect(resumed.code).toBe(0);
    expect(rowsOf(out)).toEqual(first);
    // Other options into the same folder: the tokenizer's checkpoint folder holds another config, never overwritten.
    const other = await run('tokenizers', ...tiny, '--seed', '1', '--out', out, '--resume');
    expect(other.code).toBe(1);
    expect(other.err).toMatch(/holds checkpoints of vqgan\+fsq written with other options .*pass a new --out/);
    expect(rowsOf(out)).toEqual(first);
  }, 300_000);

  it('SIGINT stops after the step with a checkpoint and prints the resume command; no baseline row is left; --resume finishes', async () => {
    const out = join(suite.dir, 'sigint');
    const argv = ['tokenizers', ...tiny.map((a, i, all) => (all[i - 1] === '--steps' ? '4' : a)), '--out', out];
    cliHooks.current = { progressStream: { write: () => true }, onStep: (_name, step) => void (step === 1 && process.emit('SIGINT')) };
    let r: Awaited<ReturnType<typeof run>>;
    try {
      r = await run(...argv);
    } finally {
      cliHooks.current = { progressStream: { write: () => true } };
    }
    expect(r.code).toBe(130);
    expect(r.err).toMatch(/interrupted after step 1; checkpoint written to .*checkpoints\/vqgan\+fsq\/step-0000001/);
    expect(r.err).toContain(`Resume with:\n  pnpm bench ${argv.join(' ')} --resume`);
    expect(existsSync(join(out, 'leaderboard.json'))).toBe(false);
    expect(readdirSync(join(out, 'checkpoints', 'vqgan+fsq'))).toContain('step-0000001');
    const resumed = await run(...argv, '--resume');
    expect(resumed.code).toBe(0);
    const rows = rowsOf(out);
    expect(rows.map((x) => x.tokenizer)).toEqual(['mean-frame', 'vqgan+fsq']);
    expect(rows[1]!.steps).toBe(4);
    expect(process.listenerCount('SIGINT')).toBe(0);
  }, 300_000);

  it('a folder of one video cannot be split: refused, or trained and scored on it with --allow-eval-on-train and marked', async () => {
    const videos = join(suite.dir, 'one-video');
    mkdirSync(videos, { recursive: true });
    const ff = spawnSync(resolveFfmpeg().path, ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=25', '-frames:v', '6', '-c:v', 'mpeg4', join(videos, 'a.avi')]);
    expect(ff.status).toBe(0);
    const args = ['tokenizers', ...tiny, '--dataset', 'videos', '--data-dir', videos, '--cache-dir', join(suite.dir, 'cache')];
    const bigBatch = await run(...args, '--allow-eval-on-train', '--out', join(suite.dir, 'v-batch'));
    expect(bigBatch.err).toMatch(/--batch 2: the training set has 1 clip, fewer than one batch; lower --batch/);
    expect(existsSync(join(suite.dir, 'v-batch'))).toBe(false);
    args[args.indexOf('--batch') + 1] = '1';
    const refused = await run(...args, '--out', join(suite.dir, 'v-refused'));
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/TrainEvalOverlapError: .*holds 1 video file, too few to hold any out.*--allow-eval-on-train/);
    const forced = await run(...args, '--allow-eval-on-train', '--out', join(suite.dir, 'v-forced'));
    expect(forced.err).not.toMatch(/^error/m);
    expect(forced.code).toBe(0);
    const rows = rowsOf(join(suite.dir, 'v-forced'));
    expect(rows.every((x) => x.data?.evalOnTrain === true)).toBe(true);
    expect(rows[1]!.data).toMatchObject({ evalClips: 1, evalClipsRequested: 2, eval: { listed: 1, used: 1 } });
    expect(readFileSync(join(suite.dir, 'v-forced', 'leaderboard.md'), 'utf8')).toMatch(/evaluated on training clips; 1 of 2 eval clips/);
  }, 300_000);
});
