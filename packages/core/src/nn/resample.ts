/**
 * Up- and downsampling for channels-first tensors, composed from
 * reshape/transpose/broadcast so both engines (and their autodiff) handle
 * them with ops they already have. Intermediate ranks stay <= 6, which every
 * tfjs backend's transpose supports.
 */
import { ShapeError } from '../tensor.js';
import type { Ops, Tensor } from '../ops.js';
import { checkChannelsFirst, layoutName } from './checks.js';
import { ntuple } from './init.js';
import { interleave } from './interleave.js';

/**
 * Nearest-neighbour upsampling by integer factors (torch
 * F.interpolate(mode='nearest') with an integer scale_factor), one spatial
 * dim at a time: [.., D, ..] -> [.., D, 1, ..] -> repeat s times -> [.., D*s, ..].
 */
export function upsampleNearest(ops: Ops, x: Tensor, scale: number | readonly number[]): Tensor {
  const spatial = x.shape.length - 2;
  if (spatial < 1 || spatial > 3) throw new ShapeError('upsampleNearest', '[N, C, ...1-3 spatial dims]', x.shape);
  const s = ntuple(scale, spatial, 'upsampleNearest scale');
  let y = x;
  for (let i = 0; i < spatial; i++) {
    const f = s[i]!;
    if (f === 1) continue;
    // f copies interleaved, not a broadcast (Expand, or Mul by ones): ORT's
    // broadcasting kernels take ~12x longer than Concat on these shapes (and
    // tfjs-wasm's Tile is slow); the gradient is f slices summed.
    y = interleave(ops, new Array<Tensor>(f).fill(y), i + 2);
  }
  return y;
}

/**
 * 2-D depth-to-space, torch.nn.PixelShuffle order: [N, C*r*r, H, W] ->
 * [N, C, H*r, W*r], input channel c*r*r + i*r + j feeding offset (i, j)
 * (einops 'b (c p1 p2) h w -> b c (h p1) (w p2)', as in magvit2-pytorch).
 */
export function depthToSpace2d(ops: Ops, x: Tensor, r: number): Tensor {
  checkChannelsFirst('depthToSpace2d', x, 2, -1);
  const [n, cr, h, w] = x.shape as [number, number, number, number];
  if (cr % (r * r)) throw new ShapeError('depthToSpace2d', `[N, C*${r * r}, H, W]`, x.shape);
  const c = cr / (r * r);
  // Not one 6-D transpose (onnxruntime's element-by-element path): the column offset j is interleaved
  // from its r slices, then one transpose moves the row offset i past the h rows, whole (w, j) rows at a time
  const x4 = ops.reshape(x, [n * c, r, r, h * w]);
  const slices = Array.from({ length: r }, (_, j) => ops.reshape(ops.slice(x4, [j], [j + 1], [2]), [n * c, r, h * w]));
  const inner = interleave(ops, slices, 2); // [nc, i, (h w j)]
  const y = ops.transpose(ops.reshape(inner, [n * c, r, h, w * r]), [0, 2, 1, 3]); // [nc, h, i, (w j)]
  return ops.reshape(y, [n, c, h * r, w * r]);
}

/**
 * 3-D depth-to-space: [N, C*rt*rh*rw, T, H, W] -> [N, C, T*rt, H*rh, W*rw]
 * with channel order (c, pt, ph, pw) (einops
 * 'b (c pt ph pw) t h w -> b c (t pt) (h ph) (w pw)'). Done as a temporal
 * step then one 2-D step over (t, h) rows, to keep ranks <= 6.
 */
export function depthToSpace3d(ops: Ops, x: Tensor, factors: number | readonly number[]): Tensor {
  checkChannelsFirst('depthToSpace3d', x, 3, -1);
  const [rt, rh, rw] = ntuple(factors, 3, 'depthToSpace3d factors') as [number, number, number];
  if (rh !== rw) throw new RangeError(`depthToSpace3d: H and W factors must be equal, got [${rt}, ${rh}, ${rw}]`);
  const [n, cAll, t, h, w] = x.shape as [number, number, number, number, number];
  const block = rt * rh * rw;
  if (cAll % block) throw new ShapeError('depthToSpace3d', `[N, C*${block}, T, H, W]`, x.shape);
  const c = cAll / block;
  const rs = rh * rw;
  // time: channels (c, pt, ps) -> (c, ps) with pt moved next to t
  let y = ops.reshape(x, [n, c, rt, rs, t, h * w]);
  y = ops.transpose(y, [0, 1, 3, 4, 2, 5]);
  const t2 = t * rt;
  y = ops.reshape(y, [n, c * rs, t2, h, w]);
  if (rh === 1) return ops.reshape(y, [n, c, t2, h, w]);
  // space: one 2-D pixel shuffle whose rows are (t, h): output row i*rh + ph of frame t is row
  // (t*h + i)*rh + ph of a single image with t2*h rows, so no frames-major round trip is needed
  y = depthToSpace2d(ops, ops.reshape(y, [n, c * rs, t2 * h, w]), rh);
  return ops.reshape(y, [n, c, t2, h * rh, w * rw]);
}

/** Average pooling with kernel = stride = `factor` (torch avg_pool with no padding). */
export function avgPoolDownsample(ops: Ops, x: Tensor, factor: number | readonly number[]): Tensor {
  const spatial = x.shape.length - 2;
  if (spatial < 1 || spatial > 3) throw new ShapeError('avgPoolDownsample', '[N, C, ...1-3 spatial dims]', x.shape);
  const f = ntuple(factor, spatial, 'avgPoolDownsample factor');
  if (f.every((v) => v === 1)) return x;
  f.forEach((v, i) => {
    if (x.shape[i + 2]! % v) throw new ShapeError('avgPoolDownsample', `${layoutName(spatial)} with spatial dims divisible by [${f.join(', ')}]`, x.shape);
  });
  return ops.avgPool(x, { kernel: f, stride: f });
}

/** Folds time into batch: [N, C, T, H, W] -> [N*T, C, H, W] (for per-frame 2-D layers). */
export function framesToBatch(ops: Ops, x: Tensor): Tensor {
  const [n, c, t, h, w] = x.shape as [number, number, number, number, number];
  return ops.reshape(ops.transpose(x, [0, 2, 1, 3, 4]), [n * t, c, h, w]);
}

/** Inverse of framesToBatch: [N*T, C, H, W] -> [N, C, T, H, W]. */
export function batchToFrames(ops: Ops, x: Tensor, n: number): Tensor {
  const [nt, c, h, w] = x.shape as [number, number, number, number];
  return ops.transpose(ops.reshape(x, [n, nt / n, c, h, w]), [0, 2, 1, 3, 4]);
}
