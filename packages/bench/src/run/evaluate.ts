/**
 * Evaluation under one protocol for every tokenizer (ours, external ONNX,
 * the baseline): the same eval clips, encode -> decode, then PSNR and SSIM
 * (per video, averaged), LPIPS and FVD when their networks are available
 * (null otherwise, never a number from random weights), codebook usage and
 * perplexity of the emitted tokens, rate numbers and encode/decode
 * throughput (clips per second, measured on the eval batches themselves).
 */
import type { HostTensor } from '@zoo/core';
import type { Dataset } from '../data/dataset.js';
import { CodebookStats } from '../metrics/codebook.js';
import { bitsPerPixel, compressionRatio, tokensPerClip } from '../metrics/compression.js';
import { FrechetMetric } from '../metrics/fvd.js';
import { psnrPerVideo } from '../metrics/psnr.js';
import { ssimPerVideo } from '../metrics/ssim.js';
import type { Codec } from './codec.js';

export interface EvalOptions {
  batch: number;
  /** Reconstructions of the first N clips kept for the report grids. Default 2. */
  samples?: number;
  /** LPIPS distance of two [B, T, H, W, 3] batches in [0, 1]; omitted = LPIPS unavailable. */
  lpips?: ((a: HostTensor, b: HostTensor) => Promise<number>) | undefined;
  /** ONNX feature network for FVD (I3D); omitted = unavailable. */
  fvdModel?: string | undefined;
  /** ONNX feature network for FID over single frames (Inception); omitted = unavailable. */
  fidModel?: string | undefined;
  /** Return the eval clips' token indices (for the token prior). Default false. */
  keepIndices?: boolean;
}

export interface EvalResult {
  metrics: Record<string, number | null>;
  /** Why a null metric is null. */
  unavailable: Record<string, string>;
  clips: number;
  tokenShape: number[];
  codebookSizes: number[];
  tokensPerClip: number;
  bitsPerPixel: number;
  compressionRatio: number;
  encodeClipsPerSec: number;
  decodeClipsPerSec: number;
  /** Original and reconstruction of the first clips, [T, H, W, 3] each. */
  samples: { original: Float32Array; recon: Float32Array }[];
  /** Index batches of the eval clips, when `keepIndices` asked for them. */
  indices?: HostTensor[];
}

const mean = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);

function clipOf(t: HostTensor, i: number): Float32Array {
  const per = t.size / t.shape[0]!;
  return Float32Array.from(t.data.subarray(i * per, (i + 1) * per));
}

export async function evaluateCodec(codec: Codec, data: Dataset, opts: EvalOptions): Promise<EvalResult> {
  const fvd = new FrechetMetric('fvd', opts.fvdModel ? { modelPath: opts.fvdModel } : {});
  const fid = new FrechetMetric('fid', opts.fidModel ? { modelPath: opts.fidModel } : {});
  try {
    return await scoreClips(codec, data, opts, fvd, fid);
  } finally {
    await fvd.dispose();
    await fid.dispose();
  }
}

async function scoreClips(codec: Codec, data: Dataset, opts: EvalOptions, fvd: FrechetMetric, fid: FrechetMetric): Promise<EvalResult> {
  const psnrs: number[] = [];
  const ssims: number[] = [];
  const lpipsVals: number[] = [];
  const keep = opts.samples ?? 2;
  const samples: EvalResult['samples'] = [];
  let stats: CodebookStats | undefined;
  let indexShape: number[] | undefined;
  const timings: { enc: number; dec: number; n: number }[] = [];
  const kept: HostTensor[] = [];
  let clips = 0;
  const [t, h, w] = data.clipShape;
  for await (const batch of data.batches(opts.batch)) {
    const t0 = performance.now();
    const idx = await codec.encode(batch);
    const t1 = performance.now();
    const rec = await codec.decode(idx);
    const t2 = performance.now();
    timings.push({ enc: (t1 - t0) / 1000, dec: (t2 - t1) / 1000, n: batch.shape[0]! });
    indexShape ??= idx.shape;
    if (opts.keepIndices) kept.push(idx);
    const k = codec.codebookSizes(idx.shape)[0]!;
    stats ??= new CodebookStats(k);
    stats.update(idx);
    psnrs.push(...psnrPerVideo(batch, rec));
    ssims.push(...ssimPerVideo(batch, rec));
    if (opts.lpips) lpipsVals.push((await opts.lpips(batch, rec)) * batch.shape[0]!);
    await fvd.update(batch, rec);
    await fid.update(batch, rec);
    for (let i = 0; i < batch.shape[0]! && samples.length < keep; i++) samples.push({ original: clipOf(batch, i), recon: clipOf(rec, i) });
    clips += batch.shape[0]!;
  }
  if (!indexShape || !stats) throw new RangeError(`evaluation dataset '${data.name}' yielded no clips`);
  // The first batch includes graph compilation: left out unless it is the only one.
  const timed = timings.length > 1 ? timings.slice(1) : timings;
  const timedClips = timed.reduce((s, x) => s + x.n, 0);
  const encSec = timed.reduce((s, x) => s + x.enc, 0);
  const decSec = timed.reduce((s, x) => s + x.dec, 0);
  const unavailable: Record<string, string> = {};
  const fvdValue = await fvd.result();
  if (!fvdValue.available) unavailable['fvd'] = fvdValue.reason;
  const fidValue = await fid.result();
  if (!fidValue.available) unavailable['fid'] = fidValue.reason;
  if (!opts.lpips) unavailable['lpips'] = 'LPIPS needs frames of at least 32x32 and its shipped weights';
  const tokenShape = codec.tokenShape(indexShape);
  const codebookSizes = codec.codebookSizes(indexShape);
  const rate = { tokenShape, codebookSizes, clipShape: [t, h, w] as [number, number, number] };
  return {
    metrics: {
      psnr: mean(psnrs),
      ssim: mean(ssims),
      lpips: opts.lpips ? lpipsVals.reduce((s, x) => s + x, 0) / clips : null,
      fvd: fvdValue.available ? fvdValue.value : null,
      fid: fidValue.available ? fidValue.value : null,
      codebookUsage: stats.usage(),
      perplexity: stats.perplexity(),
    },
    unavailable,
    clips,
    tokenShape,
    codebookSizes,
    tokensPerClip: tokensPerClip(tokenShape) * codebookSizes.length,
    bitsPerPixel: bitsPerPixel(rate),
    compressionRatio: compressionRatio(rate),
    encodeClipsPerSec: encSec > 0 ? timedClips / encSec : 0,
    decodeClipsPerSec: decSec > 0 ? timedClips / decSec : 0,
    samples,
    ...(opts.keepIndices ? { indices: kept } : {}),
  };
}

/** The trivial baseline: every frame of a clip replaced by the clip's mean frame. */
export function meanFrame(batch: HostTensor): HostTensor {
  const [b, t, h, w, c] = batch.shape as [number, number, number, number, number];
  const f = h * w * c;
  const out = batch.clone();
  for (let v = 0; v < b; v++) {
    const m = new Float64Array(f);
    for (let i = 0; i < t; i++) for (let k = 0; k < f; k++) m[k]! += batch.data[(v * t + i) * f + k]!;
    for (let i = 0; i < t; i++) for (let k = 0; k < f; k++) out.data[(v * t + i) * f + k] = m[k]! / t;
  }
  return out;
}

export interface BaselineResult {
  metrics: Record<string, number | null>;
  samples: Float32Array[];
  /** Clips scored. */
  clips: number;
}

/** PSNR / SSIM (and LPIPS when available) of the mean-frame baseline over the eval clips. */
export async function evaluateBaseline(
  data: Dataset,
  batchSize: number,
  samples = 2,
  lpips?: (a: HostTensor, b: HostTensor) => Promise<number>,
): Promise<BaselineResult> {
  const psnrs: number[] = [];
  const ssims: number[] = [];
  let lpipsSum = 0;
  let clips = 0;
  const kept: Float32Array[] = [];
  for await (const batch of data.batches(batchSize)) {
    const rec = meanFrame(batch);
    psnrs.push(...psnrPerVideo(batch, rec));
    ssims.push(...ssimPerVideo(batch, rec));
    if (lpips) lpipsSum += (await lpips(batch, rec)) * batch.shape[0]!;
    clips += batch.shape[0]!;
    for (let i = 0; i < batch.shape[0]! && kept.length < samples; i++) kept.push(clipOf(rec, i));
  }
  return { metrics: { psnr: mean(psnrs), ssim: mean(ssims), ...(lpips ? { lpips: lpipsSum / Math.max(1, clips) } : {}) }, samples: kept, clips };
}
