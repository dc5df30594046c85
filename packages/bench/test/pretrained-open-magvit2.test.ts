/**
 * Open-MAGVIT2 image tokenizer loaded from a checkpoint written by torch.save,
 * against the upstream code's own outputs (scripts/fixtures/open_magvit2.py,
 * TencentARC/SEED-Voken @ b9a17ea, reduced widths, random weights, EMA copies
 * different from the raw weights and used, as upstream evaluates): indices
 * exact, latent and reconstruction within 1e-5 of max |reference| (relErr), on
 * the onnx and the tfjs engine.
 */
import { join } from 'node:path';
import { HostTensor, readTorchCheckpoint, type Tensor } from '@zoo/core';
import { TEST_ENGINES, disposeTestEngines, fromJsonTensor, readJsonFile, relErr, testEngine, type JsonTensor } from '@zoo/core/testing';
import { OpenMagvit2, PretrainedArchitectureError, loadPretrained } from '../src/index.js';

const dir = join(import.meta.dirname, 'fixtures', 'pretrained');
const ckptPath = join(dir, 'open_magvit2.ckpt');
const fx = readJsonFile<{ input: JsonTensor; latent: JsonTensor; indices: JsonTensor; recon: JsonTensor }>(join(dir, 'open_magvit2.json'));

afterAll(disposeTestEngines);

async function outputs(model: OpenMagvit2, name: (typeof TEST_ENGINES)[number]): Promise<Record<'latent' | 'indices' | 'recon', HostTensor>> {
  const engine = await testEngine(name);
  const run = engine.compile<{ x: HostTensor }, { latent: Tensor; indices: Tensor; recon: Tensor }>((ops, { x }) => {
    const latent = model.latent(ops, x);
    const indices = model.quantizeIndices(ops, latent);
    return { latent, indices, recon: model.decodeImages(ops, indices) };
  });
  return run.run({ x: fromJsonTensor(fx.input) });
}

describe('open-magvit2', () => {
  it('reads the architecture off the shapes', async () => {
    const { model } = await loadPretrained({ kind: 'open-magvit2', path: ckptPath });
    expect((model as OpenMagvit2).config).toEqual({ channels: 3, ch: 32, chMult: [1, 1], numResBlocks: 1, zChannels: 6, video: false });
    expect(model.codebookSize).toBe(64);
  });

  test.each(TEST_ENGINES)('%s: upstream indices exactly, latent and reconstruction to 1e-5 relative (EMA weights)', async (name) => {
    const { stateDict } = await readTorchCheckpoint(ckptPath);
    const out = await outputs(OpenMagvit2.fromStateDict(stateDict, ckptPath), name);
    expect(relErr(out.latent.data, fx.latent.data)).toBeLessThanOrEqual(1e-5);
    expect(out.indices.shape).toEqual(fx.indices.shape);
    expect(Array.from(out.indices.data)).toEqual(fx.indices.data);
    expect(out.recon.shape).toEqual(fx.recon.shape);
    expect(relErr(out.recon.data, fx.recon.data)).toBeLessThanOrEqual(1e-5);
  });

  it('the raw (non-EMA) weights give another latent: the EMA copies are what matched', async () => {
    const { stateDict } = await readTorchCheckpoint(ckptPath);
    const out = await outputs(OpenMagvit2.fromStateDict(stateDict, ckptPath, { ema: false }), TEST_ENGINES[0]!);
    expect(relErr(out.latent.data, fx.latent.data)).toBeGreaterThan(1e-2);
  });

  it('lists missing, unexpected and wrong-shape keys', async () => {
    const { stateDict } = await readTorchCheckpoint(ckptPath);
    const bad = dropEma(stateDict);
    delete bad['decoder.adaptive.0.beta.bias'];
    bad['decoder.extra'] = HostTensor.zeros([1]);
    bad['decoder.conv_out.bias'] = HostTensor.zeros([4]);
    let err: PretrainedArchitectureError | undefined;
    try {
      OpenMagvit2.fromStateDict(bad, 'edited.ckpt');
    } catch (e) {
      err = e as PretrainedArchitectureError;
    }
    expect(err).toBeInstanceOf(PretrainedArchitectureError);
    expect([err!.missing, err!.unexpected, err!.wrongShape]).toEqual([['decoder.adaptive.0.beta.bias'], ['decoder.extra'], ['decoder.conv_out.bias expects [3], got [4]']]);
  });
});

function dropEma(sd: Record<string, HostTensor>): Record<string, HostTensor> {
  return Object.fromEntries(Object.entries(sd).filter(([k]) => !k.startsWith('model_ema.')));
}

/**
 * The video tokenizer (scripts/fixtures/open_magvit2_video.py: ch_mult [2, 1],
 * so one causal (2, 2, 2) downsample and the frame-dropping temporal
 * upsample; weights stored as float16, as torch.save writes half tensors):
 * 5 frames -> 3 latent frames -> 5 frames, same bar on both engines.
 */
describe('open-magvit2-video', () => {
  const vfx = readJsonFile<{ input: JsonTensor; latent: JsonTensor; indices: JsonTensor; recon: JsonTensor }>(join(dir, 'open_magvit2_video.json'));
  const vpath = join(dir, 'open_magvit2_video.ckpt');

  it('reads the architecture off the (float16) checkpoint', async () => {
    const { model } = await loadPretrained({ kind: 'open-magvit2-video', path: vpath });
    expect((model as OpenMagvit2).config).toEqual({ channels: 3, ch: 32, chMult: [2, 1], numResBlocks: 1, zChannels: 4, video: true });
    await expect(loadPretrained({ kind: 'open-magvit2', path: vpath })).rejects.toThrow(/missing keys \[encoder\.conv_in\.weight/);
  });

  test.each(TEST_ENGINES)('%s: upstream indices exactly, latent and reconstruction to 1e-5 relative', async (name) => {
    const { stateDict } = await readTorchCheckpoint(vpath);
    const model = OpenMagvit2.fromStateDict(stateDict, vpath, { video: true });
    const engine = await testEngine(name);
    const run = engine.compile<{ x: HostTensor }, { latent: Tensor; indices: Tensor; recon: Tensor; viaCodec: Tensor }>((ops, { x }) => {
      const latent = model.latent(ops, x);
      const indices = model.quantizeIndices(ops, latent);
      return { latent, indices, recon: model.decodeImages(ops, indices), viaCodec: model.decode(ops, model.encode(ops, x)) };
    });
    const out = await run.run({ x: fromJsonTensor(vfx.input) });
    expect(relErr(out.latent.data, vfx.latent.data)).toBeLessThanOrEqual(1e-5);
    expect(out.indices.shape).toEqual([1, 3, 8, 8]);
    expect(Array.from(out.indices.data)).toEqual(vfx.indices.data);
    expect(out.recon.shape).toEqual([1, 3, 5, 16, 16]);
    expect(relErr(out.recon.data, vfx.recon.data)).toBeLessThanOrEqual(1e-5);
    expect(relErr(out.viaCodec.data, vfx.recon.data)).toBeLessThanOrEqual(1e-5);
  });
});
