/** The trainer's typed failures: divergence, a checkpoint of another run, an abort (SIGINT). */
export class NonFiniteLossError extends Error {
  constructor(
    readonly step: number,
    readonly values: Record<string, number>,
    readonly lastCheckpoint: string | undefined,
    lr: number,
  ) {
    const shown = Object.entries(values).map(([k, v]) => `${k}=${v}`).join(', ');
    super(
      `training diverged at step ${step}: a loss or gradient is not finite (${shown}). Stopped without saving this step; ` +
        (lastCheckpoint ? `the last good checkpoint is ${lastCheckpoint}. ` : 'no checkpoint had been written yet. ') +
        `Try a lower --lr (was ${lr}) or a smaller clipGradNorm.`,
    );
    this.name = 'NonFiniteLossError';
  }
}

export class ResumeMismatchError extends Error {
  constructor(readonly checkpoint: string) {
    super(
      `cannot resume from ${checkpoint}: it was written for a different tokenizer, training or data config. ` +
        'Delete that checkpoints folder (or use another --out) to start over, or rerun with the original options.',
    );
    this.name = 'ResumeMismatchError';
  }
}

export class TrainingAbortedError extends Error {
  constructor(
    readonly step: number,
    /** The newest checkpoint on disk when training stopped (undefined: none written). */
    readonly checkpoint?: string | undefined,
  ) {
    super(`training aborted after step ${step}${checkpoint ? `; checkpoint ${checkpoint}` : ''}`);
    this.name = 'TrainingAbortedError';
  }
}
