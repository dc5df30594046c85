/**
 * Inflating a trained 2-D (VQGAN) state dict into the inflated 3-D family,
 * as in MAGVIT (v1, Sec. 3.1, following I3D): every 2-D kernel [O, I, kh, kw]
 * becomes [O, I, kt, kh, kw] either
 * - 'central': the 2-D kernel at the temporal centre, zeros elsewhere (a
 *   constant-in-time clip then gives exactly the 2-D per-frame output), or
 * - 'average': the 2-D kernel / kt at every temporal tap (I3D's "boring
 *   video" rule: same response on a static clip away from temporal borders).
 * Tensors whose shapes already agree (biases, norms, per-frame attention)
 * are copied.
 */
import { HostTensor, type Shape } from '@zoo/core';
import { InflationError } from './errors.js';

export type InflationMode = 'central' | 'average';

/** Inflates one 2-D kernel to a 3-D kernel of temporal size `kt`. */
export function inflateKernel(w2d: HostTensor, kt: number, mode: InflationMode): HostTensor<'float32'> {
  if (w2d.shape.length !== 4) throw new InflationError(`inflateKernel: expected a 4-D kernel [O, I, kh, kw], got [${w2d.shape.join(', ')}]`);
  const [o, i, kh, kw] = w2d.shape as [number, number, number, number];
  const plane = kh * kw;
  const out = new Float32Array(o * i * kt * plane);
  const centre = Math.floor(kt / 2);
  for (let oi = 0; oi < o * i; oi++) {
    const src = w2d.data.subarray(oi * plane, (oi + 1) * plane);
    for (let t = 0; t < kt; t++) {
      if (mode === 'central' && t !== centre) continue;
      const dst = (oi * kt + t) * plane;
      for (let p = 0; p < plane; p++) out[dst + p] = mode === 'central' ? src[p]! : src[p]! / kt;
    }
  }
  return new HostTensor([o, i, kt, kh, kw], out, 'float32');
}

/**
 * Maps a 2-D state dict onto the shapes of a 3-D model (`target`: key ->
 * shape). Every target key must be present in `state2d`; extra 2-D keys are
 * an error too, so an architecture mismatch is never silently half-loaded.
 */
export function inflateStateDict(
  state2d: Record<string, HostTensor>,
  target: Record<string, Shape>,
  mode: InflationMode,
): Record<string, HostTensor<'float32'>> {
  const missing = Object.keys(target).filter((k) => !(k in state2d));
  const extra = Object.keys(state2d).filter((k) => !(k in target));
  if (missing.length || extra.length) {
    throw new InflationError(
      `inflateFrom2d: the 2-D and 3-D architectures differ: missing in 2-D [${missing.join(', ')}], not in 3-D [${extra.join(', ')}] ` +
        '(use the same ch, chMult, numResBlocks, zChannels, attention and spatial compression, and temporalCompression <= spatialCompression)',
    );
  }
  const out: Record<string, HostTensor<'float32'>> = {};
  for (const [key, shape] of Object.entries(target)) {
    const src = state2d[key]!;
    if (sameShape(src.shape, shape)) {
      out[key] = new HostTensor(shape, Float32Array.from(src.data), 'float32');
    } else if (src.shape.length === 4 && shape.length === 5 && sameShape(src.shape, [shape[0]!, shape[1]!, shape[3]!, shape[4]!])) {
      out[key] = inflateKernel(src, shape[2]!, mode);
    } else {
      throw new InflationError(`inflateFrom2d: ${key} is [${src.shape.join(', ')}] in 2-D but [${shape.join(', ')}] in 3-D`);
    }
  }
  return out;
}

function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
