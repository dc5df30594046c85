/**
 * safetensors: parsing a file built byte by byte from the format spec, a
 * bit-exact round trip, the writer's layout, atomic writes and clear errors.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostTensor, SafetensorsError, encodeSafetensors, parseSafetensors, readSafetensors, readSafetensorsWithMetadata, writeSafetensors } from '../src/index.js';

/** A safetensors file from a header object and raw data bytes, per the spec. */
function build(header: Record<string, unknown>, data: number[], pad = true): Uint8Array {
  let json = JSON.stringify(header);
  if (pad) json += ' '.repeat((8 - (json.length % 8)) % 8);
  const h = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}
const le32 = (f: number): number[] => {
  const b = new DataView(new ArrayBuffer(4));
  b.setFloat32(0, f, true);
  return [0, 1, 2, 3].map((i) => b.getUint8(i));
};
const le64 = (v: bigint): number[] => {
  const b = new DataView(new ArrayBuffer(8));
  b.setBigInt64(0, v, true);
  return [...Array(8).keys()].map((i) => b.getUint8(i));
};
const le16 = (v: number): number[] => [v & 0xff, v >> 8];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'zoo-safetensors-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('safetensors reading', () => {
  // Deliberately not in the writer's order, and with an odd-length data section.
  const header = {
    __metadata__: { format: 'pt', note: 'hand-built' },
    b: { dtype: 'I64', shape: [2], data_offsets: [8, 24] },
    a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
    c: { dtype: 'F16', shape: [5], data_offsets: [24, 34] },
    d: { dtype: 'BF16', shape: [1, 2], data_offsets: [34, 38] },
    e: { dtype: 'U8', shape: [2], data_offsets: [38, 40] },
    f: { dtype: 'BOOL', shape: [2], data_offsets: [40, 42] },
    g: { dtype: 'I32', shape: [0, 3], data_offsets: [42, 42] },
    h: { dtype: 'I8', shape: [1], data_offsets: [42, 43] },
  };
  const data = [
    ...le32(1.5), ...le32(-2),
    ...le64(7n), ...le64(-3n),
    ...le16(0x3c00), ...le16(0xc000), ...le16(0x3800), ...le16(0x0001), ...le16(0x7c00),
    ...le16(0x4040), ...le16(0xbf80),
    0, 255,
    1, 0,
    0xfe,
  ];

  it('decodes every dtype of a hand-built file', async () => {
    const { tensors: t, metadata } = await readSafetensorsWithMetadata(build(header, data));
    expect(metadata).toEqual({ format: 'pt', note: 'hand-built' });
    expect(Object.keys(t).sort()).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']);
    expect([t['a']!.dtype, Array.from(t['a']!.data)]).toEqual(['float32', [1.5, -2]]);
    expect([t['b']!.dtype, Array.from(t['b']!.data)]).toEqual(['int32', [7, -3]]);
    expect(Array.from(t['c']!.data)).toEqual([1, -2, 0.5, Math.fround(2 ** -24), Infinity]);
    expect(t['d']!.shape).toEqual([1, 2]);
    expect(Array.from(t['d']!.data)).toEqual([3, -1]);
    expect([t['e']!.dtype, Array.from(t['e']!.data)]).toEqual(['int32', [0, 255]]);
    expect([t['f']!.dtype, Array.from(t['f']!.data)]).toEqual(['bool', [1, 0]]);
    expect(t['g']!.shape).toEqual([0, 3]);
    expect(Array.from(t['h']!.data)).toEqual([-2]);
  });

  it('reads from a path as well as from bytes, and accepts an unpadded header', async () => {
    const p = join(dir, 'hand.safetensors');
    await writeFile(p, build(header, data, false));
    const t = await readSafetensors(p);
    expect(Array.from(t['a']!.data)).toEqual([1.5, -2]);
  });

  it('rejects I64 values outside the int32 range instead of wrapping', () => {
    const bad = build({ x: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, le64(2n ** 31n));
    expect(() => parseSafetensors(bad)).toThrow(/outside the int32 range/);
  });

  it.each<[string, Uint8Array, RegExp]>([
    ['a truncated file', new Uint8Array(5), /too short/],
    ['a header longer than the file', build({ x: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, []).slice(0, 20), /header length/],
    ['an unknown dtype', build({ x: { dtype: 'C64', shape: [1], data_offsets: [0, 8] } }, new Array<number>(8).fill(0)), /unsupported dtype "C64"/],
    ['a size that does not match the shape', build({ x: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Array<number>(8).fill(0)), /needs 12 bytes/],
    [
      'a hole in the data',
      build({ x: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, new Array<number>(8).fill(0)),
      /starts at byte 4, expected 0/,
    ],
    ['trailing bytes', build({ x: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, new Array<number>(6).fill(0)), /cover 4 of 6/],
    ['offsets past the end', build({ x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, new Array<number>(4).fill(0)), /within the 4-byte/],
    ['non-string metadata', build({ __metadata__: { step: 3 } }, []), /__metadata__/],
  ])('rejects %s with a SafetensorsError', (_name, bytes, msg) => {
    expect(() => parseSafetensors(bytes)).toThrow(SafetensorsError);
    expect(() => parseSafetensors(bytes)).toThrow(msg);
  });
});

describe('safetensors writing', () => {
  const special = new Float32Array([0, -0, 1.5, NaN, Infinity, -Infinity, 1e-45, 3.4e38, -7.25]);
  // A NaN with a payload: the bytes must survive, not just "some NaN".
  new Uint32Array(special.buffer)[3] = 0x7fc12345;
  const tensors: Record<string, HostTensor> = {
    'encoder.conv_in.weight': new HostTensor([3, 3], special, 'float32'),
    'quantize.embedding.weight': HostTensor.from([1, 2, 3, 4, 5, 6], [2, 3]),
    'quantize.cluster_size': HostTensor.int([2147483647, -2147483648, 0], [3]),
    mask: new HostTensor([3], Uint8Array.from([1, 0, 1]), 'bool'),
    'a.scalar': HostTensor.from([42], []),
  };

  it('round-trips bit-exactly through a file', async () => {
    const p = join(dir, 'rt.safetensors');
    await writeSafetensors(p, tensors, { format: 'pt' });
    const { tensors: back, metadata } = await readSafetensorsWithMetadata(p);
    expect(metadata).toEqual({ format: 'pt' });
    expect(Object.keys(back).sort()).toEqual(Object.keys(tensors).sort());
    for (const [k, t] of Object.entries(tensors)) {
      const b = back[k]!;
      expect([k, b.dtype, b.shape]).toEqual([k, t.dtype, t.shape]);
      expect(Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength)).toEqual(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    }
  });

  it('lays the file out like the reference writer', () => {
    const bytes = encodeSafetensors(tensors, { format: 'pt' });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + n) % 8).toBe(0);
    const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    expect(text).toBe(text.trimEnd() + ' '.repeat(text.length - text.trimEnd().length));
    const header = JSON.parse(text) as Record<string, { dtype: string; data_offsets: [number, number] }>;
    // __metadata__ first; 4-byte dtypes (sorted by name) before 1-byte ones, packed back to back.
    expect(Object.keys(header)).toEqual(['__metadata__', 'a.scalar', 'encoder.conv_in.weight', 'quantize.cluster_size', 'quantize.embedding.weight', 'mask']);
    const entries = Object.entries(header).slice(1);
    entries.forEach(([, e], i) => expect(e.data_offsets[0]).toBe(i === 0 ? 0 : entries[i - 1]![1].data_offsets[1]));
    expect(entries.at(-1)![1].data_offsets[1]).toBe(bytes.length - 8 - n);
    expect(header['mask']!.dtype).toBe('BOOL');
    expect(header['quantize.cluster_size']!.dtype).toBe('I32');
  });

  it('writes atomically: replaces an existing file and leaves no temporary files', async () => {
    const sub = await mkdtemp(join(dir, 'atomic-'));
    const p = join(sub, 'w.safetensors');
    await writeSafetensors(p, { x: HostTensor.from([1], [1]) });
    await writeSafetensors(p, { y: HostTensor.from([2, 3], [2]) });
    expect(await readdir(sub)).toEqual(['w.safetensors']);
    expect(Object.keys(await readSafetensors(p))).toEqual(['y']);
    // A target whose parent is a regular file cannot be written: the failure leaves nothing behind.
    await expect(writeSafetensors(join(p, 'z.safetensors'), {})).rejects.toThrow();
    expect(await readdir(sub)).toEqual(['w.safetensors']);
    expect((await readFile(p)).length).toBeGreaterThan(8);
  });

  it("refuses a tensor named '__metadata__'", () => {
    expect(() => encodeSafetensors({ __metadata__: HostTensor.from([1], [1]) })).toThrow(SafetensorsError);
  });
});
