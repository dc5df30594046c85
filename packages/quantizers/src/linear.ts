/**
 * torch.nn.Linear for the quantizers' input/output projections: y = x Wᵀ + b,
 * weight [out, in], bias [out], PyTorch's default init (kaiming_uniform with
 * a = √5, i.e. U(±1/√in) for weight and bias) from the host Rng.
 */
import { HostTensor, Module, type Ops, type Rng, type Tensor, type Variable } from '@zoo/core';

export class Linear extends Module {
  readonly weight: Variable;
  readonly bias: Variable;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    rng: Rng,
  ) {
    super();
    const bound = 1 / Math.sqrt(inFeatures);
    this.weight = this.param('weight', new HostTensor([outFeatures, inFeatures], rng.fillUniform(new Float32Array(outFeatures * inFeatures), -bound, bound), 'float32'));
    this.bias = this.param('bias', new HostTensor([outFeatures], rng.fillUniform(new Float32Array(outFeatures), -bound, bound), 'float32'));
  }

  /** x: [M, in] -> [M, out]. */
  forward(ops: Ops, x: Tensor): Tensor {
    return ops.add(ops.matmul(x, ops.variable(this.weight), false, true), ops.variable(this.bias));
  }
}
