/**
 * Parameter initialization and small argument helpers shared by the nn blocks.
 *
 * PyTorch's default init for Conv*d, ConvTranspose*d and Linear is
 * `kaiming_uniform_(w, a=sqrt(5))` for the weight, which simplifies to
 * U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and U(±1/sqrt(fan_in)) for the bias.
 * We draw those distributions from core's seeded `Rng` (not torch's stream):
 * parity tests load reference weights instead of re-deriving them.
 */
import { HostTensor, sizeOf, type Shape } from '../tensor.js';
import { Rng } from '../util/rng.js';

let globalInitRng = new Rng(0);

/**
 * Reseed the process-wide generator used by blocks constructed without an
 * explicit `rng` (the analogue of `torch.manual_seed` for parameter init).
 */
export function manualSeed(seed: number): void {
  globalInitRng = new Rng(seed);
}

/** The generator a block uses when none is passed: the process-wide one. */
export function initRng(rng?: Rng): Rng {
  return rng ?? globalInitRng;
}

/** U(-bound, bound) of the given shape. */
export function uniformTensor(rng: Rng, shape: Shape, bound: number): HostTensor<'float32'> {
  const data = new Float32Array(sizeOf(shape));
  rng.fillUniform(data, -bound, bound);
  return new HostTensor(shape, data, 'float32');
}

/**
 * PyTorch's fan_in for a weight: `shape[1] * prod(kernel)`. For Linear
 * ([out, in]) that is `in`; for ConvTranspose ([Cin, Cout/groups, ...k]) it is
 * `Cout/groups * prod(k)`, exactly as torch computes it.
 */
export function fanIn(weightShape: Shape): number {
  let n = weightShape[1] ?? 1;
  for (let i = 2; i < weightShape.length; i++) n *= weightShape[i]!;
  return n;
}

/** PyTorch default init (kaiming_uniform a=√5 ⇒ U(±1/√fan_in)) for a weight and its bias. */
export function defaultInit(
  rng: Rng,
  weightShape: Shape,
  biasSize: number,
): { weight: HostTensor<'float32'>; bias: HostTensor<'float32'> } {
  const bound = fanIn(weightShape) > 0 ? 1 / Math.sqrt(fanIn(weightShape)) : 0;
  const weight = uniformTensor(rng, weightShape, bound);
  const bias = uniformTensor(rng, [biasSize], bound);
  return { weight, bias };
}

export function filledTensor(shape: Shape, value: number): HostTensor<'float32'> {
  return new HostTensor(shape, new Float32Array(sizeOf(shape)).fill(value), 'float32');
}

/** Expand an int-or-tuple argument to `n` values (PyTorch's _ntuple). */
export function ntuple(v: number | readonly number[], n: number, what: string): number[] {
  if (typeof v === 'number') return Array.from({ length: n }, () => v);
  if (v.length !== n) throw new RangeError(`${what}: expected ${n} values, got [${v.join(', ')}]`);
  return [...v];
}
