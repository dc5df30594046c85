/**
 * The main job: train and evaluate a set of tokenizers under one protocol
 * and write the leaderboard (JSON rows appended atomically, Markdown, HTML
 * with grids and curves). Each tokenizer is trained, evaluated, appended
 * and the report rewritten before the next one starts, so a long run never
 * loses finished work; `resume` skips tokenizers whose row exists and
 * continues the others from their checkpoints.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createEngine, logger, type Engine, type HostTensor, type Tensor } from '@zoo/core';
import { LPIPS } from '@zoo/losses';
import { appendLeaderboardRow, readLeaderboard } from '../report/leaderboard-file.js';
import { newRunId, type LeaderboardRow, type RowData } from '../report/leaderboard-row.js';
import { gitRevision } from '../util/git.js';
import { createProgress, type ProgressStream } from '../util/progress.js';
import { Tokenizer, toModel } from '../tokenizer/tokenizer.js';
import type { CurvePoint } from '../train/checkpoint.js';
import { readLatestCheckpointMeta } from '../train/checkpoint.js';
import { train, TrainingAbortedError } from '../train/trainer.js';
import { tokenizerCodec, type Codec } from './codec.js';
import { buildRunData, dataCounts, describeCounts, type RunData } from './datasets.js';
import { evaluateBaseline, evaluateCodec, type EvalResult } from './evaluate.js';
import { loadOnnxCodec } from './onnx-codec.js';
import { evaluatePrior, type PriorEvalResult } from './prior-eval.js';
import { loadPretrained, pretrainedCodec, PretrainedError, type LoadedPretrained } from '../pretrained/index.js';
import { codebookSizesOf, parseRunOptions, priorConfigOf, RunOptionsError, seedsOf, shardOf, type RunOptions, type RunOptionsInput } from './options.js';
import { saveArtifacts, writeRunReport } from './report-assets.js';
import { resolveEntries, type RunEntry } from './entries.js';
import { describeConfigDifference } from './config-diff.js';
import { unitsOf, type Shard } from './shard.js';
import { readShardState, rowsPathOf, runConfigKey, runConfigOf, statePathOf, writeShardState, type ShardState } from './shard-files.js';

export interface RunHooks {
  /** Aborts training (tests simulate a kill with it). */
  signal?: AbortSignal;
  onStep?: (tokenizer: string, step: number, values: Record<string, number>) => void;
  /** Where progress bars / lines go (default stderr). */
  progressStream?: ProgressStream;
  /** One line per finished tokenizer (default: the logger). */
  log?: (line: string) => void;
  /** Reuse an engine (tests); created from the options otherwise. */
  engine?: Engine;
}

export interface RunSummary {
  options: RunOptions;
  /** This process's part of the sweep. */
  shard: Shard;
  /** Where this run's rows were appended (OUT/leaderboard.json, or the shard's own file). */
  rowsPath: string;
  /** Rows appended by this call (baseline first, when written). */
  rows: LeaderboardRow[];
  skipped: string[];
  outDir: string;
}

/** LPIPS needs frames of at least 32 px (AlexNet's stride-4 stem and pools). */
const LPIPS_MIN_SIDE = 32;

function configKey(config: unknown): string {
  return createHash('sha256').update(JSON.stringify(config)).digest('hex').slice(0, 16);
}

function loadLpips(resolution: number): LPIPS | undefined {
  if (resolution < LPIPS_MIN_SIDE) return undefined;
  try {
    return new LPIPS({ net: 'alex' });
  } catch (e) {
    logger().warn(`LPIPS unavailable: ${(e as Error).message}`);
    return undefined;
  }
}

function lpipsMetric(engine: Engine, lpips: LPIPS | undefined): ((a: HostTensor, b: HostTensor) => Promise<number>) | undefined {
  if (!lpips) return undefined;
  lpips.eval();
  const fn = engine.compile<{ a: HostTensor; b: HostTensor }, { d: Tensor }>((ops, inp) => {
    const fold = (v: Tensor): Tensor => {
      const m = toModel(ops, v);
      const [n, c, t, h, w] = m.shape as [number, number, number, number, number];
      return ops.reshape(ops.transpose(m, [0, 2, 1, 3, 4]), [n * t, c, h, w]);
    };
    return { d: lpips.forward(ops, fold(inp.a), fold(inp.b)) };
  }); // LPIPS's weights are constant variables: baked into the graph
  return async (a, b) => (await fn.run({ a, b })).d.item();
}

/** Thrown when --out already holds (part of) this run and --resume was not given. */
export class RerunError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RerunError';
  }
}

/** A run entry's checkpoint folder inside --out. */
export function checkpointDirOf(out: string, entryName: string): string {
  return join(out, 'checkpoints', entryName.replace(/[^\w.+-]/g, '_'));
}

function entryKey(entry: RunEntry, data: RunData, o: RunOptions): string {
  const prior = o.priorSteps > 0 ? { steps: o.priorSteps, config: priorConfigOf(o) } : undefined;
  const what = entry.kind === 'spec' ? entry.spec : entry.kind === 'onnx' ? entry.paths : { pretrained: entry.pretrained };
  return configKey({ entry: what, train: entry.kind === 'spec' ? entry.train : undefined, data: data.config, prior });
}

/** What the trainer stores as a checkpoint's meta; a resume needs it to match exactly. */
function checkpointMeta(entry: Extract<RunEntry, { kind: 'spec' }>, data: RunData): Record<string, unknown> {
  return { spec: entry.spec, train: entry.train, data: data.config };
}

/**
 * Reruns never duplicate or silently retrain: rerunning a command over an
 * output folder that already holds some of its tokenizers (finished rows, or
 * checkpoints of started ones) stops and says how to continue, unless
 * --resume asks for exactly that. A checkpoint folder written with other
 * options is never reused or overwritten: that needs a new --out.
 */
async function checkRerun(o: RunOptions, mine: readonly RunEntry[], keys: readonly string[], existing: readonly LeaderboardRow[], data: RunData): Promise<void> {
  const finished: string[] = [];
  const started: string[] = [];
  const foreign: string[] = [];
  for (const [i, e] of mine.entries()) {
    if (existing.some((r) => r.config['key'] === keys[i])) {
      finished.push(e.name);
      continue;
    }
    if (e.kind !== 'spec') continue;
    const meta = await readLatestCheckpointMeta(checkpointDirOf(o.out, e.name));
    if (meta === undefined) continue;
    if (JSON.stringify(meta) === JSON.stringify(checkpointMeta(e, data))) started.push(e.name);
    else foreign.push(e.name);
  }
  if (foreign.length) {
    throw new RerunError(
      `${o.out} holds checkpoints of ${foreign.join(', ')} written with other options (tokenizer, training or data config); ` +
        `pass a new --out for this run (or delete ${join(o.out, 'checkpoints')} to discard them).`,
    );
  }
  if (o.resume || (!finished.length && !started.length)) return;
  const what = [
    finished.length ? `finished rows of ${finished.join(', ')}` : '',
    started.length ? `checkpoints of ${started.join(', ')}` : '',
  ].filter(Boolean).join(' and ');
  throw new RerunError(
    `${o.out} already holds ${what} from this same command. Rerun with --resume to skip finished tokenizers and continue ` +
      'started ones from their checkpoints, or pass a new --out to start a separate run.',
  );
}

/** Every tokenizer is built once before any work, so a bad config fails in seconds, not after the baseline. */
function validateEntries(entries: readonly RunEntry[]): void {
  for (const e of entries) {
    if (e.kind === 'spec') new Tokenizer(e.spec);
    if (e.kind === 'pretrained' && !existsSync(e.pretrained.path)) throw new PretrainedError(`${e.pretrained.kind} checkpoint ${e.pretrained.path} does not exist`);
  }
}

/** Published checkpoints are read and built before any work too (a bad file or architecture fails first), and kept for their entry. */
async function loadPretrainedEntries(entries: readonly RunEntry[]): Promise<Map<string, LoadedPretrained>> {
  const out = new Map<string, LoadedPretrained>();
  for (const e of entries) if (e.kind === 'pretrained') out.set(e.name, await loadPretrained(e.pretrained));
  return out;
}

export async function runTokenizers(input: RunOptionsInput, hooks: RunHooks = {}): Promise<RunSummary> {
  const o = parseRunOptions(input);
  const log = hooks.log ?? ((line: string) => logger().info(line));
  const data = buildRunData({
    dataset: o.dataset, dataDir: o.dataDir, frames: o.frames, resolution: o.resolution, evalClips: o.evalClips, seed: seedsOf(o)[0]!,
    cacheDir: o.cacheDir, split: o.split, allowEvalOnTrain: o.allowEvalOnTrain, padShort: o.padShort,
  });
  logger().info(`data: ${describeCounts('train', dataCounts(data.train.stats()))}; ${describeCounts('eval', dataCounts(data.eval.stats()))}`);
  if (data.train.length < o.batch) {
    throw new RunOptionsError(`--batch ${o.batch}: the training set has ${data.train.length} clip${data.train.length === 1 ? '' : 's'}, fewer than one batch; lower --batch`);
  }
  const entries = resolveEntries(o, data.train.clipShape);
  const shard = shardOf(o);
  const mine = unitsOf(entries, shard);
  validateEntries(mine);
  const pretrained = await loadPretrainedEntries(mine);
  const keys = mine.map((e) => entryKey(e, data, o));
  const lbPath = rowsPathOf(o.out, shard);
  const existing = await readLeaderboard(lbPath);
  await checkRerun(o, mine, keys, existing, data);
  const git = await gitRevision();
  const state = shard.count > 1 ? await startShard(o, shard, mine, git) : undefined;
  const engine = hooks.engine ?? (await createEngine({ engine: o.engine, device: o.device }));
  const rows: LeaderboardRow[] = [];
  const skipped: string[] = [];
  const base = { dataset: o.dataset, engine: engine.name, device: engine.device, gitRevision: git };
  const lpips = loadLpips(o.resolution);
  const lpipsFn = lpipsMetric(engine, lpips);
  const facts = { dataset: o.dataset, clips: `${o.frames}x${o.resolution}x${o.resolution}`, 'git revision': git };
  // Shards leave the report to `zoo merge`: several shards rewriting one index.html would race.
  const report = async (): Promise<void> => {
    if (!state) await writeRunReport(o.out, { facts });
  };
  // The baseline row waits for the first finished tokenizer (or the end): a run that fails leaves no lone baseline.
  let baseline: LeaderboardRow | undefined;
  const flushBaseline = async (): Promise<void> => {
    if (!baseline) return;
    await appendLeaderboardRow(lbPath, baseline);
    rows.push(baseline);
    baseline = undefined;
  };
  try {
    if (shard.index === 0) {
      const key = configKey({ baseline: 'mean-frame', data: data.config });
      if (!existing.some((r) => r.baseline && r.config['key'] === key)) {
        baseline = await baselineRow(o, data, key, base, lpipsFn);
        log(`baseline (mean frame): PSNR ${baseline.metrics['psnr']!.toFixed(2)} dB, SSIM ${baseline.metrics['ssim']!.toFixed(4)}`);
      }
    }
    for (const [i, entry] of mine.entries()) {
      const key = keys[i]!;
      if (o.resume && existing.some((r) => r.config['key'] === key)) {
        skipped.push(entry.name);
        log(`${entry.name}: already in ${lbPath}, skipped (--resume)`);
        continue;
      }
      const row = await runEntry(entry, { o, data, engine, lpips, lpipsFn, key, base, hooks, pretrained });
      await flushBaseline();
      await appendLeaderboardRow(lbPath, row);
      rows.push(row);
      await report();
      const m = row.metrics;
      const priorNote = typeof m['priorBitsPerToken'] === 'number' ? `, prior ${m['priorBitsPerToken'].toFixed(3)} bits/token` : '';
      log(`${row.tokenizer}: PSNR ${m['psnr']?.toFixed(2)} dB, SSIM ${m['ssim']?.toFixed(4)}, usage ${m['codebookUsage']?.toFixed(3)}, perplexity ${m['perplexity']?.toFixed(1)}${priorNote}, ${row.wallTimeSec.toFixed(0)} s`);
    }
    await flushBaseline();
    await report();
    if (state) {
      await writeShardState(statePathOf(o.out, shard), { ...state, finishedAt: new Date().toISOString() });
      log(`shard ${shard.index}/${shard.count} finished (${mine.length} units); once every shard has: pnpm bench merge ${o.out} --out ${o.out}`);
    }
    const ev = rows.find((r) => !r.baseline)?.data;
    if (ev) logger().info(`data: ${describeCounts('train', ev.train)}; ${describeCounts('eval', ev.eval)}; eval clips ${ev.evalClips} of ${ev.evalClipsRequested} requested`);
  } finally {
    if (!hooks.engine) await engine.dispose();
  }
  return { options: o, rows, skipped, outDir: o.out, shard, rowsPath: lbPath };
}

/**
 * Records that this shard started (its run config and units). A state left by
 * a shard of another sweep in the same folder is refused: merging the two
 * would mix run configs.
 */
async function startShard(o: RunOptions, shard: Shard, mine: readonly RunEntry[], git: string): Promise<ShardState> {
  const path = statePathOf(o.out, shard);
  const runConfig = runConfigOf(o);
  const key = runConfigKey(runConfig);
  const prev = await readShardState(path);
  if (prev && prev.runConfigKey !== key) {
    throw new RerunError(`${path} belongs to a sweep with other options (${describeConfigDifference(prev.runConfig, runConfig)}); pass a new --out for this sweep`);
  }
  const state: ShardState = {
    schemaVersion: 1, shard: { index: shard.index, count: shard.count }, runConfig, runConfigKey: key,
    units: mine.map((e) => e.name), startedAt: prev?.startedAt ?? new Date().toISOString(), finishedAt: null, gitRevision: git,
  };
  await writeShardState(path, state);
  return state;
}

/** The row's data section: counts of both sets as they stand now, and what was requested vs scored. */
function rowData(o: RunOptions, data: RunData, evalClips: number): RowData {
  return {
    train: dataCounts(data.train.stats()), eval: dataCounts(data.eval.stats()),
    evalClipsRequested: o.evalClips, evalClips, evalOnTrain: data.evalOnTrain, padShort: o.padShort,
  };
}

async function baselineRow(
  o: RunOptions, data: RunData, key: string, base: EntryContext['base'], lpipsFn: EntryContext['lpipsFn'],
): Promise<LeaderboardRow> {
  const b = await evaluateBaseline(data.eval, o.batch, 2, lpipsFn);
  const runId = newRunId();
  const [t, h, w] = data.eval.clipShape;
  const artifacts = await saveArtifacts(o.out, runId, { curves: [], evals: [], clipShape: [t, h, w], originals: [], recons: b.samples });
  return {
    schemaVersion: 1, runId, createdAt: new Date().toISOString(), tokenizer: 'mean-frame', baseline: true, quantizer: 'none',
    codebookSize: 0, tokensPerClip: 0, compressionRatio: t, bitsPerPixel: 24 / t, metrics: b.metrics, steps: 0, wallTimeSec: 0,
    throughput: { trainStepsPerSec: 0 }, ...base, data: rowData(o, data, b.clips),
    config: { key, data: data.config, description: "every frame replaced by the clip's mean frame" }, artifacts,
  };
}

interface EntryContext {
  o: RunOptions;
  data: RunData;
  engine: Engine;
  lpips: LPIPS | undefined;
  lpipsFn: ((a: HostTensor, b: HostTensor) => Promise<number>) | undefined;
  key: string;
  base: { dataset: string; engine: string; device: string; gitRevision: string };
  hooks: RunHooks;
  pretrained: Map<string, LoadedPretrained>;
}

async function runEntry(entry: RunEntry, c: EntryContext): Promise<LeaderboardRow> {
  const { o, data, engine } = c;
  const t0 = performance.now();
  let codec: Codec;
  let pretrained: { kind: string; path: string; sha256: string } | undefined;
  let trained: { steps: number; stepsPerSec: number; curves: EvalCurve; checkpoint?: string | undefined; params?: number } = { steps: 0, stepsPerSec: 0, curves: { curves: [], evals: [] } };
  if (entry.kind === 'spec') {
    const tokenizer = new Tokenizer(entry.spec);
    const evalCodec = tokenizerCodec(engine, tokenizer);
    const progress = createProgress({ total: entry.train.steps, label: entry.name, ...(c.hooks.progressStream ? { stream: c.hooks.progressStream } : {}) });
    try {
      const r = await train({
        engine, tokenizer, config: entry.train, data: data.train, lpips: c.lpips,
        checkpointDir: checkpointDirOf(o.out, entry.name),
        resume: o.resume, signal: c.hooks.signal, progress,
        meta: checkpointMeta(entry, data),
        onStep: c.hooks.onStep ? (s, v) => c.hooks.onStep!(entry.name, s, v) : undefined,
        evaluate: async () => {
          const quick = await evaluateCodec(evalCodec, data.eval, { batch: o.batch, samples: 0 });
          return { psnr: quick.metrics['psnr']! };
        },
      });
      trained = { steps: r.state.step, stepsPerSec: r.stepsPerSec, curves: { curves: r.state.curves, evals: r.state.evals }, checkpoint: r.lastCheckpoint, params: tokenizer.parameterCount() };
    } finally {
      progress.stop();
    }
    codec = evalCodec;
  } else if (entry.kind === 'pretrained') {
    const loaded = c.pretrained.get(entry.name) ?? (await loadPretrained(entry.pretrained));
    pretrained = { ...entry.pretrained, sha256: loaded.sha256 };
    trained.params = loaded.model.parameterCount();
    codec = pretrainedCodec(engine, loaded.model, entry.name);
  } else {
    codec = await loadOnnxCodec(entry.paths.encode, entry.paths.decode, { device: o.device, codebookSize: codebookSizesOf(o)[0]! });
  }
  const ev: EvalResult = await evaluateCodec(codec, data.eval, { batch: o.batch, lpips: c.lpipsFn, fvdModel: o.fvdModel, fidModel: o.fidModel, keepIndices: o.priorSteps > 0 });
  let prior: PriorEvalResult | undefined;
  if (o.priorSteps > 0) {
    const seed = entry.kind === 'spec' ? entry.train.seed : seedsOf(o)[0]!;
    prior = await evaluatePrior(engine, codec, data.train, ev.indices ?? [], o.batch, { steps: o.priorSteps, seed, config: priorConfigOf(o), signal: c.hooks.signal });
    // an interrupt during the prior leaves no row: --resume reloads the finished tokenizer and trains the prior again
    if (c.hooks.signal?.aborted) throw new TrainingAbortedError(trained.steps, trained.checkpoint);
  }
  const runId = newRunId();
  const [t, h, w] = data.eval.clipShape;
  const artifacts = await saveArtifacts(o.out, runId, {
    ...trained.curves, clipShape: [t, h, w], originals: ev.samples.map((s) => s.original), recons: ev.samples.map((s) => s.recon),
  });
  return {
    schemaVersion: 1, runId, createdAt: new Date().toISOString(), tokenizer: entry.name,
    quantizer: entry.kind === 'spec' ? entry.spec.quantizer.name : entry.kind === 'pretrained' ? `pretrained:${entry.pretrained.kind}` : 'external', codebookSize: ev.codebookSizes[0]!,
    tokensPerClip: ev.tokensPerClip, compressionRatio: ev.compressionRatio, bitsPerPixel: ev.bitsPerPixel,
    metrics: { ...ev.metrics, ...prior?.metrics }, steps: trained.steps, wallTimeSec: (performance.now() - t0) / 1000,
    throughput: { trainStepsPerSec: trained.stepsPerSec, encodeClipsPerSec: ev.encodeClipsPerSec, decodeClipsPerSec: ev.decodeClipsPerSec },
    ...c.base,
    data: rowData(o, data, ev.clips),
    config: {
      key: c.key, data: data.config, evalClips: ev.clips, tokenShape: ev.tokenShape, unavailable: { ...ev.unavailable, ...prior?.unavailable },
      prior: prior ? prior.record : { steps: 0 },
      ...(entry.kind === 'spec'
        ? { spec: entry.spec, train: entry.train, parameters: trained.params }
        : entry.kind === 'pretrained' ? { pretrained, parameters: trained.params } : { onnx: entry.paths }),
      ...(trained.checkpoint ? { checkpoint: trained.checkpoint } : {}),
    },
    artifacts,
  };
}

interface EvalCurve {
  curves: CurvePoint[];
  evals: CurvePoint[];
}
