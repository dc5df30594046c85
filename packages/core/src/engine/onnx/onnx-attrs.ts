/**
 * ONNX attribute and element-type helpers, and the emitter surface that
 * device lowerings write nodes through. Split from serialize.ts so a
 * lowering (lower-webgpu.ts) depends on this, not on the serializer that
 * calls it.
 */
import onnxProto from 'onnx-proto';
import type { DType } from '../../tensor.js';

type IAttr = onnxProto.onnx.IAttributeProto;
const T = onnxProto.onnx.TensorProto.DataType;
const A = onnxProto.onnx.AttributeProto.AttributeType;

export const ELEM: Record<DType, number> = { float32: T.FLOAT, int32: T.INT32, bool: T.BOOL };

export const int = (name: string, i: number): IAttr => ({ name, type: A.INT, i });
export const ints = (name: string, v: readonly number[]): IAttr => ({ name, type: A.INTS, ints: [...v] });

/** What a lowering needs of serialize.ts's Emitter: fresh names, constants and nodes. */
export interface NodeEmitter {
  fresh(prefix: string): string;
  int64(values: readonly (number | bigint)[], scalar?: boolean): string;
  tensor(data: Float32Array | Int32Array, dims: readonly number[]): string;
  scalar(value: number, dtype: DType): string;
  node(opType: string, input: string[], output: string[], attribute?: IAttr[]): void;
}
