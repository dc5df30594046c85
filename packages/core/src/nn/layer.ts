/**
 * The common shape of a single-input block: `block.forward(ops, x)`.
 * Sequential containers and encoders compose anything that has it.
 */
import type { Ops, Tensor } from '../ops.js';
import { Module } from './module.js';

export interface Layer {
  forward(ops: Ops, x: Tensor): Tensor;
}

/** A Module with a single-input forward. */
export abstract class Block extends Module implements Layer {
  abstract forward(ops: Ops, x: Tensor): Tensor;
}
