/**
 * MAGVIT's discriminator downsampling (videogvt model_utils.downsample): a 2x
 * average pool over T, H, W with TensorFlow-style 'SAME' padding, where a
 * window that hangs over an odd edge averages only the cells it covers.
 * Shapes are static, so the per-cell divisor for the odd edge is a host-side
 * constant and both engines see a plain zero pad + AveragePool.
 */
import { HostTensor, type Ops, type Tensor } from '@zoo/core';

/** Output size of one downsampling step (ceil(d / 2)). */
export const halved = (d: number): number => Math.ceil(d / 2);

/** x [N, C, ...spatial] → [N, C, ...ceil(spatial / 2)], averaging valid cells only. */
export function downsample2x(ops: Ops, x: Tensor): Tensor {
  const spatial = x.shape.slice(2);
  const k = spatial.length;
  const odd = spatial.map((d) => d % 2);
  const pooled = ops.avgPool(
    odd.some((o) => o) ? ops.pad(x, [[0, 0], [0, 0], ...odd.map((o) => [0, o] as [number, number])]) : x,
    { kernel: 2, stride: 2 },
  );
  if (!odd.some((o) => o)) return pooled;
  // The zero-padded pool divided by 2^k everywhere; rescale edge cells by 2^k / (valid cells).
  const outShape = spatial.map(halved);
  const size = outShape.reduce((a, b) => a * b, 1);
  const scale = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    let rest = i;
    let valid = 1;
    for (let a = k - 1; a >= 0; a--) {
      const pos = rest % outShape[a]!;
      rest = Math.floor(rest / outShape[a]!);
      valid *= odd[a] && pos === outShape[a]! - 1 ? 1 : 2;
    }
    scale[i] = 2 ** k / valid;
  }
  return ops.mul(pooled, ops.constant(new HostTensor([1, 1, ...outShape], scale, 'float32')));
}
