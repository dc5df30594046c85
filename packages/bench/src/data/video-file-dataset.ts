/**
 * A Dataset over a fixed list of video files: the shared machinery behind
 * `ucf101` and `videos`. Decodes with ffmpeg in parallel child processes,
 * caches decoded frames on disk, selects clips by frame index, and skips
 * (counts, warns about) files that fail to decode.
 *
 * Cache policy: eval clips are deterministic per file, so the clip itself is
 * cached (T x R x R x 3 bytes, small). Train clips start at random frames, so
 * the whole decoded video at R is cached instead and every later epoch cuts
 * its clip from that.
 */
import { HostTensor, logger, Rng } from '@zoo/core';
import { ClipCache, type CachedFrames } from './clip-cache.js';
import { clipIndices, epochOrder, gatherFrames, type ClipSpec } from './clip-sampling.js';
import {
  batchClips,
  bytesToUnit,
  emptyStats,
  type Dataset,
  type DatasetStats,
  type IterateOptions,
  type Sampling,
} from './dataset.js';
import { decodeVideo, resolveFfmpeg, VideoDecodeError, scaleCropFilter } from './ffmpeg.js';
import { defaultConcurrency, orderedMap } from './ordered-pool.js';

export interface VideoClipOptions extends ClipSpec {
  /** Output side R: short side scaled to R, center-cropped to R x R. */
  resolution: number;
  sampling: Sampling;
  seed: number;
  /** Cache root (the `clips/` folder is created inside); undefined = ~/.cache/tokenizer-zoo. */
  cacheDir?: string;
  /** false disables reading and writing the decode cache. */
  cache: boolean;
  /** Parallel ffmpeg processes; undefined = one per core. */
  concurrency?: number;
  /** Explicit ffmpeg binary; undefined = {@link resolveFfmpeg}. */
  ffmpegPath?: string;
  /** Decoder errors on stderr make a file corrupt even when frames came out (default true). */
  strictDecode?: boolean;
  /** Fill videos shorter than a clip by repeating their last frame instead of skipping them (default false). */
  padShort?: boolean;
}

/** Receives one message per skipped file; default: the zoo logger's warn. */
export type WarnFn = (message: string, file: string) => void;

// Once per file per process: a run opens the same folder as several datasets (train, eval), and a bad file
// should be reported once, not once per split or per tokenizer.
const warnedFiles = new Set<string>();
export const warnOncePerFile: WarnFn = (message, file) => {
  if (warnedFiles.has(file)) return;
  warnedFiles.add(file);
  logger().warn({ file }, message);
};

type ClipResult = { ok: true; clip: HostTensor<'float32'> } | { ok: false };

export class VideoFileDataset implements Dataset {
  readonly clipShape: readonly [number, number, number, 3];
  readonly sampling: Sampling;
  protected readonly counters: DatasetStats;
  private readonly cache: ClipCache | undefined;
  private readonly corruptSet = new Set<string>();
  private readonly shortSet = new Set<string>();
  private readonly usedSet = new Set<string>();
  private cacheWriteFailed = false;

  constructor(
    readonly name: string,
    /** Files that exist; each yields one clip per epoch. */
    readonly files: readonly string[],
    /** Entries the source lists, and those whose file is absent (counted, never fatal). */
    counts: { listed: number; missing: number },
    readonly options: VideoClipOptions,
    private readonly warn: WarnFn = warnOncePerFile,
  ) {
    this.clipShape = [options.frames, options.resolution, options.resolution, 3];
    this.sampling = options.sampling;
    this.counters = { ...emptyStats(), ...counts };
    this.cache = options.cache ? new ClipCache(options.cacheDir) : undefined;
  }

  get length(): number {
    return this.files.length;
  }

  /** One line for logs and reports: usable, missing and corrupt counts. */
  summary(): string {
    const c = this.counters;
    const short = `${c.short} shorter than a clip (${this.options.padShort ? 'padded' : 'skipped'})`;
    return (
      `${this.name}: ${this.files.length} of ${c.listed} listed videos present, ${c.missing} missing, ` +
      `${c.corrupt} corrupt${c.corrupt ? ` (${c.corruptFiles.join(', ')})` : ''}, ${short}`
    );
  }

  stats(): DatasetStats {
    return { ...this.counters, used: this.usedSet.size, corruptFiles: [...this.counters.corruptFiles] };
  }

  async *clips(opts: IterateOptions = {}): AsyncIterable<HostTensor<'float32'>> {
    const epoch = opts.epoch ?? 0;
    const order = epochOrder(this.files.length, this.sampling, this.options.seed, epoch);
    // One rng per (seed, epoch, file) so a clip's offset does not depend on decode timing.
    const seedBase = (this.options.seed * 7_919 + epoch * 104_729) >>> 0;
    const concurrency = this.options.concurrency ?? defaultConcurrency();
    const tasks = orderedMap(order, (i) => this.loadClip(this.files[i]!, new Rng((seedBase + i * 2_654_435_761) >>> 0)), concurrency);
    for await (const r of tasks) if (r.ok) yield r.clip;
  }

  batches(batchSize: number, opts: IterateOptions = {}): AsyncIterable<HostTensor<'float32'>> {
    return batchClips(this.clips(opts), batchSize);
  }

  private async loadClip(file: string, rng: Rng): Promise<ClipResult> {
    // Already reported as corrupt or too short in an earlier epoch: skip without decoding or warning again.
    if (this.corruptSet.has(file) || (this.shortSet.has(file) && !this.options.padShort)) return { ok: false };
    try {
      const { frames, indices, short } = await this.framesFor(file, rng);
      if (short && !this.shortSet.has(file)) {
        this.shortSet.add(file);
        this.counters.short++;
        if (!this.options.padShort) {
          this.warn(`skipping ${file}: shorter than one clip of ${this.options.frames} frames at stride ${this.options.stride} (pass padShort / --pad-short to repeat its last frame instead)`, file);
        }
      }
      if (short && !this.options.padShort) return { ok: false };
      this.usedSet.add(file);
      const r = this.options.resolution;
      const bytes = indices ? gatherFrames(frames.data, r * r * 3, indices) : frames.data;
      return { ok: true, clip: new HostTensor(this.clipShape, bytesToUnit(bytes), 'float32') };
    } catch (e) {
      if (!(e instanceof VideoDecodeError)) throw e;
      if (!this.corruptSet.has(file)) {
        this.corruptSet.add(file);
        this.counters.corrupt++;
        this.counters.corruptFiles.push(file);
      }
      this.warn(`skipping unreadable video ${file}: ${e.reason}`, file);
      return { ok: false };
    }
  }

  /**
   * Decoded frames for `file`: for eval the finished clip (indices undefined),
   * for train the whole video plus the indices to take from it.
   */
  private async framesFor(
    file: string,
    rng: Rng,
  ): Promise<{ frames: CachedFrames; indices: number[] | undefined; short: boolean }> {
    const o = this.options;
    const r = o.resolution;
    const evalClip = o.sampling === 'eval';
    const params: Record<string, string | number> = evalClip
      ? { what: 'eval-clip', r, frames: o.frames, stride: o.stride, filter: scaleCropFilter(r) }
      : { what: 'video', r, filter: scaleCropFilter(r) };
    let key: string | undefined;
    if (this.cache) {
      try {
        key = await this.cache.keyFor(file, params);
      } catch {
        throw new VideoDecodeError(file, 'file vanished or cannot be read');
      }
      const hit = await this.cache.get(key);
      if (hit && hit.height === r && hit.width === r && hit.channels === 3 && (!evalClip || hit.frames === o.frames)) {
        this.counters.cacheHits++;
        if (evalClip) return { frames: hit, indices: undefined, short: hit.short === true };
        const sel = clipIndices(hit.frames, o, 'train', rng);
        return { frames: hit, indices: sel.indices, short: sel.short };
      }
    }
    this.counters.cacheMisses++;
    const ffmpegPath = o.ffmpegPath ?? resolveFfmpeg().path;
    const video = await decodeVideo(file, { resolution: r, ffmpegPath, strict: o.strictDecode ?? true });
    const whole: CachedFrames = { data: video.data, frames: video.frames, height: r, width: r, channels: 3 };
    const sel = clipIndices(video.frames, o, o.sampling, rng);
    if (evalClip) {
      const clip: CachedFrames = { ...whole, data: gatherFrames(video.data, r * r * 3, sel.indices), frames: o.frames, short: sel.short };
      if (key) await this.store(key, clip);
      return { frames: clip, indices: undefined, short: sel.short };
    }
    if (key) await this.store(key, whole);
    return { frames: whole, indices: sel.indices, short: sel.short };
  }

  /** A cache that cannot be written (read-only, disk full) costs speed, not the run: warn once and go on. */
  private async store(key: string, entry: CachedFrames): Promise<void> {
    if (!this.cache) return;
    try {
      await this.cache.put(key, entry);
    } catch (e) {
      if (!this.cacheWriteFailed) {
        this.cacheWriteFailed = true;
        logger().warn({ cacheDir: this.cache.dir }, `cannot write the decode cache (${(e as Error).message}); continuing without caching`);
      }
    }
  }
}
