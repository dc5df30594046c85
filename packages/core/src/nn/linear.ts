/** torch.nn.Linear: `weight` [out, in], `bias` [out], x [..., in] -> [..., out]. */
import type { Ops, Tensor } from '../ops.js';
import type { Rng } from '../util/rng.js';
import { checkLastDim } from './checks.js';
import { defaultInit, initRng } from './init.js';
import { Block } from './layer.js';
import type { Variable } from './variable.js';

export interface LinearOptions {
  /** Default true. */
  bias?: boolean;
  rng?: Rng;
}

export class Linear extends Block {
  readonly weight: Variable;
  readonly bias: Variable | undefined;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    opts: LinearOptions = {},
  ) {
    super();
    const { weight, bias } = defaultInit(initRng(opts.rng), [outFeatures, inFeatures], outFeatures);
    this.weight = this.param('weight', weight);
    this.bias = opts.bias === false ? undefined : this.param('bias', bias);
  }

  forward(ops: Ops, x: Tensor): Tensor {
    checkLastDim(`Linear(${this.inFeatures}->${this.outFeatures})`, x, this.inFeatures);
    // Flatten leading dims to one matrix so every engine sees a plain 2-D matmul.
    const lead = x.shape.slice(0, -1);
    const rows = lead.reduce((a, b) => a * b, 1);
    const flat = ops.reshape(x, [rows, this.inFeatures]);
    let y = ops.matmul(flat, ops.variable(this.weight), false, true);
    if (this.bias) y = ops.add(y, ops.variable(this.bias));
    return ops.reshape(y, [...lead, this.outFeatures]);
  }
}
