/**
 * The traced graph: a small static IR that the onnx engine records while a
 * function written against `Ops` runs on symbolic tensors. Every node has one
 * output with a shape and dtype inferred at trace time, and its non-tensor
 * arguments (axes, pads, target shapes, ...) live in `attrs`, so that the
 * vector-Jacobian rules can read them directly; the serializer turns them into
 * ONNX attributes or int64 initializers as each ONNX op requires.
 */
import type { Ops, Tensor } from '../../ops.js';
import type { DType, HostData, Shape } from '../../tensor.js';

export type AttrValue = number | string | readonly number[];
export type Attrs = Readonly<Record<string, AttrValue>>;

/** A symbolic tensor: one value of a traced graph. */
export class Sym implements Tensor {
  constructor(
    readonly graph: Graph,
    readonly id: number,
    readonly shape: readonly number[],
    readonly dtype: DType,
    /** The node that produces it; undefined for graph inputs and constants. */
    readonly node: Node | undefined,
  ) {}
}

export interface Node {
  readonly op: string;
  readonly inputs: readonly Sym[];
  readonly attrs: Attrs;
  readonly output: Sym;
}

export interface GraphInput {
  readonly name: string;
  readonly sym: Sym;
}

export interface GraphConstant {
  readonly sym: Sym;
  readonly data: HostData;
}

export class TraceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TraceError';
  }
}

export class Graph {
  readonly nodes: Node[] = [];
  readonly inputs: GraphInput[] = [];
  readonly constants: GraphConstant[] = [];
  private nextId = 0;

  input(name: string, shape: readonly number[], dtype: DType): Sym {
    if (this.inputs.some((i) => i.name === name)) throw new TraceError(`duplicate graph input name '${name}'`);
    const sym = new Sym(this, this.nextId++, [...shape], dtype, undefined);
    this.inputs.push({ name, sym });
    return sym;
  }

  constant(data: HostData, shape: readonly number[], dtype: DType): Sym {
    const sym = new Sym(this, this.nextId++, [...shape], dtype, undefined);
    this.constants.push({ sym, data });
    return sym;
  }

  emit(op: string, inputs: readonly Sym[], attrs: Attrs, shape: readonly number[], dtype: DType): Sym {
    for (const s of inputs) {
      if (s.graph !== this) throw new TraceError(`${op}: an input tensor belongs to a different traced graph`);
      for (const d of s.shape) if (!Number.isInteger(d) || d < 0) throw new TraceError(`${op}: bad input shape [${s.shape.join(', ')}]`);
    }
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) throw new TraceError(`${op}: inferred an invalid output shape [${shape.join(', ')}]`);
    }
    const out = new Sym(this, this.nextId++, [...shape], dtype, undefined);
    const node: Node = { op, inputs: [...inputs], attrs, output: out };
    (out as { node: Node | undefined }).node = node;
    this.nodes.push(node);
    return out;
  }
}

/** Ops's methods over symbolic tensors: each one that returns tensors returns Syms. */
type SymMethods = {
  [K in keyof Ops]: Ops[K] extends (...a: infer A) => Tensor[] ? (...a: A) => Sym[]
    : Ops[K] extends (...a: infer A) => Tensor ? (...a: A) => Sym
    : Ops[K];
};

/**
 * What the engine's helpers (VJP rules, conv gradients, shape lowering, Adam)
 * need from a trace: Ops over Syms, the graph, and raw node emission. They
 * depend on this rather than on TraceOps, which imports them.
 */
export interface SymOps extends SymMethods {
  readonly graph: Graph;
  /** Checks that `x` is a symbolic tensor of this trace. */
  sym(x: Tensor, where?: string): Sym;
  /** Records one node whose output shape and dtype the caller inferred. */
  emit(op: string, inputs: readonly Sym[], attrs: Attrs, shape: Shape, dtype: DType): Sym;
}
