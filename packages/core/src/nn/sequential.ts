/**
 * Sequential: children keyed "0", "1", ... exactly like torch.nn.Sequential,
 * so a state dict of e.g. `Sequential(Conv2d, SiLU, Conv2d)` has keys
 * "0.weight", "2.weight".
 */
import type { Ops, Tensor } from '../ops.js';
import { Block, type Layer } from './layer.js';
import type { Module } from './module.js';

export class Sequential extends Block {
  readonly layers: readonly (Module & Layer)[];

  constructor(...layers: (Module & Layer)[]) {
    super();
    layers.forEach((m, i) => this.child(String(i), m));
    this.layers = layers;
  }

  forward(ops: Ops, x: Tensor): Tensor {
    let y = x;
    for (const layer of this.layers) y = layer.forward(ops, y);
    return y;
  }
}

/** x + fn(x) (magvit2-pytorch's `Residual`; keys under "fn."). */
export class Residual extends Block {
  constructor(readonly fn: Module & Layer) {
    super();
    this.child('fn', fn);
  }
  forward(ops: Ops, x: Tensor): Tensor {
    return ops.add(x, this.fn.forward(ops, x));
  }
}
