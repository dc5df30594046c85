/**
 * onnx engine: an exported evaluation graph (variables baked in) runs in a
 * fresh onnxruntime InferenceSession and reproduces the engine's outputs.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { createOnnxEngine, exportOnnx } from '../src/engine/onnx/index.js';
import type { Ops, Tensor } from '../src/ops.js';
import { HostTensor } from '../src/tensor.js';
import { Variable } from '../src/nn/variable.js';
import { rand } from './onnx-helpers.js';
import { expectClose, peakTol } from '../src/testing.js';

test('exported ONNX graph runs in a fresh InferenceSession with the same outputs', async () => {
  const engine = await createOnnxEngine({ threads: 1 });
  const w = new Variable(rand([4, 2, 3, 3], 1), true, 'enc.conv.weight');
  const b = new Variable(rand([4], 2), true, 'enc.conv.bias');
  const codebook = new Variable(rand([6, 4], 3), false, 'quant.codebook');
  const fn = (o: Ops, { x }: Record<string, Tensor>): { z: Tensor; codes: Tensor } => {
    const z = o.relu(o.conv(x!, o.variable(w), o.variable(b), { padding: 1, stride: 2 }));
    const flat = o.reshape(o.transpose(z, [0, 2, 3, 1]), [-1, 4]);
    const d = o.sub(o.sum(o.square(o.variable(codebook)), 1), o.mul(o.matmul(flat, o.variable(codebook), false, true), 2));
    return { z, codes: o.argmin(d, 1) };
  };
  const x = rand([1, 2, 6, 6], 4);
  const want = await engine.compile<{ x: HostTensor }, { z: Tensor; codes: Tensor }>(fn).run({ x });
  const dir = await mkdtemp(path.join(os.tmpdir(), 'zoo-onnx-export-'));
  try {
    const file = path.join(dir, 'encoder.onnx');
    const outputs = await exportOnnx(fn, { x: [1, 2, 6, 6] }, file);
    expect(outputs).toEqual({ z: { shape: [1, 4, 3, 3], dtype: 'float32' }, codes: { shape: [9], dtype: 'int32' } });
    const session = await ort.InferenceSession.create(await readFile(file));
    expect(session.inputNames).toEqual(['x']);
    const got = await session.run({ x: new ort.Tensor('float32', x.data, x.shape) });
    expectClose(got.z!.data as Float32Array, want.z.data, peakTol(1e-6));
    expect(got.codes!.type).toBe('int32');
    expect(Array.from(got.codes!.data as Int32Array)).toEqual(Array.from(want.codes.data));
    await session.release();
  } finally {
    await rm(dir, { recursive: true, force: true });
    await engine.dispose();
  }
});
