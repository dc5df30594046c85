/**
 * VideoGPT VQ-VAE loaded from a checkpoint written by torch.save, against the
 * upstream code's own outputs (scripts/fixtures/videogpt_vqvae.py,
 * wilson1yan/VideoGPT @ 733d2b1, reduced widths, random weights and BatchNorm
 * statistics, downsample [2, 4, 4] so both stride patterns occur): indices
 * exact, latent and reconstruction within 1e-5 of max |reference| (relErr),
 * on the onnx and the tfjs engine.
 */
import { join } from 'node:path';
import { HostTensor, readTorchCheckpoint, type Tensor } from '@zoo/core';
import { TEST_ENGINES, disposeTestEngines, fromJsonTensor, readJsonFile, relErr, testEngine, type JsonTensor } from '@zoo/core/testing';
import { PretrainedArchitectureError, PretrainedError, VideoGptVQVAE, loadPretrained } from '../src/index.js';

const dir = join(import.meta.dirname, 'fixtures', 'pretrained');
const ckptPath = join(dir, 'videogpt_vqvae.ckpt');
const fx = readJsonFile<{ input: JsonTensor; latent: JsonTensor; indices: JsonTensor; recon: JsonTensor }>(join(dir, 'videogpt_vqvae.json'));

afterAll(disposeTestEngines);

function catchErr(f: () => unknown): PretrainedArchitectureError | undefined {
  try {
    f();
  } catch (e) {
    return e as PretrainedArchitectureError;
  }
  return undefined;
}

describe('videogpt-vqvae', () => {
  it('reads widths off the shapes and downsample from hyper_parameters.args', async () => {
    const { model } = await loadPretrained({ kind: 'videogpt-vqvae', path: ckptPath });
    expect((model as VideoGptVQVAE).config).toEqual({ hiddens: 16, resLayers: 1, downsample: [2, 4, 4], embeddingDim: 8, nCodes: 16 });
  });

  test.each(TEST_ENGINES)('%s: upstream indices exactly, latent and reconstruction to 1e-5 relative', async (name) => {
    const { stateDict, object } = await readTorchCheckpoint(ckptPath);
    const model = VideoGptVQVAE.fromStateDict(stateDict, ckptPath, { checkpoint: object });
    const engine = await testEngine(name);
    const run = engine.compile<{ x: HostTensor }, { latent: Tensor; indices: Tensor; recon: Tensor }>((ops, { x }) => {
      const latent = model.latent(ops, x);
      const indices = model.quantizeIndices(ops, latent);
      return { latent, indices, recon: model.decode(ops, indices) };
    });
    const out = await run.run({ x: fromJsonTensor(fx.input) });
    expect(out.indices.shape).toEqual(fx.indices.shape);
    expect(relErr(out.latent.data, fx.latent.data)).toBeLessThanOrEqual(1e-5);
    expect(Array.from(out.indices.data)).toEqual(fx.indices.data);
    expect(out.recon.shape).toEqual(fx.recon.shape);
    expect(relErr(out.recon.data, fx.recon.data)).toBeLessThanOrEqual(1e-5);
  });

  it("round-trips the checkpoint's state dict strictly, BatchNorm num_batches_tracked included", async () => {
    const { stateDict, object } = await readTorchCheckpoint(ckptPath);
    const counters = Object.keys(stateDict).filter((k) => k.endsWith('.num_batches_tracked'));
    expect(counters).toContain('encoder.res_stack.0.block.0.num_batches_tracked');
    // Upstream saved 0 everywhere; a distinct value shows the counter is loaded, not re-initialized.
    const edited = { ...stateDict, 'encoder.res_stack.0.block.0.num_batches_tracked': HostTensor.from([7], []) };
    const sd = VideoGptVQVAE.fromStateDict(edited, ckptPath, { checkpoint: object }).stateDict();
    expect(Object.keys(sd).sort()).toEqual(Object.keys(stateDict).sort());
    for (const [k, t] of Object.entries(edited)) {
      expect(sd[k]!.shape).toEqual(t.shape);
      expect(Array.from(sd[k]!.data)).toEqual(Array.from(t.data));
    }
    // Strict like torch.load_state_dict(strict=True): a state dict without the counter is refused, naming it.
    const without = { ...stateDict };
    delete without['decoder.res_stack.1.num_batches_tracked'];
    const err = catchErr(() => VideoGptVQVAE.fromStateDict(without, 'edited.ckpt', { downsample: [2, 4, 4] }));
    expect(err).toBeInstanceOf(PretrainedArchitectureError);
    expect(err!.missing).toEqual(['decoder.res_stack.1.num_batches_tracked']);
  });

  it('needs the strides when the checkpoint does not record them, and lists keys of another architecture', async () => {
    const { stateDict } = await readTorchCheckpoint(ckptPath);
    expect(() => VideoGptVQVAE.fromStateDict(stateDict, 'x.ckpt')).toThrow(PretrainedError);
    expect(() => VideoGptVQVAE.fromStateDict(stateDict, 'x.ckpt')).toThrow(/no hyper_parameters\.args\.downsample/);
    // A taming checkpoint given as VideoGPT: refused before anything is built, naming what is missing.
    const taming = (await readTorchCheckpoint(join(dir, 'taming_vqgan.ckpt'))).stateDict;
    const err = catchErr(() => VideoGptVQVAE.fromStateDict(taming, 'taming.ckpt', { downsample: [4, 4, 4] }));
    expect(err).toBeInstanceOf(PretrainedArchitectureError);
    expect(err!.missing).toEqual(['pre_vq_conv.conv.weight', 'codebook.embeddings']);
    expect(err!.unexpected).toContain('quantize.embedding.weight');
    // Its own checkpoint edited: a dropped, an added and a reshaped key are all listed.
    const bad = { ...stateDict };
    delete bad['decoder.convts.0.convt.bias'];
    bad['encoder.res_stack.0.block.8.attn_x.fc.weight'] = HostTensor.zeros([16, 16]);
    bad['encoder.conv_last.conv.bias'] = HostTensor.zeros([15]);
    const e2 = catchErr(() => VideoGptVQVAE.fromStateDict(bad, 'edited.ckpt', { downsample: [2, 4, 4] }));
    expect(e2).toBeInstanceOf(PretrainedArchitectureError);
    expect([e2!.missing, e2!.unexpected, e2!.wrongShape]).toEqual([
      ['decoder.convts.0.convt.bias'],
      ['encoder.res_stack.0.block.8.attn_x.fc.weight'],
      ['encoder.conv_last.conv.bias expects [16], got [15]'],
    ]);
  });
});
