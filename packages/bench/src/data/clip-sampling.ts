/**
 * Which frames of a video form a clip. Shared by every video dataset so
 * "centered for evaluation, random for training" means the same everywhere.
 */
import { Rng } from '@zoo/core';
import type { Sampling } from './dataset.js';

export interface ClipSpec {
  /** Frames per clip. */
  frames: number;
  /** Step between consecutive clip frames, in source frames. */
  stride: number;
}

export interface ClipIndices {
  indices: number[];
  /** The video was shorter than the clip span; its last frame was repeated. */
  short: boolean;
}

/** Source frames a clip covers: (frames - 1) * stride + 1. */
export function clipSpan(spec: ClipSpec): number {
  return (spec.frames - 1) * spec.stride + 1;
}

/**
 * Frame indices of one clip from a video of `numFrames` frames. Eval takes the
 * centered window (floor((n - span) / 2)), the usual evaluation protocol of
 * video tokenizer papers; train draws the start uniformly from `rng`. A video
 * shorter than the span starts at 0 and repeats its last frame.
 */
export function clipIndices(numFrames: number, spec: ClipSpec, sampling: Sampling, rng?: Rng): ClipIndices {
  const span = clipSpan(spec);
  let start = 0;
  const short = numFrames < span;
  if (!short) {
    const slack = numFrames - span;
    start = sampling === 'eval' || !rng ? Math.floor(slack / 2) : rng.int(slack + 1);
  }
  const indices: number[] = [];
  for (let t = 0; t < spec.frames; t++) indices.push(Math.min(start + t * spec.stride, numFrames - 1));
  return { indices, short };
}

/** Copies the selected frames out of a [n, H, W, C] uint8 buffer into a new [T, H, W, C] buffer. */
export function gatherFrames(data: Uint8Array, frameBytes: number, indices: readonly number[]): Uint8Array {
  const out = new Uint8Array(indices.length * frameBytes);
  indices.forEach((f, t) => out.set(data.subarray(f * frameBytes, (f + 1) * frameBytes), t * frameBytes));
  return out;
}

/** The order entries are visited in an epoch: as listed for eval, a seeded shuffle for train. */
export function epochOrder(count: number, sampling: Sampling, seed: number, epoch: number): number[] {
  const order = Array.from({ length: count }, (_, i) => i);
  if (sampling === 'train') new Rng((seed * 1_000_003 + epoch) >>> 0).shuffle(order);
  return order;
}
