/**
 * Valid, channels-last convolution with gradients computed by forward
 * convolutions. tfjs's own backward kernels are the bottleneck: on a
 * [1, 64, 32, 32] 3x3 conv, Conv2DBackpropFilter takes ~11-15 s on both the
 * wasm and cpu backends (forward: 17 ms on wasm), and the wasm 3-D backward
 * kernels return wrong values. Both gradients are plain convolutions:
 * - input:  the zero-interleaved, (k-1)-padded dy convolved with the
 *           spatially flipped kernel, input/output channels swapped;
 * - filter: x with batch and channels swapped, convolved with dy as the
 *           kernel, dilated by the forward stride.
 * Transposed convolution is built from the input-gradient form, so it is
 * differentiable through the same path. 3-D convs run as sums of 2-D ones.
 */
import * as tf from '@tensorflow/tfjs-core';

const range = (a: number, b: number): number[] => Array.from({ length: b - a }, (_, i) => a + i);

/** Runs inside customGrad (untaped), so any op may be used, differentiable or not. */
function rawConv(x: tf.Tensor, w: tf.Tensor, stride: number[], dilation?: number[]): tf.Tensor {
  if (x.rank === 4) {
    return tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, stride as [number, number], 'valid', 'NHWC', (dilation ?? [1, 1]) as [number, number]);
  }
  return conv3dAs2d(x, w, stride, dilation ?? [1, 1, 1]);
}

/**
 * A 3-D conv as a sum over kernel depth of 2-D convs on the matching frames.
 * tfjs's Conv3D has no fast path (~0.2 GFLOP/s on wasm and cpu alike) while
 * wasm's Conv2D is XNNPACK-backed; same arithmetic, several times faster.
 */
function conv3dAs2d(x: tf.Tensor, w: tf.Tensor, stride: number[], dilation: number[]): tf.Tensor {
  const [n, d, h, wd, ci] = x.shape as [number, number, number, number, number];
  const [kd, , , , co] = w.shape as [number, number, number, number, number];
  const od = Math.floor((d - dilation[0]! * (kd - 1) - 1) / stride[0]!) + 1;
  const parts: tf.Tensor[] = [];
  for (let j = 0; j < kd; j++) {
    const frames = tf.tensor1d(range(0, od).map((t) => j * dilation[0]! + t * stride[0]!), 'int32');
    const xs = tf.reshape(tf.gather(x, frames, 1), [n * od, h, wd, ci]);
    const wj = tf.reshape(tf.slice(w, [j, 0, 0, 0, 0], [1, -1, -1, -1, -1]), w.shape.slice(1));
    parts.push(tf.conv2d(xs as tf.Tensor4D, wj as tf.Tensor4D, [stride[1]!, stride[2]!], 'valid', 'NHWC', [dilation[1]!, dilation[2]!]));
  }
  const sum = parts.length === 1 ? parts[0]! : tf.addN(parts);
  return tf.reshape(sum, [n, od, sum.shape[1]!, sum.shape[2]!, co]);
}

/** Inserts factor-1 zeros between entries along `axis` (length k → (k-1)*factor+1). */
export function interleaveZeros(t: tf.Tensor, axis: number, factor: number): tf.Tensor {
  if (factor === 1) return t;
  const k = t.shape[axis]!;
  const expanded = tf.expandDims(t, axis + 1);
  const pads = expanded.shape.map((_, i): [number, number] => (i === axis + 1 ? [0, factor - 1] : [0, 0]));
  const merged = tf.reshape(tf.pad(expanded, pads), t.shape.map((d, i) => (i === axis ? d * factor : d)));
  const size = merged.shape.map((d, i) => (i === axis ? (k - 1) * factor + 1 : d));
  return tf.slice(merged, new Array<number>(merged.rank).fill(0), size);
}

/**
 * d(conv(x, w))/dx applied to dy: dy [N, O..., Co], w [k..., Ci, Co] → [N, in..., Ci].
 * Differentiable (it is built from convValid, pad and reshape).
 */
export function convInputGrad(dy: tf.Tensor, w: tf.Tensor, inSpatial: readonly number[], stride: readonly number[]): tf.Tensor {
  const r = dy.rank - 2;
  const k = w.shape.slice(0, r);
  let d = dy;
  for (let i = 0; i < r; i++) d = interleaveZeros(d, 1 + i, stride[i]!);
  // (k-1) zeros each side, plus the rows the forward conv never reached (in - span).
  const pads = range(0, r).map((i): [number, number] => [k[i]! - 1, k[i]! - 1 + inSpatial[i]! - ((dy.shape[1 + i]! - 1) * stride[i]! + k[i]!)]);
  d = tf.pad(d, [[0, 0], ...pads, [0, 0]]);
  const flipped = tf.transpose(tf.reverse(w, range(0, r)), [...range(0, r), r + 1, r]);
  return convValid(d, flipped, new Array<number>(r).fill(1));
}

/** d(conv(x, w))/dw applied to dy: x [N, in..., Ci], dy [N, O..., Co] → [k..., Ci, Co]. */
function convFilterGrad(x: tf.Tensor, dy: tf.Tensor, kernel: readonly number[], stride: number[]): tf.Tensor {
  const r = kernel.length;
  const xt = tf.transpose(x, [r + 1, ...range(1, r + 1), 0]); // [Ci, in..., N]
  const dyt = tf.transpose(dy, [...range(1, r + 1), 0, r + 1]); // [O..., N, Co]
  const full = rawConv(xt, dyt, new Array<number>(r).fill(1), stride); // [Ci, >=k..., Co]
  const cropped = tf.slice(full, new Array<number>(r + 2).fill(0), [-1, ...kernel, -1]);
  return tf.transpose(cropped, [...range(1, r + 1), 0, r + 1]);
}

/** Valid conv, channels-last: x [N, in..., Ci], w [k..., Ci, Co] (2-D or 3-D). */
export function convValid(x: tf.Tensor, w: tf.Tensor, stride: number[]): tf.Tensor {
  const r = x.rank - 2;
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xi, wi, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    save([xi, wi]);
    return {
      value: rawConv(xi, wi, stride),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sw] = saved as [tf.Tensor, tf.Tensor];
        return [convInputGrad(dy, sw, sx.shape.slice(1, r + 1), stride), convFilterGrad(sx, dy, sw.shape.slice(0, r), stride)];
      },
    };
  });
  return f(x, w);
}
