/**
 * Full training batches from a dataset, epoch after epoch, with a position
 * (epoch, batch within the epoch) that a checkpoint records and a resume
 * restores by skipping that many batches of the same epoch (the dataset's
 * train order is a pure function of its seed and the epoch).
 */
import type { HostTensor } from '@zoo/core';
import { DatasetError, type Dataset } from '../data/dataset.js';

export interface PositionedBatch {
  batch: HostTensor<'float32'>;
  epoch: number;
  /** Index of this batch within its epoch. */
  batchInEpoch: number;
}

export class BatchStream {
  private it: AsyncIterator<HostTensor<'float32'>> | undefined;
  private index = 0;

  constructor(
    private readonly data: Dataset,
    private readonly batchSize: number,
    private epoch: number,
    /** Batches of `epoch` already consumed (resume). */
    private pendingSkip: number,
  ) {
    if (data.length < batchSize) {
      throw new DatasetError(`dataset '${data.name}' has ${data.length} clips, fewer than one batch of ${batchSize}; lower --batch`);
    }
  }

  async next(): Promise<PositionedBatch> {
    for (let fresh = 0; fresh < 2; ) {
      if (!this.it) {
        this.it = this.data.batches(this.batchSize, { epoch: this.epoch })[Symbol.asyncIterator]();
        this.index = 0;
        for (; this.pendingSkip > 0; this.pendingSkip--) {
          if ((await this.it.next()).done) break;
          this.index++;
        }
      }
      const r = await this.it.next();
      if (!r.done && r.value.shape[0] === this.batchSize) {
        return { batch: r.value, epoch: this.epoch, batchInEpoch: this.index++ };
      }
      // End of the epoch (or its short last batch, skipped so every step sees the same shapes).
      this.it = undefined;
      this.epoch++;
      fresh++;
    }
    throw new DatasetError(`dataset '${this.data.name}' yields no full batch of ${this.batchSize} clips`);
  }
}
