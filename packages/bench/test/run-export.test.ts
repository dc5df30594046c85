/**
 * A trained tokenizer exported to ONNX (`zoo export`) and benchmarked back
 * through `--tokenizers onnx:encode.onnx,decode.onnx` reproduces its own
 * leaderboard row: one protocol for our tokenizers and external ones.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { cliSuite, runZoo } from './cli-support.js';
import type { LeaderboardRow } from '../src/report/leaderboard-row.js';
import { ExportError, exportTokenizer } from '../src/run/onnx-export.js';
import { loadOnnxCodec } from '../src/run/onnx-codec.js';
import { TokenizerSpecError } from '../src/tokenizer/spec.js';

const run = runZoo;

describe('zoo export and onnx: import', () => {
  const suite = cliSuite('zoo-export-');

  it('reproduces the trained row from the exported graphs', async () => {
    // 3 eval clips with batch 2: the exported fixed-batch graphs must pad the last chunk.
    const data = ['--frames', '2', '--resolution', '16', '--batch', '2', '--eval-clips', '3', '--disc-start', '100', '--prior-steps', '0', '--log-level', 'silent'];
    const trained = await run('tokenizers', ...data, '--steps', '3', '--tokenizers', 'vqgan', '--quantizers', 'lfq', '--out', join(suite.dir, 'a'));
    expect(trained.err).not.toMatch(/^error/m);
    expect(trained.code).toBe(0);
    const ex = await run('export', '--checkpoint', join(suite.dir, 'a', 'checkpoints', 'vqgan+lfq'), '--out', join(suite.dir, 'onnx'));
    expect(ex.err).toBe('');
    expect(ex.code).toBe(0);
    for (const f of ['encode.onnx', 'decode.onnx', 'tokenizer.json']) expect(existsSync(join(suite.dir, 'onnx', f))).toBe(true);
    // Weights are baked in: each graph takes only its data input.
    for (const f of ['encode.onnx', 'decode.onnx']) {
      const session = await ort.InferenceSession.create(join(suite.dir, 'onnx', f));
      expect(session.inputNames).toHaveLength(1);
      await session.release();
    }
    const back = await run('tokenizers', ...data, '--tokenizers', `onnx:${join(suite.dir, 'onnx', 'encode.onnx')},${join(suite.dir, 'onnx', 'decode.onnx')}`, '--out', join(suite.dir, 'b'));
    expect(back.err).not.toMatch(/^error/m);
    expect(back.code).toBe(0);
    const rowA = (JSON.parse(readFileSync(join(suite.dir, 'a', 'leaderboard.json'), 'utf8')) as LeaderboardRow[]).find((r) => !r.baseline)!;
    const rowB = (JSON.parse(readFileSync(join(suite.dir, 'b', 'leaderboard.json'), 'utf8')) as LeaderboardRow[]).find((r) => !r.baseline)!;
    expect(rowB.quantizer).toBe('external');
    // --prior-steps 0: no prior column values, and the row says the prior was off
    for (const r of [rowA, rowB]) {
      expect(r.metrics['priorBitsPerToken']).toBeUndefined();
      expect(r.config['prior']).toEqual({ steps: 0 });
    }
    for (const k of ['codebookSize', 'tokensPerClip', 'compressionRatio', 'bitsPerPixel'] as const) expect(rowB[k]).toBe(rowA[k]);
    for (const m of ['codebookUsage', 'perplexity']) expect(rowB.metrics[m]).toBeCloseTo(rowA.metrics[m]!, 6);
    expect(rowB.metrics['psnr']).toBeCloseTo(rowA.metrics['psnr']!, 3);
    expect(rowB.metrics['ssim']).toBeCloseTo(rowA.metrics['ssim']!, 4);
  }, 600_000);

  it('names what is wrong with a folder that is not a checkpoint, or a bad tokenizer.json', async () => {
    const empty = join(suite.dir, 'not-a-checkpoint');
    await mkdir(empty, { recursive: true });
    await expect(exportTokenizer({ checkpoint: empty, out: join(suite.dir, 'x') })).rejects.toThrow(ExportError);
    await expect(exportTokenizer({ checkpoint: empty, out: join(suite.dir, 'x') })).rejects.toThrow(/checkpoint\.json.*latest\.json/);
    const ext = join(suite.dir, 'ext');
    await mkdir(ext, { recursive: true });
    for (const f of ['encode.onnx', 'decode.onnx']) await writeFile(join(ext, f), '');
    await writeFile(join(ext, 'tokenizer.json'), JSON.stringify({ codebookSize: 0 }));
    const load = loadOnnxCodec(join(ext, 'encode.onnx'), join(ext, 'decode.onnx'), { codebookSize: 8 });
    await expect(load).rejects.toThrow(TokenizerSpecError);
  });
});
