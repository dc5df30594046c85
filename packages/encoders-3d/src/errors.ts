/** Typed errors of @zoo/encoders-3d (shape errors use core's ShapeError). */
export class EncoderConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EncoderConfigError';
  }
}

export class InflationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InflationError';
  }
}
