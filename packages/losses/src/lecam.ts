/**
 * LeCam regularization (Tseng et al. 2021, google/lecam-gan `lecam_reg`):
 *
 *   R = E[relu(D(real) − ema_fake)²] + E[relu(ema_real − D(fake))²]
 *
 * with ema_real / ema_fake exponential moving averages of the batch-mean
 * logits. The EMA state lives in two buffers (plus an update counter) so it is
 * checkpointed with the model and updated in-graph by `ops.assign`.
 *
 * Conventions, all explicit in `LeCamConfig`:
 * - decay 0.999 and init 0 follow Open-MAGVIT2 (SEED-Voken `LeCAM_EMA`);
 *   lecam-gan's BigGAN `ema_losses` defaults to init 1000, decay 0.9 and a
 *   `start_itr` (here `startStep`) before which the decay is 0, so the EMA
 *   equals the batch mean.
 * - updateOrder 'before-loss' (default): the batch updates the EMA first and
 *   the penalty uses the updated values (the order of both codebases);
 *   'after-loss' uses the EMA from before this batch.
 * - The EMA values are constants in the penalty (no gradient flows into them).
 * The loss weight (MAGVIT: 0.001) is applied by the caller.
 */
import { HostTensor, Module, type Ops, type Tensor, type TensorLike, type Variable } from '@zoo/core';
import { LossConfigError } from './errors.js';

export type LeCamUpdateOrder = 'before-loss' | 'after-loss';

export interface LeCamConfig {
  /** EMA decay. Default 0.999 (Open-MAGVIT2). */
  decay?: number;
  /** Initial EMA value for both real and fake. Default 0 (Open-MAGVIT2; BigGAN uses 1000). */
  init?: number;
  /** Updates before this count use decay 0 (BigGAN's start_itr). Default 0 (Open-MAGVIT2: never). */
  startStep?: number;
  /** Whether the penalty sees the EMA after or before this batch's update. Default 'before-loss'. */
  updateOrder?: LeCamUpdateOrder;
}

/** The penalty itself, for given EMA values (treated as constants). */
export function lecamPenalty(
  ops: Ops,
  logitsReal: Tensor,
  logitsFake: Tensor,
  emaReal: TensorLike,
  emaFake: TensorLike,
): Tensor {
  const er = typeof emaReal === 'number' ? emaReal : ops.stopGradient(emaReal);
  const ef = typeof emaFake === 'number' ? emaFake : ops.stopGradient(emaFake);
  const realTerm = ops.mean(ops.square(ops.relu(ops.sub(logitsReal, ef))));
  const fakeTerm = ops.mean(ops.square(ops.relu(ops.sub(er, logitsFake))));
  return ops.add(realTerm, fakeTerm);
}

export class LeCam extends Module {
  readonly decay: number;
  readonly init: number;
  readonly startStep: number;
  readonly updateOrder: LeCamUpdateOrder;
  readonly emaReal: Variable;
  readonly emaFake: Variable;
  /** How many batches have updated the EMA (drives `startStep`). */
  readonly numUpdates: Variable;

  constructor(config: LeCamConfig = {}) {
    super();
    this.decay = config.decay ?? 0.999;
    this.init = config.init ?? 0;
    this.startStep = config.startStep ?? 0;
    this.updateOrder = config.updateOrder ?? 'before-loss';
    if (!(this.decay >= 0 && this.decay <= 1)) {
      throw new LossConfigError(`LeCam: decay must be in [0, 1], got ${this.decay}`);
    }
    if (this.updateOrder !== 'before-loss' && this.updateOrder !== 'after-loss') {
      throw new LossConfigError(`LeCam: updateOrder must be 'before-loss' or 'after-loss', got '${String(this.updateOrder)}'`);
    }
    this.emaReal = this.buffer('ema_real', HostTensor.from([this.init], []));
    this.emaFake = this.buffer('ema_fake', HostTensor.from([this.init], []));
    this.numUpdates = this.buffer('num_updates', HostTensor.from([0], []));
  }

  /**
   * Updates the EMA with this batch (scheduled through `ops.assign`) and
   * returns the unweighted penalty.
   */
  forward(ops: Ops, logitsReal: Tensor, logitsFake: Tensor): Tensor {
    const oldReal = ops.variable(this.emaReal);
    const oldFake = ops.variable(this.emaFake);
    const count = ops.variable(this.numUpdates);
    const decay: TensorLike =
      this.startStep > 0 ? ops.where(ops.less(count, this.startStep), 0, this.decay) : this.decay;
    const keep: TensorLike = typeof decay === 'number' ? 1 - decay : ops.sub(1, decay);
    const blend = (old: Tensor, batch: Tensor): Tensor =>
      ops.add(ops.mul(old, decay), ops.mul(ops.stopGradient(ops.mean(batch)), keep));
    const newReal = blend(oldReal, logitsReal);
    const newFake = blend(oldFake, logitsFake);
    ops.assign(this.emaReal, newReal);
    ops.assign(this.emaFake, newFake);
    ops.assign(this.numUpdates, ops.add(count, 1));
    return this.updateOrder === 'before-loss'
      ? lecamPenalty(ops, logitsReal, logitsFake, newReal, newFake)
      : lecamPenalty(ops, logitsReal, logitsFake, oldReal, oldFake);
  }
}
