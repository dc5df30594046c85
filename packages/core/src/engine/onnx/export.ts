/**
 * ONNX export of evaluation graphs (encode, decode, reconstruct): the traced
 * function with every variable it reads baked in as an initializer, so the
 * file runs on its own in any ONNX runtime. Buffer assignments are dropped
 * (an exported graph is pure).
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Outputs } from '../engine.js';
import type { Ops, Tensor } from '../../ops.js';
import type { DType, HostData, Shape } from '../../tensor.js';
import { serializeGraph } from './serialize.js';
import { trace, type InputSpec } from './trace.js';

/** An input's shape, or its shape and dtype (dtype default float32). */
export type ExportInput = Shape | { shape: Shape; dtype?: DType };

function specs(inputs: Readonly<Record<string, ExportInput>>): InputSpec[] {
  return Object.entries(inputs).map(([name, s]) =>
    Array.isArray(s) || !('shape' in s)
      ? { name, shape: s as Shape, dtype: 'float32' as DType }
      : { name, shape: (s as { shape: Shape }).shape, dtype: (s as { dtype?: DType }).dtype ?? 'float32' },
  );
}

/** The ONNX model bytes of `fn` for the given input shapes, weights included. */
export function onnxModelBytes<O extends Outputs>(
  fn: (ops: Ops, inputs: Record<string, Tensor>) => O,
  inputs: Readonly<Record<string, ExportInput>>,
  opts: { name?: string } = {},
): Uint8Array {
  const traced = trace(fn, specs(inputs), '');
  const bake = new Map<string, HostData>();
  for (const [v, { name }] of traced.variables) bake.set(name, v.value.data);
  return serializeGraph(traced.graph, traced.outputs, { bake, name: opts.name ?? 'zoo_export' });
}

/** Writes `fn` as a self-contained ONNX file (atomically: temp file, then rename). */
export async function exportOnnx<O extends Outputs>(
  fn: (ops: Ops, inputs: Record<string, Tensor>) => O,
  inputs: Readonly<Record<string, ExportInput>>,
  file: string,
): Promise<void> {
  const bytes = onnxModelBytes(fn, inputs, { name: path.basename(file, '.onnx') });
  await mkdir(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, bytes);
  await rename(tmp, file);
}
