/**
 * Host-side tensors: concrete arrays that live in JavaScript memory, shared by
 * both engines. Parameters, checkpoints, batches and results are HostTensors;
 * engine tensors (symbolic ONNX values, tfjs tensors) are behind the `Tensor`
 * interface in ops.ts.
 */
export type DType = 'float32' | 'int32' | 'bool';
export type Shape = readonly number[];
export type TypedArrayFor<D extends DType> = D extends 'float32'
  ? Float32Array
  : D extends 'int32'
    ? Int32Array
    : Uint8Array;
export type HostData = Float32Array | Int32Array | Uint8Array;

export class ShapeError extends Error {
  constructor(
    readonly where: string,
    readonly expected: string,
    readonly got: Shape,
  ) {
    super(`${where}: expected shape ${expected}, got [${got.join(', ')}]`);
    this.name = 'ShapeError';
  }
}

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function allocFor(dtype: DType, n: number): HostData {
  if (dtype === 'float32') return new Float32Array(n);
  if (dtype === 'int32') return new Int32Array(n);
  return new Uint8Array(n);
}

export class HostTensor<D extends DType = DType> {
  readonly shape: number[];
  constructor(
    shape: Shape,
    readonly data: TypedArrayFor<D>,
    readonly dtype: D = 'float32' as D,
  ) {
    this.shape = [...shape];
    const n = sizeOf(shape);
    if (data.length !== n) {
      throw new ShapeError('HostTensor', `data of length ${data.length}`, shape);
    }
  }

  static zeros(shape: Shape): HostTensor<'float32'> {
    return new HostTensor(shape, new Float32Array(sizeOf(shape)), 'float32');
  }

  static from(values: ArrayLike<number>, shape: Shape): HostTensor<'float32'> {
    return new HostTensor(shape, Float32Array.from(values), 'float32');
  }

  static int(values: ArrayLike<number>, shape: Shape): HostTensor<'int32'> {
    return new HostTensor(shape, Int32Array.from(values), 'int32');
  }

  get size(): number {
    return this.data.length;
  }

  clone(): HostTensor<D> {
    return new HostTensor(this.shape, this.data.slice() as TypedArrayFor<D>, this.dtype);
  }

  reshape(shape: Shape): HostTensor<D> {
    return new HostTensor(shape, this.data, this.dtype);
  }

  /** The single value of a scalar (or one-element) tensor. */
  item(): number {
    if (this.data.length !== 1) throw new ShapeError('HostTensor.item', '[] or [1]', this.shape);
    return this.data[0]!;
  }
}
