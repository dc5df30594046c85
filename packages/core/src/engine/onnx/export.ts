/**
 * ONNX export of evaluation graphs (encode, decode, reconstruct): the traced
 * function with every variable it reads baked in as an initializer, so the
 * file runs on its own in any ONNX runtime. Buffer assignments are dropped
 * (an exported graph is pure).
 */
import path from 'node:path';
import type { Outputs } from '../engine.js';
import type { Ops, Tensor } from '../../ops.js';
import type { DType, HostData, Shape } from '../../tensor.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { serializeGraph } from './serialize.js';
import { trace, type InputSpec } from './trace.js';

/** An input's shape, or its shape and dtype (dtype default float32). */
export type ExportInput = Shape | { shape: Shape; dtype?: DType };

/**
 * Shape and dtype of each output of an exported graph: a caller chaining
 * graphs (decode takes encode's indices) needs them before anything runs.
 */
export type ExportedOutputs = Record<string, { shape: number[]; dtype: DType }>;

function specs(inputs: Readonly<Record<string, ExportInput>>): InputSpec[] {
  return Object.entries(inputs).map(([name, s]) =>
    Array.isArray(s) || !('shape' in s)
      ? { name, shape: s as Shape, dtype: 'float32' as DType }
      : { name, shape: (s as { shape: Shape }).shape, dtype: (s as { dtype?: DType }).dtype ?? 'float32' },
  );
}

function exportGraph<O extends Outputs>(
  fn: (ops: Ops, inputs: Record<string, Tensor>) => O,
  inputs: Readonly<Record<string, ExportInput>>,
  name: string,
): { bytes: Uint8Array; outputs: ExportedOutputs } {
  const traced = trace(fn, specs(inputs), '');
  const bake = new Map<string, HostData>();
  for (const [v, { name: input }] of traced.variables) bake.set(input, v.value.data);
  const outputs: ExportedOutputs = {};
  for (const o of traced.outputs) outputs[o.name] = { shape: [...o.sym.shape], dtype: o.sym.dtype };
  return { bytes: serializeGraph(traced.graph, traced.outputs, { bake, name }), outputs };
}

/** The ONNX model bytes of `fn` for the given input shapes, weights included. */
export function onnxModelBytes<O extends Outputs>(
  fn: (ops: Ops, inputs: Record<string, Tensor>) => O,
  inputs: Readonly<Record<string, ExportInput>>,
  opts: { name?: string } = {},
): Uint8Array {
  return exportGraph(fn, inputs, opts.name ?? 'zoo_export').bytes;
}

/**
 * Writes `fn` as a self-contained ONNX file, atomically (see writeFileAtomic),
 * and returns its outputs' shapes and dtypes.
 */
export async function exportOnnx<O extends Outputs>(
  fn: (ops: Ops, inputs: Record<string, Tensor>) => O,
  inputs: Readonly<Record<string, ExportInput>>,
  file: string,
): Promise<ExportedOutputs> {
  const { bytes, outputs } = exportGraph(fn, inputs, path.basename(file, '.onnx'));
  await writeFileAtomic(file, bytes);
  return outputs;
}
