/**
 * VQGAN-style resampling blocks (taming-transformers `Upsample` /
 * `Downsample`), generalized to 1-3 spatial dims and per-dim factors 1 or 2
 * so one class serves images and videos (e.g. factors [1, 2, 2] halve H and
 * W but keep T). Parameter keys: `conv.weight`, `conv.bias`.
 */
import { ShapeError } from '../tensor.js';
import type { Ops, Tensor } from '../ops.js';
import type { Rng } from '../util/rng.js';
import { checkChannelsFirst } from './checks.js';
import { ConvError, ConvNd, type PaddingMode, toPadMode } from './conv.js';
import { ntuple } from './init.js';
import { Block } from './layer.js';
import { avgPoolDownsample, upsampleNearest } from './resample.js';

export interface SamplingOptions {
  /** Per spatial dim, 1 or 2. Default 2 in every dim. */
  factor?: number | readonly number[];
  /**
   * Default true (taming's resamp_with_conv). Downsample: strided 3x3 conv if
   * true, average pooling if false. Upsample: 3x3 conv after nearest if true.
   */
  withConv?: boolean;
  /** Border mode of the 3x3 conv. Default 'zeros' (taming). */
  paddingMode?: PaddingMode;
  rng?: Rng;
}

function factors(opts: SamplingOptions, n: number, where: string): number[] {
  const f = ntuple(opts.factor ?? 2, n, `${where} factor`);
  if (f.some((v) => v !== 1 && v !== 2)) throw new ConvError(`${where}: factors must be 1 or 2, got [${f.join(', ')}]`);
  return f;
}

/**
 * Halves the dims whose factor is 2. With a conv: taming's scheme, pad
 * (0, 1) then a stride-2 3x3 conv (dims with factor 1 get stride 1 and pad
 * (1, 1)); without: average pooling.
 */
export class Downsample extends Block {
  readonly factor: number[];
  readonly conv: ConvNd | undefined;
  readonly paddingMode: PaddingMode;

  constructor(
    readonly channels: number,
    readonly spatialDims: 1 | 2 | 3,
    opts: SamplingOptions = {},
  ) {
    super();
    this.factor = factors(opts, spatialDims, 'Downsample');
    this.paddingMode = opts.paddingMode ?? 'zeros';
    this.conv = opts.withConv === false
      ? undefined
      : this.child('conv', new ConvNd(spatialDims, channels, channels, 3, { stride: this.factor, rng: opts.rng }));
  }

  forward(ops: Ops, x: Tensor): Tensor {
    const where = `Downsample(${this.channels}, [${this.factor.join(', ')}])`;
    checkChannelsFirst(where, x, this.spatialDims, this.channels);
    if (!this.conv) return avgPoolDownsample(ops, x, this.factor);
    this.factor.forEach((f, i) => {
      if (f === 2 && x.shape[i + 2]! % 2) throw new ShapeError(where, 'even sizes in downsampled dims', x.shape);
    });
    const pads = this.factor.map((f): [number, number] => (f === 2 ? [0, 1] : [1, 1]));
    if (this.paddingMode === 'zeros') return this.conv.convolve(ops, x, pads); // zeros: in the Conv node's pads
    const padded = ops.pad(x, [[0, 0], [0, 0], ...pads], toPadMode(this.paddingMode));
    return this.conv.forward(ops, padded);
  }
}

/** Nearest-neighbour upsampling, then (by default) a same-size 3x3 conv (taming `Upsample`). */
export class Upsample extends Block {
  readonly factor: number[];
  readonly conv: ConvNd | undefined;

  constructor(
    readonly channels: number,
    readonly spatialDims: 1 | 2 | 3,
    opts: SamplingOptions = {},
  ) {
    super();
    this.factor = factors(opts, spatialDims, 'Upsample');
    this.conv = opts.withConv === false
      ? undefined
      : this.child('conv', new ConvNd(spatialDims, channels, channels, 3, {
          padding: 1,
          paddingMode: opts.paddingMode ?? 'zeros',
          rng: opts.rng,
        }));
  }

  forward(ops: Ops, x: Tensor): Tensor {
    checkChannelsFirst(`Upsample(${this.channels}, [${this.factor.join(', ')}])`, x, this.spatialDims, this.channels);
    const y = upsampleNearest(ops, x, this.factor);
    return this.conv ? this.conv.forward(ops, y) : y;
  }
}
