/**
 * taming-transformers VQGAN loaded from a checkpoint written by torch.save,
 * against the upstream code's own outputs (scripts/fixtures/taming_vqgan.py,
 * CompVis/taming-transformers @ 3ba01b2, reduced widths, random weights):
 * indices exact and latent / reconstruction within 1e-5 of max |reference|
 * (relErr), on the onnx and the tfjs engine. A checkpoint of another
 * architecture is refused with every missing / unexpected / wrong-shape key.
 */
import { join } from 'node:path';
import { HostTensor, readTorchCheckpoint, type Tensor } from '@zoo/core';
import { TEST_ENGINES, disposeTestEngines, fromJsonTensor, readJsonFile, relErr, testEngine, type JsonTensor } from '@zoo/core/testing';
import { PretrainedArchitectureError, TamingVQGAN } from '../src/index.js';

const dir = join(import.meta.dirname, 'fixtures', 'pretrained');
const ckptPath = join(dir, 'taming_vqgan.ckpt');
const fx = readJsonFile<{ input: JsonTensor; latent: JsonTensor; indices: JsonTensor; recon: JsonTensor }>(join(dir, 'taming_vqgan.json'));

afterAll(disposeTestEngines);

describe('taming-vqgan', () => {
  it('reads the architecture off the checkpoint', async () => {
    const { stateDict } = await readTorchCheckpoint(ckptPath);
    expect(TamingVQGAN.configFrom(stateDict)).toEqual({ inChannels: 3, outChannels: 3, ch: 32, chMult: [1, 1], numResBlocks: 1, zChannels: 16, embedDim: 8, nEmbed: 32 });
  });

  test.each(TEST_ENGINES)('%s: upstream indices exactly, latent and reconstruction to 1e-5 relative', async (name) => {
    const { stateDict } = await readTorchCheckpoint(ckptPath);
    const model = TamingVQGAN.fromStateDict(stateDict, ckptPath);
    const engine = await testEngine(name);
    const run = engine.compile<{ x: HostTensor }, { latent: Tensor; indices: Tensor; recon: Tensor }>((ops, { x }) => {
      const latent = model.latent(ops, x);
      const indices = model.quantizeIndices(ops, latent);
      return { latent, indices, recon: model.decodeImages(ops, indices) };
    });
    const out = await run.run({ x: fromJsonTensor(fx.input) });
    expect(out.indices.shape).toEqual(fx.indices.shape);
    expect(Array.from(out.indices.data)).toEqual(fx.indices.data);
    expect(relErr(out.latent.data, fx.latent.data)).toBeLessThanOrEqual(1e-5);
    expect(out.recon.shape).toEqual(fx.recon.shape);
    expect(relErr(out.recon.data, fx.recon.data)).toBeLessThanOrEqual(1e-5);
  });

  it('codes a clip frame by frame: encode [B, 3, T, H, W] -> [B, T, h, w], decode back', async () => {
    const { stateDict } = await readTorchCheckpoint(ckptPath);
    const model = TamingVQGAN.fromStateDict(stateDict);
    const engine = await testEngine(TEST_ENGINES[0]!);
    // The fixture's two images as the two frames of one clip.
    const img = fromJsonTensor(fx.input);
    const clip = new HostTensor([1, 2, 3, 16, 16], img.data as Float32Array, 'float32');
    const run = engine.compile<{ x: HostTensor }, { indices: Tensor; video: Tensor }>((ops, { x }) => {
      const v = ops.transpose(x, [0, 2, 1, 3, 4]);
      const indices = model.encode(ops, v);
      return { indices, video: ops.transpose(model.decode(ops, indices), [0, 2, 1, 3, 4]) };
    });
    const out = await run.run({ x: clip });
    expect(out.indices.shape).toEqual([1, 2, 8, 8]);
    expect(Array.from(out.indices.data)).toEqual(fx.indices.data);
    expect(relErr(out.video.data, fx.recon.data)).toBeLessThanOrEqual(1e-5);
  });

  it('refuses a checkpoint of another architecture, listing missing, unexpected and wrong-shape keys', async () => {
    const { stateDict } = await readTorchCheckpoint(ckptPath);
    const bad = { ...stateDict };
    delete bad['decoder.norm_out.bias'];
    bad['encoder.extra.weight'] = HostTensor.zeros([2]);
    bad['post_quant_conv.bias'] = HostTensor.zeros([17]);
    const err = (() => {
      try {
        TamingVQGAN.fromStateDict(bad, 'bad.ckpt');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(PretrainedArchitectureError);
    const e = err as PretrainedArchitectureError;
    expect(e.missing).toEqual(['decoder.norm_out.bias']);
    expect(e.unexpected).toEqual(['encoder.extra.weight']);
    expect(e.wrongShape).toEqual(['post_quant_conv.bias expects [16], got [17]']);
    expect(e.message).toMatch(/bad\.ckpt .*missing keys \[decoder\.norm_out\.bias\].*unexpected keys \[encoder\.extra\.weight\].*wrong shapes \[post_quant_conv\.bias/);
  });
});
