import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../src/index.js';
import { makeTempDir, removeTempDirs } from '../src/testing.js';

describe('writeFileAtomic', () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir('zoo-atomic-');
  });
  afterEach(removeTempDirs);

  it('writes strings and bytes, replacing the old content', async () => {
    const p = join(dir, 'a.txt');
    await writeFileAtomic(p, 'first');
    await writeFileAtomic(p, new Uint8Array([104, 105]));
    expect(await readFile(p, 'utf8')).toBe('hi');
    expect(await readdir(dir)).toEqual(['a.txt']);
  });

  it('keeps the old file and leaves no temp file when the writer throws midway', async () => {
    const p = join(dir, 'leaderboard.json');
    await writeFile(p, 'old complete content');
    const boom = new Error('disk on fire');
    await expect(
      writeFileAtomic(p, async (write) => {
        await write('{"rows": [');
        await write('{"half": ');
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(await readFile(p, 'utf8')).toBe('old complete content');
    expect(await readdir(dir)).toEqual(['leaderboard.json']);
  });

  it('creates no file at all when the first write of a new file fails', async () => {
    const p = join(dir, 'new.bin');
    await expect(
      writeFileAtomic(p, async (write) => {
        await write(new Uint8Array(1000));
        throw new Error('killed');
      }),
    ).rejects.toThrow('killed');
    expect(await readdir(dir)).toEqual([]);
  });

  it('streams chunks in order and creates missing parent directories', async () => {
    const p = join(dir, 'sub', 'deeper', 'out.txt');
    await writeFileAtomic(p, async (write) => {
      for (const c of ['a', 'b', 'c']) await write(c);
    });
    expect(await readFile(p, 'utf8')).toBe('abc');
  });

  it('writes JSON with a trailing newline and refuses non-serialisable values', async () => {
    const p = join(dir, 'x.json');
    await writeJsonAtomic(p, { a: [1, 2] });
    const text = await readFile(p, 'utf8');
    expect(JSON.parse(text)).toEqual({ a: [1, 2] });
    expect(text.endsWith('\n')).toBe(true);
    await expect(writeJsonAtomic(p, undefined)).rejects.toThrow(/not JSON-serialisable/);
    expect(JSON.parse(await readFile(p, 'utf8'))).toEqual({ a: [1, 2] });
  });
});
