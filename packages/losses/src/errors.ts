/** Typed errors raised by @zoo/losses. */

/** A loss or regularizer was configured with a value outside what it supports. */
export class LossConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LossConfigError';
  }
}

/** Pretrained perceptual-network weights are missing, unreadable or do not match the network. */
export class LpipsWeightsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LpipsWeightsError';
  }
}
