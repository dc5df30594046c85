import { timeRepeats, timingStats } from '../src/util/timing.js';

describe('timing statistics', () => {
  it('median of an odd and an even count, best, n and the samples in run order', () => {
    expect(timingStats([5, 1, 3])).toEqual({ n: 3, medianMs: 3, bestMs: 1, samplesMs: [5, 1, 3] });
    expect(timingStats([4, 1, 3, 10])).toMatchObject({ n: 4, medianMs: 3.5, bestMs: 1 });
    expect(() => timingStats([])).toThrow(/no samples/);
  });

  it('runs the warm-ups untimed, then the repeats, and stops early once the budget is spent', async () => {
    let calls = 0;
    const s = await timeRepeats(() => void calls++, { warmup: 2, repeats: 4 });
    expect(calls).toBe(6);
    expect(s.n).toBe(4);
    let slow = 0;
    const b = await timeRepeats(() => new Promise((r) => setTimeout(r, 20)).then(() => void slow++), { warmup: 0, repeats: 10, budgetMs: 30 });
    expect(b.n).toBe(2);
    expect(slow).toBe(2);
    expect(b.medianMs).toBeGreaterThanOrEqual(15);
    await expect(timeRepeats(() => 0, { repeats: 0 })).rejects.toThrow(/repeats must be a positive integer/);
  });
});
