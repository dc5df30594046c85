/**
 * `zoo tokenizers` (`pnpm bench tokenizers`): train and evaluate tokenizers
 * under one protocol and write leaderboard.json / leaderboard.md /
 * index.html into --out. With no options it compares vq, cosine-vq, lfq and
 * fsq on the vqgan preset's encoder over synthetic clips, in minutes on 2 cores.
 */
import type { Argv } from 'yargs';
import { join } from 'node:path';
import { presetNames } from '../tokenizer/presets.js';
import { quantizerNames } from '@zoo/quantizers';
import { PRETRAINED_KINDS } from '../pretrained/load.js';
import { DATASET_NAMES } from '../run/datasets.js';
import { RunOptionsError, runOptionsSchema, type RunOptionsInput } from '../run/options.js';
import { parsePriorConfig, priorConfigSchema } from '../prior/config.js';
import { runTokenizers, type RunHooks, type RunSummary } from '../run/run-tokenizers.js';
import { TrainingAbortedError } from '../train/trainer.js';
import { SSIM_MIN_SIDE } from '../metrics/ssim.js';
import { LEADERBOARD_JSON, LEADERBOARD_MD, REPORT_HTML } from '../report/leaderboard-file.js';
import { CliInterruptedError, formatTable, shellCommand, type CliContext, type CliIo } from './io.js';

const D = runOptionsSchema.parse({});
const list = (s: string | undefined): string[] | undefined =>
  s === undefined ? undefined : s.split(',').map((x) => x.trim()).filter(Boolean);

/** `--codebook-size 256,1024`: one number, or a list of them (a sweep). */
function numbers(s: string, flag: string): number | number[] {
  const xs = list(s) ?? [];
  const bad = xs.filter((x) => !/^\d+$/.test(x));
  if (bad.length || xs.length === 0) throw new RunOptionsError(`${flag} ${s}: expected a whole number or a comma-separated list of them`);
  const ns = xs.map(Number);
  return ns.length === 1 ? ns[0]! : ns;
}

/** `--prior-config '{"dim":32}'`: a JSON object (its keys are checked by the options). */
function priorJson(s: string | undefined): RunOptionsInput['prior'] {
  if (s === undefined) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(s);
  } catch (e) {
    throw new RunOptionsError(`--prior-config ${s}: not JSON (${(e as Error).message}); e.g. --prior-config '{"dim":32,"layers":1}'`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new RunOptionsError(`--prior-config ${s}: expected a JSON object, e.g. '{"dim":32,"layers":1}'`);
  return v as RunOptionsInput['prior'];
}

/** `--tokenizers a,onnx:enc.onnx,dec.onnx,b`: the comma inside an onnx: pair does not split it. */
export function splitTokenizers(s: string): string[] {
  const out: string[] = [];
  for (const part of s.split(',').map((x) => x.trim()).filter(Boolean)) {
    const last = out.at(-1);
    if (last?.startsWith('onnx:') && !last.includes(',')) out[out.length - 1] = `${last},${part}`;
    else out.push(part);
  }
  return out;
}

/** Runs the job with a SIGINT handler: the first Ctrl-C stops after the current step with a checkpoint, the second exits. */
async function runInterruptible(input: RunOptionsInput, hooks: RunHooks, io: CliIo, ctx: CliContext): Promise<RunSummary> {
  const ctrl = new AbortController();
  let interrupted = false;
  const onSigint = (): void => {
    if (interrupted) {
      io.err('second interrupt: exiting now (the last checkpoint on disk stays usable with --resume)');
      process.exit(130);
    }
    interrupted = true;
    io.err('interrupt: stopping after the current step and writing a checkpoint (Ctrl-C again to quit at once)');
    ctrl.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    const signal = hooks.signal ? AbortSignal.any([hooks.signal, ctrl.signal]) : ctrl.signal;
    return await runTokenizers(input, { ...hooks, signal });
  } catch (e) {
    if (!(interrupted && e instanceof TrainingAbortedError)) throw e;
    const argv = ctx.argv.includes('--resume') ? ctx.argv : [...ctx.argv, '--resume'];
    throw new CliInterruptedError(
      `interrupted after step ${e.step}; ` +
        (e.checkpoint ? `checkpoint written to ${e.checkpoint}` : 'no checkpoint was written') +
        `. Finished tokenizers are in ${join(input.out ?? D.out, LEADERBOARD_JSON)}. Resume with:\n  ${shellCommand('pnpm bench', argv)}`,
    );
  } finally {
    process.off('SIGINT', onSigint);
  }
}

export function tokenizersCommand(y: Argv, io: CliIo, ctx: CliContext): Argv {
  return y.command(
    'tokenizers',
    'Train and evaluate tokenizers under one protocol; write leaderboard.json, leaderboard.md and index.html',
    (b) =>
      b
        .option('dataset', { choices: DATASET_NAMES, default: D.dataset, describe: 'clips to train and evaluate on' })
        .option('data-dir', { type: 'string', describe: 'dataset root (ucf101: folder with UCF-101/ and ucfTrainTestlist/, default $ZOO_UCF101_ROOT or data/ucf101; videos/images: the folder, required)' })
        .option('split', { choices: [1, 2, 3] as const, default: D.split, describe: 'UCF-101 official train/test split' })
        .option('allow-eval-on-train', { type: 'boolean', default: D.allowEvalOnTrain, describe: 'when no disjoint eval split exists, score on training clips anyway (rows are marked "evaluated on training clips"); without it such a run fails' })
        .option('pad-short', { type: 'boolean', default: D.padShort, describe: 'repeat the last frame of videos shorter than --frames (rows are marked); without it they are skipped and counted' })
        .option('tokenizers', { type: 'string', default: D.tokenizers.join(','), describe: `comma-separated presets (${presetNames().join(', ')}), onnx:ENCODE.onnx,DECODE.onnx, or pretrained:KIND:CHECKPOINT (kinds: ${Object.keys(PRETRAINED_KINDS).join(', ')}; evaluated without training)` })
        .option('config', { type: 'string', describe: 'JSON tokenizer spec file (one spec or a non-empty array), used instead of --tokenizers (default: none)' })
        .option('quantizers', { type: 'string', describe: `comma-separated quantizers swapped into each tokenizer (${quantizerNames().join(', ')}); default vq,cosine-vq,lfq,fsq for a single preset, else each preset's own` })
        .option('codebook-size', { type: 'string', default: String(D.codebookSize), describe: 'codes per codebook; a comma-separated list sweeps sizes (one unit each)' })
        .option('steps', { type: 'number', default: D.steps, describe: 'training steps per tokenizer' })
        .option('batch', { type: 'number', default: D.batch, describe: 'clips per batch' })
        .option('frames', { type: 'number', default: D.frames, describe: 'frames per clip' })
        .option('resolution', { type: 'number', default: D.resolution, describe: `frame side in pixels (at least ${SSIM_MIN_SIDE}, SSIM's window)` })
        .option('lr', { type: 'number', default: D.lr, describe: 'peak learning rate (warmup + cosine)' })
        .option('engine', { choices: ['onnx', 'tfjs'] as const, default: D.engine, describe: 'onnx: compiled graphs on onnxruntime (fast); tfjs: eager' })
        .option('device', { choices: ['cpu', 'cuda', 'webgpu'] as const, default: D.device, describe: 'where the engine runs (cuda needs `pnpm install:cuda`; webgpu: onnx engine on a Vulkan GPU or lavapipe, see `pnpm bench env --device webgpu`)' })
        .option('eval-clips', { type: 'number', default: D.evalClips, describe: 'eval clips every tokenizer is scored on' })
        .option('out', { type: 'string', default: D.out, describe: 'output directory (rerunning into one that holds this run needs --resume)' })
        .option('shard', { type: 'string', default: D.shard, describe: 'i/n: run every n-th unit (tokenizer x quantizer x codebook size x seed) starting at i; auto: i and n from a Kubernetes Indexed Job or Slurm job array. Shards write OUT/shards/; combine them with zoo merge' })
        .option('shard-count', { type: 'number', describe: 'n for --shard auto where the scheduler does not give it (Kubernetes; default $ZOO_SHARD_COUNT)' })
        .option('seed', { type: 'string', default: String(D.seed), describe: 'seed of initial weights and host-side randomness, and (the first one) of the data; a comma-separated list sweeps seeds' })
        .option('resume', { type: 'boolean', default: false, describe: 'skip finished tokenizers, continue the others from their checkpoints' })
        .option('checkpoint-every', { type: 'number', default: D.checkpointEvery, describe: 'steps between checkpoints (0: only at the end)' })
        .option('eval-every', { type: 'number', default: D.evalEvery, describe: 'steps between PSNR evaluations for the curves (0: only at the end)' })
        .option('disc-start', { type: 'number', describe: 'step at which the GAN losses start (default: 3/4 of --steps for runs of 4000+ steps; shorter runs train without the GAN phase)' })
        .option('fvd-model', { type: 'string', describe: 'I3D ONNX feature network for FVD (default: none, FVD unavailable)' })
        .option('fid-model', { type: 'string', describe: 'Inception ONNX feature network for FID over frames (default: none, FID unavailable)' })
        .option('prior-steps', { type: 'number', default: D.priorSteps, describe: 'steps of the token prior trained on each tokenizer\'s train-clip tokens, scored on the eval clips (prior bits/token, bits/video, bpp); 0 turns it off' })
        .option('prior-config', { type: 'string', describe: `token prior as JSON, any of ${Object.keys(priorConfigSchema.shape).join(', ')} (default: ${JSON.stringify(parsePriorConfig())})` })
        .option('cache-dir', { type: 'string', describe: 'decode cache for video datasets (default: $ZOO_CACHE_DIR or ~/.cache/tokenizer-zoo)' })
        .example('$0 tokenizers', 'the default: 4 quantizers on synthetic clips, minutes on a laptop CPU')
        .example('$0 tokenizers --dataset ucf101 --data-dir data/ucf101 --tokenizers magvit2 --quantizers lfq,fsq', 'UCF-101')
        .example('$0 tokenizers --tokenizers onnx:out/export/encode.onnx,out/export/decode.onnx', 'an exported or external tokenizer')
        .example('$0 tokenizers --tokenizers pretrained:taming-vqgan:vqgan_imagenet_f16_1024/last.ckpt --resolution 256', 'a published checkpoint, no training'),
    async (args) => {
      const input: RunOptionsInput = {
        dataset: args.dataset,
        dataDir: args['data-dir'],
        split: args.split,
        allowEvalOnTrain: args['allow-eval-on-train'],
        padShort: args['pad-short'],
        tokenizers: splitTokenizers(args.tokenizers),
        config: args.config,
        quantizers: list(args.quantizers),
        codebookSize: numbers(args['codebook-size'], '--codebook-size'),
        steps: args.steps,
        batch: args.batch,
        frames: args.frames,
        resolution: args.resolution,
        lr: args.lr,
        engine: args.engine,
        device: args.device,
        evalClips: args['eval-clips'],
        out: args.out,
        shard: args.shard,
        shardCount: args['shard-count'],
        seed: numbers(args.seed, '--seed'),
        resume: args.resume,
        checkpointEvery: args['checkpoint-every'],
        evalEvery: args['eval-every'],
        discStart: args['disc-start'],
        fvdModel: args['fvd-model'],
        fidModel: args['fid-model'],
        cacheDir: args['cache-dir'],
        priorSteps: args['prior-steps'],
        prior: priorJson(args['prior-config']),
      };
      const summary = await runInterruptible(input, { log: (l) => io.err(l), ...ctx.tokenizersHooks }, io, ctx);
      const fmt = (v: number | null | undefined, d: number): string => (v === null || v === undefined ? 'n/a' : v.toFixed(d));
      io.out(
        formatTable(
          ['tokenizer', 'PSNR', 'SSIM', 'usage', 'perplexity', 'bpp', 'prior bits/token', 'tokens/clip', 'eval clips', 'steps', 'wall s'],
          summary.rows.map((r) => [
            r.tokenizer + (r.data?.evalOnTrain ? ' (evaluated on training clips)' : ''),
            fmt(r.metrics['psnr'], 2),
            fmt(r.metrics['ssim'], 4),
            fmt(r.metrics['codebookUsage'], 3),
            fmt(r.metrics['perplexity'], 1),
            r.bitsPerPixel.toFixed(3),
            fmt(r.metrics['priorBitsPerToken'], 3),
            String(r.tokensPerClip),
            r.data ? `${r.data.evalClips}/${r.data.evalClipsRequested}` : 'n/a',
            String(r.steps),
            r.wallTimeSec.toFixed(0),
          ]),
        ),
      );
      io.out(`wrote ${[LEADERBOARD_JSON, LEADERBOARD_MD, REPORT_HTML].map((f) => join(summary.outDir, f)).join(', ')}`);
    },
  );
}
