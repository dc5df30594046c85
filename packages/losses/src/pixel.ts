/**
 * Pixel reconstruction losses. Both are plain means over every element, like
 * torch's F.l1_loss / F.mse_loss with reduction='mean' (taming uses
 * |x - x̂| averaged the same way once the per-pixel map is reduced).
 */
import type { Ops, Tensor } from '@zoo/core';
import { assertSameShape } from './shapes.js';

/** mean(|x - y|) over all elements. */
export function l1Loss(ops: Ops, x: Tensor, y: Tensor): Tensor {
  assertSameShape('l1Loss', x, y);
  return ops.mean(ops.abs(ops.sub(x, y)));
}

/** mean((x - y)^2) over all elements (MSE). */
export function l2Loss(ops: Ops, x: Tensor, y: Tensor): Tensor {
  assertSameShape('l2Loss', x, y);
  return ops.mean(ops.square(ops.sub(x, y)));
}
