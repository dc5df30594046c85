/** Builders for leaderboard rows used by the report-* and util-* tests. */
import type { LeaderboardRow } from '../src/report/leaderboard-row.js';

let counter = 0;

export function makeRow(overrides: Partial<LeaderboardRow> & { tokenizer: string }): LeaderboardRow {
  counter += 1;
  return {
    schemaVersion: 1,
    runId: `run-${counter}-${overrides.tokenizer}`,
    createdAt: new Date(Date.UTC(2026, 10, 22, 1, 0, counter)).toISOString(),
    quantizer: 'vq',
    codebookSize: 1024,
    tokensPerClip: 256,
    compressionRatio: 48,
    bitsPerPixel: 0.5,
    dataset: 'synthetic',
    metrics: { psnr: 20, ssim: 0.6, lpips: null },
    steps: 100,
    wallTimeSec: 12.5,
    throughput: { trainStepsPerSec: 8 },
    engine: 'onnx',
    device: 'cpu',
    gitRevision: 'abc1234',
    config: { encoder: 'conv2d', lr: 1e-4 },
    ...overrides,
  };
}
