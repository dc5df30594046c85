/**
 * `zoo tokenizers --tokenizers pretrained:taming-vqgan:<ckpt>` evaluates the
 * loaded checkpoint with no training and writes a leaderboard row recording
 * the checkpoint's sha256; `zoo export --pretrained` writes ONNX graphs that
 * give the same tokens as the engine; bad kinds and paths are typed errors.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { fromJsonTensor, readJsonFile, type JsonTensor } from '@zoo/core/testing';
import { cliSuite, runZoo } from './cli-support.js';
import type { LeaderboardRow } from '../src/report/leaderboard-row.js';
import { PretrainedError, parsePretrainedArg } from '../src/index.js';

const ckpt = join(import.meta.dirname, 'fixtures', 'pretrained', 'taming_vqgan.ckpt');
const sha = createHash('sha256').update(readFileSync(ckpt)).digest('hex');

describe('pretrained tokenizers in the bench', () => {
  const suite = cliSuite('zoo-pretrained-');

  it('writes an untrained leaderboard row with the checkpoint sha256', async () => {
    const out = join(suite.dir, 'lb');
    const r = await runZoo('tokenizers', '--frames', '2', '--resolution', '16', '--batch', '2', '--eval-clips', '2', '--log-level', 'silent',
      '--tokenizers', `pretrained:taming-vqgan:${ckpt}`, '--out', out);
    expect(r.err).not.toMatch(/^error/m);
    expect(r.code).toBe(0);
    const rows = JSON.parse(readFileSync(join(out, 'leaderboard.json'), 'utf8')) as LeaderboardRow[];
    const row = rows.find((x) => !x.baseline)!;
    expect(row.tokenizer).toBe('taming-vqgan:taming_vqgan.ckpt');
    expect(row.quantizer).toBe('pretrained:taming-vqgan');
    expect(row.steps).toBe(0);
    expect(row.codebookSize).toBe(32);
    expect(row.tokensPerClip).toBe(2 * 8 * 8);
    expect(row.config['pretrained']).toEqual({ kind: 'taming-vqgan', path: ckpt, sha256: sha });
    expect(Number.isFinite(row.metrics['psnr'])).toBe(true);
    expect(readFileSync(join(out, 'leaderboard.md'), 'utf8')).toContain('taming-vqgan:taming\\_vqgan.ckpt'); // Markdown-escaped
  }, 300_000);

  it('exports ONNX graphs that reproduce the upstream indices', async () => {
    const out = join(suite.dir, 'onnx');
    const r = await runZoo('export', '--pretrained', `taming-vqgan:${ckpt}`, '--frames', '2', '--resolution', '16', '--out', out);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const fx = readJsonFile<{ input: JsonTensor; indices: JsonTensor }>(join(import.meta.dirname, 'fixtures', 'pretrained', 'taming_vqgan.json'));
    const img = fromJsonTensor(fx.input); // [2, 3, 16, 16]: the two frames of one clip
    const clip = new Float32Array(img.size);
    for (let c = 0; c < 3; c++) for (let t = 0; t < 2; t++) clip.set(img.data.subarray((t * 3 + c) * 256, (t * 3 + c + 1) * 256), (c * 2 + t) * 256);
    const session = await ort.InferenceSession.create(join(out, 'encode.onnx'));
    const F32 = new ort.Tensor('float32', [0]).data.constructor as Float32ArrayConstructor;
    const y = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', F32.from(clip), [1, 3, 2, 16, 16]) });
    const idx = y[session.outputNames[0]!]!;
    expect(idx.dims).toEqual([1, 2, 8, 8]);
    expect(Array.from(idx.data as Int32Array, Number)).toEqual(fx.indices.data);
    await session.release();
    const info = JSON.parse(readFileSync(join(out, 'tokenizer.json'), 'utf8')) as Record<string, unknown>;
    expect(info).toMatchObject({ codebookSize: 32, levels: 1, batch: 1, frames: 2, resolution: 16 });
  }, 300_000);

  it('names the valid kinds for an unknown one, and refuses a missing file', async () => {
    expect(() => parsePretrainedArg('pretrained:vqgan-xl:x.ckpt')).toThrow(PretrainedError);
    expect(() => parsePretrainedArg('pretrained:vqgan-xl:x.ckpt')).toThrow(/unknown pretrained kind 'vqgan-xl'; valid kinds: taming-vqgan/);
    expect(() => parsePretrainedArg('pretrained:taming-vqgan')).toThrow(/no checkpoint path/);
    const r = await runZoo('tokenizers', '--frames', '2', '--resolution', '16', '--log-level', 'silent',
      '--tokenizers', 'pretrained:taming-vqgan:/no/such.ckpt', '--out', join(suite.dir, 'missing'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/error: PretrainedError: taming-vqgan checkpoint \/no\/such\.ckpt does not exist/);
  }, 120_000);

  it('refuses a checkpoint of another kind before any work, listing its keys, and writes no rows', async () => {
    const out = join(suite.dir, 'wrong-kind');
    const r = await runZoo('tokenizers', '--frames', '2', '--resolution', '16', '--log-level', 'silent',
      '--tokenizers', `pretrained:videogpt-vqvae:${ckpt}`, '--out', out);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/PretrainedArchitectureError: .*taming_vqgan\.ckpt is not a videogpt-vqvae checkpoint.*missing keys \[pre_vq_conv\.conv\.weight, codebook\.embeddings\].*unexpected keys \[.*quantize\.embedding\.weight/);
    expect(existsSync(join(out, 'leaderboard.json'))).toBe(false);
  }, 120_000);
});
