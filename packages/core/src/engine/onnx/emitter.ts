/**
 * ONNX protobuf building blocks shared by the serializer and the WebGPU
 * lowering: element types, attribute constructors, and the Emitter that
 * collects nodes and initializers under unique names.
 */
import onnxProto from 'onnx-proto';
import type { DType, HostData } from '../../tensor.js';
import type { Sym } from './ir.js';

const { onnx } = onnxProto;
export type INode = onnxProto.onnx.INodeProto;
export type IAttr = onnxProto.onnx.IAttributeProto;
export type ITensor = onnxProto.onnx.ITensorProto;
export const T = onnx.TensorProto.DataType;
export const A = onnx.AttributeProto.AttributeType;

export const ELEM: Record<DType, number> = { float32: T.FLOAT, int32: T.INT32, bool: T.BOOL };

export const int = (name: string, i: number): IAttr => ({ name, type: A.INT, i });
export const ints = (name: string, v: readonly number[]): IAttr => ({ name, type: A.INTS, ints: [...v] });
export const float = (name: string, f: number): IAttr => ({ name, type: A.FLOAT, f });
export const str = (name: string, s: string): IAttr => ({ name, type: A.STRING, s: new TextEncoder().encode(s) });

export function rawBytes(data: HostData | BigInt64Array): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
}

export function valueInfo(name: string, sym: Sym): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType: ELEM[sym.dtype], shape: { dim: sym.shape.map((d) => ({ dimValue: d })) } } },
  };
}

export class Emitter {
  readonly nodes: INode[] = [];
  readonly initializers: ITensor[] = [];
  private counter = 0;
  constructor(private readonly names: Map<number, string>) {}

  name(s: Sym): string {
    return this.names.get(s.id) ?? `::v${s.id}`;
  }
  fresh(prefix: string): string {
    return `::${prefix}${this.counter++}`;
  }
  int64(values: readonly (number | bigint)[], scalar = false): string {
    const name = this.fresh('k');
    const data = BigInt64Array.from(values.map((v) => BigInt(v)));
    this.initializers.push({ name, dataType: T.INT64, dims: scalar ? [] : [values.length], rawData: rawBytes(data) });
    return name;
  }
  /** A float32 or int32 initializer of the given dims. */
  tensor(data: Float32Array | Int32Array, dims: readonly number[]): string {
    const name = this.fresh('t');
    this.initializers.push({ name, dataType: data instanceof Float32Array ? T.FLOAT : T.INT32, dims: [...dims], rawData: rawBytes(data) });
    return name;
  }
  scalar(value: number, dtype: DType): string {
    const name = this.fresh('s');
    const data = dtype === 'float32' ? Float32Array.of(value) : dtype === 'int32' ? Int32Array.of(value) : Uint8Array.of(value);
    this.initializers.push({ name, dataType: ELEM[dtype], dims: [], rawData: rawBytes(data) });
    return name;
  }
  node(opType: string, input: string[], output: string[], attribute: IAttr[] = []): void {
    this.nodes.push({ opType, input, output, attribute, name: this.fresh(opType) });
  }
}

