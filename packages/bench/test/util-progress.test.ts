import { PassThrough } from 'node:stream';
import { createProgress, formatScalar } from '../src/util/progress.js';

/** A manual clock: tests move time explicitly, nothing depends on real timing. */
function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1000;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

describe('createProgress (non-TTY)', () => {
  it('logs a line at most once per interval, with steps/s, ETA and values, and a final line on stop', () => {
    const c = clock();
    const lines: string[] = [];
    const p = createProgress({ total: 100, label: 'vqgan', tty: false, log: (l) => lines.push(l), logIntervalMs: 10_000, now: c.now });
    c.advance(2500);
    p.update(10, { loss: 0.5, commit: 0.01234 });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toBe('vqgan step 10/100 (10.0%) | 4.00 steps/s | ETA 22.5s | loss=0.5 commit=0.01234');
    c.advance(1000);
    p.update(20, { loss: 0.4 });
    expect(lines).toHaveLength(1); // within the interval
    c.advance(10_000);
    p.update(40, { loss: 0.3 });
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain('step 40/100 (40.0%)');
    expect(lines[1]).toContain('loss=0.3');
    p.stop();
    p.stop();
    p.update(50, { loss: 0.1 });
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('vqgan step 40/100 (40.0%) | 2.96 steps/s overall | done in 13.5s | loss=0.3');
  });

  it('estimates the rate from recent steps so a slow first step does not skew the ETA', () => {
    const c = clock();
    const lines: string[] = [];
    const p = createProgress({ total: 1000, tty: false, log: (l) => lines.push(l), logIntervalMs: 0, now: c.now });
    c.advance(60_000); // compilation
    p.update(1);
    for (let s = 2; s <= 30; s++) {
      c.advance(100);
      p.update(s);
    }
    // the 20-update window holds only 100 ms steps: 10 steps/s, 970 steps left
    expect(lines[lines.length - 1]).toContain('10.0 steps/s | ETA 1m37s');
    p.stop();
  });

  it('writes lines to the stream when no log callback is given', () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => (text += d.toString()));
    const p = createProgress({ total: 4, tty: false, stream: out, now: clock().now });
    p.update(2);
    p.stop();
    expect(text.split('\n').filter(Boolean)).toHaveLength(2);
    expect(text).toContain('step 2/4 (50.0%)');
  });

  it('rejects a bad total', () => {
    expect(() => createProgress({ total: Number.NaN })).toThrow(/total must be a finite number >= 0/);
  });
});

describe('createProgress (TTY)', () => {
  it('draws a cli-progress bar with steps, rate, ETA and losses', () => {
    const out = Object.assign(new PassThrough(), { isTTY: true, columns: 200 });
    let text = '';
    out.on('data', (d: Buffer) => (text += d.toString()));
    const c = clock();
    const p = createProgress({ total: 10, label: 'lfq', stream: out, now: c.now });
    c.advance(500);
    p.update(5, { loss: 0.25 });
    p.stop();
    expect(text).toContain('lfq [');
    expect(text).toContain('5/10');
    expect(text).toContain('10.0 steps/s');
    expect(text).toContain('ETA 500ms');
    expect(text).toContain('loss=0.25');
  });
});

describe('formatScalar', () => {
  it.each([
    [0, '0'],
    [0.123456, '0.1235'],
    [12345.6, '12350'],
    [1e-5, '1.00e-5'],
    [2.5e7, '2.50e+7'],
    [Number.NaN, 'NaN'],
  ])('%p -> %p', (v, s) => {
    expect(formatScalar(v)).toBe(s);
  });
});
