/**
 * Activations as functions and as parameterless blocks (so they slot into
 * Sequential with the same indices as torch.nn.Sequential).
 */
import type { Ops, Tensor } from '../ops.js';
import { Block } from './layer.js';

/** x * sigmoid(x) (torch.nn.SiLU / swish, used by VQGAN as `nonlinearity`). */
export function silu(ops: Ops, x: Tensor): Tensor {
  return ops.silu(x);
}

/** Exact GELU, 0.5 x (1 + erf(x / √2)) (torch's default approximate='none'). */
export function gelu(ops: Ops, x: Tensor): Tensor {
  return ops.mul(ops.mul(x, 0.5), ops.add(ops.erf(ops.mul(x, Math.SQRT1_2)), 1));
}

export class SiLU extends Block {
  forward(ops: Ops, x: Tensor): Tensor {
    return silu(ops, x);
  }
}

export class ReLU extends Block {
  forward(ops: Ops, x: Tensor): Tensor {
    return ops.relu(x);
  }
}

export class GELU extends Block {
  forward(ops: Ops, x: Tensor): Tensor {
    return gelu(ops, x);
  }
}

/** Default slope 0.01 (torch); discriminators usually pass 0.2. */
export class LeakyReLU extends Block {
  constructor(readonly negativeSlope = 0.01) {
    super();
  }
  forward(ops: Ops, x: Tensor): Tensor {
    return ops.leakyRelu(x, this.negativeSlope);
  }
}

export class Identity extends Block {
  forward(_ops: Ops, x: Tensor): Tensor {
    return x;
  }
}
