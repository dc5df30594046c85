/** Weight initializations the reference discriminators use, drawn from core's seeded Rng. */
import { HostTensor, sizeOf, type Rng, type Variable } from '@zoo/core';

/** In place: N(mean, std) (taming's weights_init: conv N(0, 0.02), norm weight N(1, 0.02)). */
export function initNormal(v: Variable, rng: Rng, mean: number, std: number): void {
  v.value = new HostTensor(v.shape, rng.fillNormal(new Float32Array(sizeOf(v.shape)), mean, std), 'float32');
}

/** In place: constant value (bias 0). */
export function initConstant(v: Variable, value: number): void {
  v.value = new HostTensor(v.shape, new Float32Array(sizeOf(v.shape)).fill(value), 'float32');
}

/**
 * In place: Glorot/Xavier uniform, U(±√(6 / (fan_in + fan_out))) — flax's
 * xavier_uniform, MAGVIT's default_kernel_init. For a PyTorch-layout weight
 * [out, in, ...k]: fan_in = in·∏k, fan_out = out·∏k.
 */
export function initXavierUniform(v: Variable, rng: Rng): void {
  const [out = 1, inp = 1, ...k] = v.shape;
  const receptive = k.reduce((a, b) => a * b, 1);
  const bound = Math.sqrt(6 / ((inp + out) * receptive));
  v.value = new HostTensor(v.shape, rng.fillUniform(new Float32Array(sizeOf(v.shape)), -bound, bound), 'float32');
}
