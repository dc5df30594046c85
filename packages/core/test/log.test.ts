import { Writable } from 'node:stream';
import { createLogger } from '../src/index.js';

function sink(isTTY: boolean): { stream: Writable & { isTTY?: boolean }; text: () => string } {
  let buf = '';
  const stream = new Writable({
    write(chunk, _enc, cb) {
      buf += String(chunk);
      cb();
    },
  }) as Writable & { isTTY?: boolean };
  stream.isTTY = isTTY;
  return { stream, text: () => buf };
}

describe('logging', () => {
  it('writes JSON lines when the destination is not a terminal', async () => {
    const s = sink(false);
    const log = createLogger({ level: 'info', stream: s.stream });
    log.info({ step: 3 }, 'hello');
    log.debug('hidden');
    await new Promise((r) => setImmediate(r));
    const lines = s.text().trim().split('\n');
    expect(lines).toHaveLength(1);
    const rec = JSON.parse(lines[0]!) as { msg: string; step: number; level: number };
    expect(rec).toMatchObject({ msg: 'hello', step: 3, level: 30 });
  });

  it('is human-readable on a terminal', async () => {
    const s = sink(true);
    const log = createLogger({ level: 'debug', stream: s.stream });
    log.debug({ step: 3 }, 'hello');
    await new Promise((r) => setTimeout(r, 50));
    expect(s.text()).toMatch(/DEBUG/);
    expect(s.text()).toMatch(/hello/);
    expect(() => JSON.parse(s.text())).toThrow();
  });

  it('rejects an unknown level and lists the valid ones', () => {
    expect(() => createLogger({ level: 'loud' as 'info' })).toThrow(/unknown log level 'loud'.*trace, debug, info/);
  });
});
