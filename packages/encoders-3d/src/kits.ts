/**
 * A "kit" is what differs between the three families; the ResNet encoder and
 * decoder bodies (backbone.ts) are written once against it. Every kit keeps
 * taming-transformers' module names, so state dicts line up across families
 * (which is what `inflateFrom2d` relies on).
 */
import {
  CausalConv3d,
  ConvNd,
  Downsample,
  GroupNorm,
  SpatialAttention,
  Upsample,
  fitGroups,
  type CausalPadMode,
  type Layer,
  type Module,
  type PaddingMode,
  type Ops,
  type Rng,
  type Tensor,
} from '@zoo/core';
import { CausalDownsample, DepthToSpaceUpsample } from './causal-sampling.js';
import { FrameAttention, FrameGroupNorm } from './frame-blocks.js';

/** Any module with a single-input forward. */
export type LayerModule = Module & Layer;

/** Per-level resampling factors (1 or 2 each). */
export interface LevelFactors {
  time: 1 | 2;
  space: 1 | 2;
}

export interface ConvKit {
  /** Spatial rank the body runs at: 2 (frames folded into batch) or 3. */
  readonly dims: 2 | 3;
  /** Same-size conv with kernel 1 or 3. */
  conv(inCh: number, outCh: number, kernel: 1 | 3, rng: Rng): LayerModule;
  down(ch: number, f: LevelFactors, rng: Rng): LayerModule;
  up(ch: number, f: LevelFactors, rng: Rng): LayerModule;
  norm(ch: number): LayerModule;
  attn(ch: number, rng: Rng): LayerModule;
}

/** GroupNorm settings shared by all kits: taming's Normalize is GroupNorm(32, C, eps=1e-6). */
export interface NormSettings {
  groups: number;
  eps: number;
}

const taming: NormSettings = { groups: 32, eps: 1e-6 };

/** VQGAN (taming-transformers) 2-D kit; videos are run frame by frame. */
export function kit2d(norm: NormSettings = taming): ConvKit {
  return {
    dims: 2,
    conv: (i, o, k, rng) => new ConvNd(2, i, o, k, { padding: (k - 1) / 2, rng }),
    down: (ch, f, rng) => new Downsample(ch, 2, { factor: f.space, rng }),
    up: (ch, f, rng) => new Upsample(ch, 2, { factor: f.space, rng }),
    norm: (ch) => new GroupNorm(fitGroups(ch, norm.groups), ch, { eps: norm.eps }),
    attn: (ch, rng) => new SpatialAttention(ch, 2, { normGroups: norm.groups, rng }),
  };
}

/**
 * MAGVIT-v1 3-D kit: every 3x3 conv becomes 3x3x3 (zero temporal padding,
 * spatial padding zeros or reflect); resampling per level in (T, H, W).
 */
export function kitInflated(spatialPadding: PaddingMode, norm: NormSettings = taming): ConvKit {
  return {
    dims: 3,
    conv: (i, o, k, rng) => {
      const p = (k - 1) / 2;
      // Reflect only in space: a temporal reflect would mix frames the 2-D model never saw.
      if (spatialPadding === 'zeros' || k === 1) return new ConvNd(3, i, o, k, { padding: p, rng });
      return new ReflectSpaceConv3d(i, o, rng, spatialPadding);
    },
    // Resampling convs keep taming's zero padding in both modes (reflect in
    // time would mix frames, and a 1-frame level cannot be reflected).
    down: (ch, f, rng) => new Downsample(ch, 3, { factor: [f.time, f.space, f.space], rng }),
    up: (ch, f, rng) => new Upsample(ch, 3, { factor: [f.time, f.space, f.space], rng }),
    norm: (ch) => new GroupNorm(fitGroups(ch, norm.groups), ch, { eps: norm.eps }),
    attn: (ch, rng) => new FrameAttention(ch, { normGroups: norm.groups, rng }),
  };
}

/** MAGVIT-v2 causal kit: causal convs, per-frame norm and attention, depth-to-space up. */
export function kitCausal(
  padMode: CausalPadMode,
  spatialPadMode: 'constant' | 'replicate' | 'reflect',
  norm: NormSettings = taming,
): ConvKit {
  return {
    dims: 3,
    conv: (i, o, k, rng) => new CausalConv3d(i, o, k, { padMode, spatialPadMode, rng }),
    down: (ch, f, rng) => new CausalDownsample(ch, { timeFactor: f.time, spaceFactor: f.space, padMode, spatialPadMode, rng }),
    up: (ch, f, rng) => new DepthToSpaceUpsample(ch, { timeFactor: f.time, spaceFactor: f.space, padMode, spatialPadMode, rng }),
    norm: (ch) => new FrameGroupNorm(fitGroups(ch, norm.groups), ch, { eps: norm.eps }),
    attn: (ch, rng) => new FrameAttention(ch, { normGroups: norm.groups, rng }),
  };
}

/** Conv3d 3x3x3 with zero temporal padding and reflect (or replicate) spatial padding. Keys: weight, bias. */
class ReflectSpaceConv3d extends ConvNd {
  constructor(i: number, o: number, rng: Rng, private readonly spatialMode: PaddingMode) {
    super(3, i, o, 3, { padding: [[1, 1], [0, 0], [0, 0]], rng });
  }
  override forward(ops: Ops, x: Tensor): Tensor {
    const mode = this.spatialMode === 'zeros' ? 'constant' : this.spatialMode;
    return super.forward(ops, ops.pad(x, [[0, 0], [0, 0], [0, 0], [1, 1], [1, 1]], mode));
  }
}
