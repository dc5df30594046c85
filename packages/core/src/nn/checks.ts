/**
 * Input validation for nn blocks: every block checks rank and channel count
 * before touching ops, so a wrong shape names the module, what it expects
 * and what it got (instead of failing deep inside an engine kernel).
 */
import { ShapeError } from '../tensor.js';
import type { Tensor } from '../ops.js';

/** Expected layout for a channels-first input of `spatial` spatial dims. */
export function layoutName(spatial: number): string {
  return ['[N, C, L]', '[N, C, H, W]', '[N, C, T, H, W]'][spatial - 1] ?? `[N, C, ...${spatial} dims]`;
}

/** Checks x is [N, channels, ...spatial] with `spatial` spatial dims (channels -1 = any). */
export function checkChannelsFirst(where: string, x: Tensor, spatial: number, channels: number): void {
  const ok = x.shape.length === spatial + 2 && (channels < 0 || x.shape[1] === channels);
  if (!ok) {
    const layout = layoutName(spatial).replace('C', channels < 0 ? 'C' : `C=${channels}`);
    throw new ShapeError(where, layout, x.shape);
  }
}

/** Checks the last axis of x has size `features` and x has at least `minRank` dims. */
export function checkLastDim(where: string, x: Tensor, features: number, minRank = 1): void {
  if (x.shape.length < minRank || x.shape[x.shape.length - 1] !== features) {
    throw new ShapeError(where, `[..., ${features}] (rank >= ${minRank})`, x.shape);
  }
}
