/**
 * `images`: a folder of PNG/JPEG images (recursively) decoded with sharp, for
 * image tokenizers (VQGAN). Each image is one clip of a single frame,
 * [1, R, R, 3]: short side resized to R (Lanczos, sharp's default), then
 * center-cropped. Alpha is dropped and grayscale expanded to RGB.
 */
import { z } from 'zod';
import { HostTensor, Rng } from '@zoo/core';
import { epochOrder } from './clip-sampling.js';
import {
  DatasetError,
  batchClips,
  bytesToUnit,
  emptyStats,
  type Dataset,
  type DatasetStats,
  type IterateOptions,
  type Sampling,
} from './dataset.js';
import { defaultConcurrency, orderedMap } from './ordered-pool.js';
import { checkFolder, listFiles } from './video-folder.js';
import { heldOutFields, heldOutPart } from './held-out.js';
import { warnOncePerFile, type WarnFn } from './video-file-dataset.js';

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'] as const;

export const imageFolderSchema = z.object({
  /** Folder searched recursively for images (required). */
  root: z.string().min(1),
  /** Output side R (default 64). */
  resolution: z.number().int().min(8).max(4096).default(64),
  /** `eval`: listed order; `train`: shuffled per epoch, random horizontal flips (default eval). */
  sampling: z.enum(['eval', 'train']).default('eval'),
  /** Seed for shuffling and flips (default 0). */
  seed: z.number().int().min(0).default(0),
  /** Images decoded in parallel (default: one per core). */
  concurrency: z.number().int().min(1).max(256).optional(),
  /** Use only the first N files (default: all). */
  limit: z.number().int().min(1).optional(),
  ...heldOutFields,
});
export type ImageFolderConfig = z.infer<typeof imageFolderSchema>;

export class ImageFolderDataset implements Dataset {
  readonly name = 'images';
  readonly clipShape: readonly [number, number, number, 3];
  readonly sampling: Sampling;
  readonly files: readonly string[];
  private readonly counters: DatasetStats;
  private readonly corruptSet = new Set<string>();
  private readonly usedSet = new Set<string>();

  constructor(
    private readonly config: ImageFolderConfig,
    private readonly warn: WarnFn = warnOncePerFile,
  ) {
    const abs = checkFolder(config.root, 'images');
    const all = listFiles(abs, IMAGE_EXTENSIONS);
    if (all.length === 0) throw new DatasetError(`no images (${IMAGE_EXTENSIONS.join(', ')}) under ${abs}`);
    const mine = heldOutPart(all, abs, config.heldOut, config.part);
    this.files = config.limit !== undefined ? mine.slice(0, config.limit) : mine;
    this.clipShape = [1, config.resolution, config.resolution, 3];
    this.sampling = config.sampling;
    this.counters = { ...emptyStats(), listed: mine.length };
  }

  get length(): number {
    return this.files.length;
  }

  stats(): DatasetStats {
    return { ...this.counters, used: this.usedSet.size, corruptFiles: [...this.counters.corruptFiles] };
  }

  async *clips(opts: IterateOptions = {}): AsyncIterable<HostTensor<'float32'>> {
    const epoch = opts.epoch ?? 0;
    const order = epochOrder(this.files.length, this.sampling, this.config.seed, epoch);
    const flipRng = new Rng((this.config.seed * 31 + epoch) >>> 0);
    const flips = order.map(() => this.sampling === 'train' && flipRng.next() < 0.5);
    const loads = orderedMap(order, (i, k) => this.load(this.files[i]!, flips[k]!), this.config.concurrency ?? defaultConcurrency());
    for await (const clip of loads) if (clip) yield clip;
  }

  batches(batchSize: number, opts: IterateOptions = {}): AsyncIterable<HostTensor<'float32'>> {
    return batchClips(this.clips(opts), batchSize);
  }

  private async load(file: string, flip: boolean): Promise<HostTensor<'float32'> | undefined> {
    const r = this.config.resolution;
    try {
      // Loaded on first use so importing the bench does not load libvips.
      const { default: sharp } = await import('sharp');
      let img = sharp(file).removeAlpha().toColourspace('srgb').resize(r, r, { fit: 'cover', position: 'centre' });
      if (flip) img = img.flop();
      const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
      if (info.channels !== 3 || info.width !== r || info.height !== r) {
        throw new Error(`decoded to ${info.width}x${info.height}x${info.channels}`);
      }
      this.usedSet.add(file);
      return new HostTensor(this.clipShape, bytesToUnit(new Uint8Array(data.buffer, data.byteOffset, data.length)), 'float32');
    } catch (e) {
      if (!this.corruptSet.has(file)) {
        this.corruptSet.add(file);
        this.counters.corrupt++;
        this.counters.corruptFiles.push(file);
      }
      this.warn(`skipping unreadable image ${file}: ${(e as Error).message}`, file);
      return undefined;
    }
  }
}
