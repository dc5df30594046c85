import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CorruptFileError } from '../src/util/errors.js';
import { appendRowAtomic, readJsonRows } from '../src/util/json-rows.js';
import { makeTempDir, removeTempDirs } from '@zoo/core/testing';

interface Row {
  id: number;
}
const parseRow = (v: unknown): Row => {
  if (typeof v !== 'object' || v === null || typeof (v as Row).id !== 'number') throw new Error('id must be a number');
  return v as Row;
};

describe('append-only JSON rows', () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir('zoo-rows-');
  });
  afterEach(removeTempDirs);

  it('treats a missing file as empty and creates it on first append', async () => {
    const p = join(dir, 'rows.json');
    expect(await readJsonRows(p)).toEqual([]);
    expect(await appendRowAtomic(p, { id: 1 }, parseRow)).toEqual([{ id: 1 }]);
    expect(JSON.parse(await readFile(p, 'utf8'))).toEqual([{ id: 1 }]);
  });

  it('keeps old rows, in order, across appends', async () => {
    const p = join(dir, 'rows.json');
    for (let i = 1; i <= 3; i++) await appendRowAtomic(p, { id: i }, parseRow);
    expect(await readJsonRows(p, parseRow)).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }]);
  });

  it('serialises concurrent appends from one process without losing a row', async () => {
    const p = join(dir, 'rows.json');
    await Promise.all([1, 2, 3, 4, 5].map((id) => appendRowAtomic(p, { id })));
    const ids = (await readJsonRows<Row>(p)).map((r) => r.id).sort();
    expect(ids).toEqual([1, 2, 3, 4, 5]);
  });

  it('preserves fields of existing rows that the parser does not know', async () => {
    const p = join(dir, 'rows.json');
    await writeFile(p, JSON.stringify([{ id: 1, addedByNewerVersion: 'x' }]));
    await appendRowAtomic(p, { id: 2 }, (v) => ({ id: parseRow(v).id }));
    expect(JSON.parse(await readFile(p, 'utf8'))).toEqual([{ id: 1, addedByNewerVersion: 'x' }, { id: 2 }]);
  });

  it.each([
    ['truncated JSON', '[{"id": 1}, {"id"', /not valid JSON/],
    ['not an array', '{"id": 1}', /expected a JSON array of rows, got object/],
    ['an invalid row', '[{"id": 1}, {"id": "two"}]', /row 1 is invalid: id must be a number/],
  ])('refuses a corrupt file (%s) with a clear error and keeps it', async (_what, content, message) => {
    const p = join(dir, 'rows.json');
    await writeFile(p, content);
    const err = await appendRowAtomic(p, { id: 9 }, parseRow).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CorruptFileError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).toContain(p);
    expect(await readFile(p, 'utf8')).toBe(content);
    expect(await readdir(dir)).toEqual(['rows.json']);
  });

  it('refuses an invalid new row without touching the file', async () => {
    const p = join(dir, 'rows.json');
    await appendRowAtomic(p, { id: 1 }, parseRow);
    const before = await readFile(p, 'utf8');
    await expect(appendRowAtomic(p, { id: 'x' } as unknown as Row, parseRow)).rejects.toThrow('id must be a number');
    expect(await readFile(p, 'utf8')).toBe(before);
  });
});
