/**
 * Gradient fixes for tfjs 4.22, registered once when the first tfjs engine is
 * created. Model code differentiates through integer/boolean side paths
 * (argmin → gather in VQ, where(x > 0, ...) in LFQ); tfjs's tape visits those
 * nodes and fails where PyTorch simply has no gradient:
 * - GatherV2's gradient returns the int32 indices themselves as the indices'
 *   "gradient", which the tape rejects (must be float32) → float zeros.
 * - Comparison and logical kernels have no gradient at all → zeros.
 * - Conv3DBackpropInputV2 (conv3dTranspose) has no gradient → registered.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Kernels whose outputs are bool: no gradient flows to any input. */
const NON_DIFFERENTIABLE = ['Equal', 'NotEqual', 'Greater', 'GreaterEqual', 'Less', 'LessEqual', 'LogicalAnd', 'LogicalOr', 'LogicalNot', 'LogicalXor'];

let patched = false;
export function patchGradients(): void {
  if (patched) return;
  patched = true;
  for (const kernelName of NON_DIFFERENTIABLE) {
    if (tf.getGradient(kernelName)) continue;
    const names = kernelName === 'LogicalNot' ? ['x'] : ['a', 'b'];
    tf.registerGradient({
      kernelName,
      inputsToSave: names,
      gradFunc: (_dy, saved) => Object.fromEntries(saved.map((t, i) => [names[i]!, () => tf.zeros(t.shape, 'float32')])),
    });
  }
  patchGather();
  patchConv3dTranspose();
}

function patchGather(): void {
  const g = tf.getGradient('GatherV2');
  if (!g) return;
  tf.unregisterGradient('GatherV2');
  tf.registerGradient({
    ...g,
    gradFunc: (dy, saved, attrs) => {
      const grads = g.gradFunc(dy, saved, attrs);
      const indices = saved[1]!;
      return { ...grads, indices: () => tf.zeros(indices.shape, 'float32') };
    },
  });
}

function patchConv3dTranspose(): void {
  if (tf.getGradient('Conv3DBackpropInputV2')) return;
  tf.registerGradient({
    kernelName: 'Conv3DBackpropInputV2',
    inputsToSave: ['dy', 'filter'],
    gradFunc: (ddx, saved, attrs) => {
      const [dy, filter] = saved as [tf.Tensor5D, tf.Tensor5D];
      const { strides, pad } = attrs as unknown as { strides: [number, number, number]; pad: 'valid' | 'same' };
      const g = ddx as tf.Tensor5D;
      return {
        // conv3dTranspose is the adjoint of conv3d in its input and bilinear in (dy, filter).
        dy: () => tf.conv3d(g, filter, strides, pad),
        filter: () => tf.engine().runKernel('Conv3DBackpropFilterV2', { x: g, dy }, { strides, pad, filterShape: filter.shape }) as tf.Tensor,
      };
    },
  });
}
