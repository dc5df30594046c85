/** A discriminator was configured with a value it does not support. */
export class DiscriminatorConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DiscriminatorConfigError';
  }
}
