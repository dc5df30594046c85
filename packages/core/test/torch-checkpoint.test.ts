/**
 * PyTorch checkpoints: files written by torch.save 1.13 (scripts/fixtures/torch_io.py)
 * read value-exactly (float32 bit-exact; f16/bf16/f64 after the cast to float32,
 * compared with torch's own cast at 0 tolerance), a Lightning checkpoint's
 * state_dict found inside, and typed errors for a truncated file, a pickle that
 * calls os.system, and things that are not checkpoints.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PickleError, PickleGlobalError, TorchCheckpointError, readTorchCheckpoint, unpickle } from '../src/index.js';

const dir = join(import.meta.dirname, 'fixtures', 'torch');
type Expected = Record<string, { shape: number[]; values: unknown }>;
const expected = (name: string): Expected => JSON.parse(readFileSync(join(dir, name), 'utf8')) as Expected;
const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v as number]);

describe('readTorchCheckpoint', () => {
  it('reads every dtype, strided views and shared storages of a torch.save state dict exactly', async () => {
    const { stateDict, sha256 } = await readTorchCheckpoint(join(dir, 'state_dict.pt'));
    const want = expected('expected.json');
    expect(Object.keys(stateDict)).toEqual(Object.keys(want));
    for (const [k, { shape, values }] of Object.entries(want)) {
      const t = stateDict[k]!;
      expect([k, t.shape]).toEqual([k, shape]);
      // torch's float() cast and ours agree exactly: tolerance 0 (Math.fround of the JSON double).
      expect([k, Array.from(t.data)]).toEqual([k, flat(values).map((x) => (t.dtype === 'float32' ? Math.fround(x) : x))]);
    }
    expect(stateDict['steps']!.dtype).toBe('int32');
    expect(stateDict['mask']!.dtype).toBe('bool');
    expect(sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("takes a Lightning checkpoint's state_dict (class-keyed callbacks, optimizer state beside it)", async () => {
    const { stateDict } = await readTorchCheckpoint(join(dir, 'lightning.ckpt'));
    const want = expected('lightning_expected.json');
    expect(Object.keys(stateDict)).toEqual(Object.keys(want));
    for (const [k, { values }] of Object.entries(want)) expect(Array.from(stateDict[k]!.data)).toEqual(flat(values).map(Math.fround));
  });

  it('reads the legacy (pre-1.6, non-zip) format to the same values', async () => {
    const zip = await readTorchCheckpoint(join(dir, 'state_dict.pt'));
    const legacy = await readTorchCheckpoint(join(dir, 'state_dict_legacy.pt'));
    expect(Object.keys(legacy.stateDict)).toEqual(Object.keys(zip.stateDict));
    for (const [k, t] of Object.entries(zip.stateDict)) expect([k, legacy.stateDict[k]!.shape, Array.from(legacy.stateDict[k]!.data)]).toEqual([k, t.shape, Array.from(t.data)]);
    // A Lightning checkpoint: optimizer storages outside the state dict are skipped by their size.
    const lk = await readTorchCheckpoint(join(dir, 'lightning_legacy.ckpt'));
    const want = expected('lightning_expected.json');
    for (const [k, { values }] of Object.entries(want)) expect(Array.from(lk.stateDict[k]!.data)).toEqual(flat(values).map(Math.fround));
    const bytes = readFileSync(join(dir, 'state_dict_legacy.pt'));
    for (const keep of [20, Math.floor(bytes.length / 2), bytes.length - 1]) {
      await expect(readTorchCheckpoint(bytes.subarray(0, keep))).rejects.toThrow(TorchCheckpointError);
    }
  });

  it('refuses a pickle that calls os.system, naming the global', async () => {
    const err = await readTorchCheckpoint(join(dir, 'evil.pt')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TorchCheckpointError);
    expect((err as TorchCheckpointError).refusedGlobal).toMatch(/^(posix|os)\.system$/);
    expect((err as Error).message).toMatch(/refusing global (posix|os)\.system/);
    expect((err as Error).cause).toBeInstanceOf(PickleGlobalError);
  });

  it('reports a truncated file (any cut) as a TorchCheckpointError', async () => {
    const bytes = readFileSync(join(dir, 'state_dict.pt'));
    for (const keep of [0, 10, 100, Math.floor(bytes.length / 2), bytes.length - 30, bytes.length - 1]) {
      const err = await readTorchCheckpoint(bytes.subarray(0, keep)).catch((e: unknown) => e);
      expect([keep, err]).toEqual([keep, expect.any(TorchCheckpointError)]);
    }
  });

  it('says what a non-checkpoint is', async () => {
    await expect(readTorchCheckpoint(new TextEncoder().encode('not a checkpoint at all, just text'))).rejects.toThrow(/end-of-central-directory/);
    await expect(readTorchCheckpoint(join(dir, 'no-such.pt'))).rejects.toThrow(TorchCheckpointError);
  });
});

describe('unpickle', () => {
  // Protocol-0 GLOBAL of builtins.eval, REDUCE: classic pickle exploit shape.
  const evalPickle = new TextEncoder().encode("cbuiltins\neval\n(S'1+1'\ntR.");
  it('refuses any global the caller does not allow, before anything is called', () => {
    expect(() => unpickle(evalPickle, { findGlobal: () => undefined })).toThrow(PickleGlobalError);
    expect(() => unpickle(evalPickle, { findGlobal: () => undefined })).toThrow(/refusing global builtins\.eval/);
  });
  it('reports truncation and unknown opcodes as PickleError', () => {
    expect(() => unpickle(evalPickle.subarray(0, 12), { findGlobal: () => undefined })).toThrow(PickleError);
    expect(() => unpickle(new Uint8Array([0x80, 0x02, 0xff]), { findGlobal: () => undefined })).toThrow(/opcode 0xff/);
  });
});
