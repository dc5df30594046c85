/**
 * Gradient fixes for tfjs 4.22, registered once when the first tfjs engine is
 * created. Model code differentiates through integer/boolean side paths
 * (argmin → gather in VQ, where(x > 0, ...) in LFQ); tfjs's tape visits those
 * nodes and fails where PyTorch simply has no gradient:
 * - GatherV2's gradient returns the int32 indices themselves as the indices'
 *   "gradient", which the tape rejects (must be float32) → float zeros.
 * - Comparison and logical kernels have no gradient at all → zeros.
 * - Conv3DBackpropInputV2 (conv3dTranspose) has no gradient → registered.
 * - Gradients that read the op's saved *output* (Exp, Tanh, Sigmoid,
 *   Softmax, Pow) are silently wrong at second order (ops.grad): the saved
 *   copy is recorded on the tape before the op itself, so the tape never
 *   links it to the op's input and the outer gradient misses that term.
 *   They are re-registered to save the inputs and recompute the output.
 * - AvgPoolGrad / AvgPool3DGrad (the average-pool backward) have no gradient,
 *   so ops.grad through avgPool (StyleGAN-style downsampling) failed at
 *   second order; they are linear in dy with avgPool as adjoint → registered.
 *   (MaxPoolGrad stays unsupported: its adjoint needs the argmax positions.)
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
  for (const [kernelName, inputs, savedFor] of RECOMPUTED) recomputeOutput(kernelName, inputs, savedFor);
  patchAvgPoolGrad();
}

/** avgPoolGrad(dy) = Aᵀ dy for the linear average pool A, so its own gradient is A applied to ddx. */
function patchAvgPoolGrad(): void {
  const pools = {
    AvgPoolGrad: (t: tf.Tensor, a: tf.NamedAttrMap): tf.Tensor =>
      tf.avgPool(t as tf.Tensor4D, a['filterSize'] as [number, number], a['strides'] as [number, number], a['pad'] as 'valid'),
    AvgPool3DGrad: (t: tf.Tensor, a: tf.NamedAttrMap): tf.Tensor =>
      tf.avgPool3d(t as tf.Tensor5D, a['filterSize'] as [number, number, number], a['strides'] as [number, number, number], a['pad'] as 'valid'),
  };
  for (const [kernelName, pool] of Object.entries(pools)) {
    if (tf.getGradient(kernelName)) continue;
    tf.registerGradient({
      kernelName,
      inputsToSave: ['input'],
      gradFunc: (ddx, saved, attrs) => ({
        dy: () => pool(ddx as tf.Tensor, attrs),
        input: () => tf.zeros(saved[0]!.shape, 'float32'),
      }),
    });
  }
}

type SavedFor = (inputs: tf.Tensor[], attrs: tf.NamedAttrMap) => tf.Tensor[];

/** Kernel, the inputs to save instead of the output, and the saved list the original gradFunc expects. */
const RECOMPUTED: [string, string[], SavedFor][] = [
  ['Exp', ['x'], ([x]) => [tf.exp(x!)]],
  ['Tanh', ['x'], ([x]) => [tf.tanh(x!)]],
  ['Sigmoid', ['x'], ([x]) => [tf.sigmoid(x!)]],
  ['Softmax', ['logits'], ([l], attrs) => [tf.softmax(l!, attrs['dim'] as number)]],
  ['Pow', ['a', 'b'], ([a, b]) => [a!, b!, tf.pow(a!, b!)]],
];

/** Same gradient formula, fed a recomputed output: taped when the backward is taped, so ops.grad sees it. */
function recomputeOutput(kernelName: string, inputsToSave: string[], savedFor: SavedFor): void {
  const g = tf.getGradient(kernelName);
  if (!g || !g.outputsToSave) return;
  tf.unregisterGradient(kernelName);
  tf.registerGradient({
    kernelName,
    inputsToSave,
    gradFunc: (dy, saved, attrs) => g.gradFunc(dy, savedFor(saved, attrs), attrs),
  });
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
