/**
 * Serializes a traced `Graph` to ONNX bytes (opset 17, IR version 8, both
 * well supported by onnxruntime 1.30) with the protobufjs classes of
 * onnx-proto. IR attributes that ONNX takes as tensor inputs (shapes, axes,
 * pads, slice bounds) become int64 initializers here.
 */
import onnxProto from 'onnx-proto';
import type { DType, HostData } from '../../tensor.js';
import { TraceError, type Graph, type Node, type Sym } from './ir.js';
import { emitForWebGpu } from './lower-webgpu.js';
import { ELEM, Emitter, float, int, ints, rawBytes, str, T, valueInfo } from './emitter.js';

const { onnx } = onnxProto;

export const OPSET = 17;

export interface NamedOutput {
  readonly name: string;
  readonly sym: Sym;
}

const num = (n: Node, k: string): number => n.attrs[k] as number;
const arr = (n: Node, k: string): readonly number[] => n.attrs[k] as readonly number[];

const PASS = new Set([
  'Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'Neg', 'Abs', 'Exp', 'Log', 'Sqrt', 'Reciprocal', 'Tanh',
  'Sigmoid', 'Erf', 'Relu', 'Sign', 'Round', 'Floor', 'Equal', 'Greater', 'GreaterOrEqual', 'Less',
  'LessOrEqual', 'And', 'Not', 'Where', 'MatMul',
]);

/** LayerNorm output id -> its live LayerNormInvStd companion (emitted as the fused node's InvStdDev output). */
type Companions = ReadonlyMap<number, Sym>;

function emitNode(e: Emitter, n: Node, webgpu: boolean, companions: Companions): void {
  const ins = n.inputs.map((s) => e.name(s));
  const out = e.name(n.output);
  const x = ins[0]!;
  if (webgpu && emitForWebGpu(e, n, ins, out)) return;
  if (PASS.has(n.op)) return e.node(n.op, ins, [out]);
  switch (n.op) {
    case 'LeakyRelu':
      return e.node(n.op, ins, [out], [float('alpha', num(n, 'alpha'))]);
    case 'Silu': {
      // standard ops (any runtime reads them); onnxruntime fuses the pair into one QuickGelu node
      const sig = e.fresh('siluSigmoid');
      e.node('Sigmoid', [x], [sig]);
      return e.node('Mul', [x, sig], [out]);
    }
    case 'Clip':
      return e.node(n.op, [x, e.scalar(num(n, 'min'), 'float32'), e.scalar(num(n, 'max'), 'float32')], [out]);
    case 'Cast':
      return e.node(n.op, ins, [out], [int('to', ELEM[n.attrs.to as DType])]);
    case 'StopGradient':
      return e.node('Identity', ins, [out]);
    case 'ReduceSum':
    case 'ReduceMean':
    case 'ReduceMax':
    case 'ReduceMin':
      return emitReduce(e, n, x, out);
    case 'ArgMax':
    case 'ArgMin': {
      const tmp = e.fresh('arg');
      e.node(n.op, ins, [tmp], [int('axis', num(n, 'axis')), int('keepdims', 0), int('select_last_index', 0)]);
      return e.node('Cast', [tmp], [out], [int('to', T.INT32)]);
    }
    case 'Softmax':
    case 'LogSoftmax':
      return e.node(n.op, ins, [out], [int('axis', num(n, 'axis'))]);
    case 'LayerNorm': {
      // ONNX LayerNormalization (opset 17) wants a scale: ones, the affine part stays with the caller
      const d = n.output.shape[n.output.shape.length - 1]!;
      const ones = e.tensor(new Float32Array(d).fill(1), [d]);
      const r = companions.get(n.output.id);
      return e.node('LayerNormalization', [ins[0]!, ones], r ? [out, '', e.name(r)] : [out], [int('axis', -1), float('epsilon', num(n, 'epsilon'))]);
    }
    case 'LayerNormInvStd': {
      if (companions.get(n.inputs[1]!.id) === n.output) return; // written by its LayerNormalization node
      // (the WebGPU graphs) 1 / sqrt(mean((x - mean(x))²) + eps)
      const [m, dev, sq, v, ve, sd] = ['lnMean', 'lnDev', 'lnSq', 'lnVar', 'lnVarEps', 'lnStd'].map((k) => e.fresh(k)) as [string, string, string, string, string, string];
      const mean = (from: string, to: string): void => e.node('ReduceMean', [from], [to], [ints('axes', [-1]), int('keepdims', 1)]);
      mean(x, m);
      e.node('Sub', [x, m], [dev]);
      e.node('Mul', [dev, dev], [sq]);
      mean(sq, v);
      e.node('Add', [v, e.scalar(num(n, 'epsilon'), 'float32')], [ve]);
      e.node('Sqrt', [ve], [sd]);
      return e.node('Reciprocal', [sd], [out]);
    }
    case 'Conv':
    case 'ConvTranspose': {
      const attrs = [ints('strides', arr(n, 'strides')), ints('pads', arr(n, 'pads')), ints('dilations', arr(n, 'dilations'))];
      attrs.push(int('group', num(n, 'group')), ints('kernel_shape', n.inputs[1]!.shape.slice(2)));
      if (n.op === 'ConvTranspose') attrs.push(ints('output_padding', arr(n, 'output_padding')));
      return e.node(n.op, ins, [out], attrs);
    }
    case 'AveragePool':
    case 'MaxPool': {
      const attrs = [ints('kernel_shape', arr(n, 'kernel_shape')), ints('strides', arr(n, 'strides')), ints('pads', arr(n, 'pads'))];
      attrs.push(int('ceil_mode', num(n, 'ceil_mode')));
      if (n.op === 'AveragePool') attrs.push(int('count_include_pad', num(n, 'count_include_pad')));
      return e.node(n.op, ins, [out], attrs);
    }
    case 'Reshape':
      return e.node(n.op, [x, e.int64(arr(n, 'shape'))], [out]);
    case 'Expand':
      return e.node(n.op, [x, e.int64(arr(n, 'shape'))], [out]);
    case 'Transpose':
      return e.node(n.op, ins, [out], [ints('perm', arr(n, 'perm'))]);
    case 'Slice': {
      const bounds = ['starts', 'ends', 'axes', 'steps'].map((k) => e.int64(arr(n, k)));
      return e.node(n.op, [x, ...bounds], [out]);
    }
    case 'Reverse': {
      const axes = arr(n, 'axes');
      const starts = e.int64(axes.map(() => -1));
      const ends = e.int64(axes.map(() => -(2n ** 63n)));
      return e.node('Slice', [x, starts, ends, e.int64(axes), e.int64(axes.map(() => -1))], [out]);
    }
    case 'Pad': {
      const value = e.scalar(num(n, 'value'), n.inputs[0]!.dtype);
      return e.node(n.op, [x, e.int64(arr(n, 'pads')), value], [out], [str('mode', n.attrs.mode as string)]);
    }
    case 'Concat':
      return e.node(n.op, ins, [out], [int('axis', num(n, 'axis'))]);
    case 'Gather':
      return e.node(n.op, ins, [out], [int('axis', num(n, 'axis'))]);
    case 'ScatterAdd': {
      // data, indices [M, 1] int32, updates: ScatterND(reduction=add) wants int64 indices
      const idx = e.fresh('idx');
      e.node('Cast', [ins[1]!], [idx], [int('to', T.INT64)]);
      return e.node('ScatterND', [x, idx, ins[2]!], [out], [str('reduction', 'add')]);
    }
    case 'RandomNormal':
    case 'RandomUniform': {
      const attrs = [ints('shape', arr(n, 'shape')), float('seed', num(n, 'seed')), int('dtype', T.FLOAT)];
      if (n.op === 'RandomNormal') attrs.push(float('mean', num(n, 'mean')), float('scale', num(n, 'scale')));
      else attrs.push(float('low', num(n, 'low')), float('high', num(n, 'high')));
      return e.node(n.op, [], [out], attrs);
    }
    default:
      throw new TraceError(`onnx serializer: no ONNX mapping for primitive '${n.op}'`);
  }
}

/**
 * The same reduction on the smallest equivalent shape: size-1 dims dropped
 * and neighbouring dims of the same kind (kept / reduced) merged. ORT's CPU
 * reductions pick fast kernels by that pattern, and the shapes autodiff
 * produces (e.g. [N, 2, 1] summed over axis 1 in an upsample's gradient)
 * otherwise fall onto a generic path measured ~7x slower.
 */
export function canonicalReduction(shape: readonly number[], axes: readonly number[]): { shape: number[]; axes: number[] } {
  const reduced = new Set(axes.map((a) => (a < 0 ? a + shape.length : a)));
  const dims: number[] = [];
  const kinds: boolean[] = [];
  shape.forEach((d, i) => {
    if (d === 1) return;
    const r = reduced.has(i);
    if (kinds.length > 0 && kinds[kinds.length - 1] === r) dims[dims.length - 1]! *= d;
    else {
      dims.push(d);
      kinds.push(r);
    }
  });
  return { shape: dims, axes: kinds.flatMap((r, i) => (r ? [i] : [])) };
}

function emitReduce(e: Emitter, n: Node, x: string, out: string): void {
  const axes = arr(n, 'axes');
  const keep = num(n, 'keepdims');
  const inShape = n.inputs[0]!.shape;
  const c = canonicalReduction(inShape, axes);
  const sameShape = c.shape.length === inShape.length && c.axes.length === axes.length;
  const emitOp = (input: string, output: string, reduceAxes: readonly number[], keepdims: number): void => {
    if (n.op === 'ReduceSum') e.node(n.op, [input, e.int64(reduceAxes)], [output], [int('keepdims', keepdims)]);
    else e.node(n.op, [input], [output], [ints('axes', reduceAxes), int('keepdims', keepdims)]);
  };
  if (sameShape) return emitOp(x, out, axes, keep);
  if (c.axes.length === 0) return e.node('Reshape', [x, e.int64(n.output.shape)], [out]);
  const flat = e.fresh('rin');
  const red = e.fresh('rout');
  e.node('Reshape', [x, e.int64(c.shape)], [flat]);
  emitOp(flat, red, c.axes, 1);
  e.node('Reshape', [red, e.int64(n.output.shape)], [out]);
}

/** Nodes and constants that the outputs depend on, in trace order. */
function liveNodes(graph: Graph, outputs: readonly NamedOutput[]): Set<number> {
  const live = new Set<number>();
  const stack = outputs.map((o) => o.sym);
  while (stack.length > 0) {
    const s = stack.pop()!;
    if (live.has(s.id)) continue;
    live.add(s.id);
    if (s.node) stack.push(...s.node.inputs);
  }
  return live;
}

/**
 * ONNX bytes computing `outputs` from the graph inputs. Inputs the outputs do
 * not need are still declared (callers feed a fixed set of names); `bake`
 * turns listed inputs into initializers (ONNX export, frozen compiles) and
 * then drops every input the outputs do not need.
 */
export function serializeGraph(
  graph: Graph,
  outputs: readonly NamedOutput[],
  /** webgpu: lower the few primitives onnxruntime's WebGPU provider has no kernel for (see lower-webgpu.ts). Default false. */
  opts: { bake?: ReadonlyMap<string, HostData>; name?: string; webgpu?: boolean } = {},
): Uint8Array {
  const live = liveNodes(graph, outputs);
  const names = new Map<number, string>();
  for (const i of graph.inputs) names.set(i.sym.id, i.name);
  const aliases: [string, string][] = [];
  const taken = new Set(graph.inputs.map((i) => i.name));
  for (const o of outputs) {
    if (taken.has(o.name)) throw new TraceError(`output name '${o.name}' is already used by an input or another output`);
    taken.add(o.name);
    if (o.sym.node && !names.has(o.sym.id)) names.set(o.sym.id, o.name);
    else aliases.push([names.get(o.sym.id) ?? `::v${o.sym.id}`, o.name]);
  }
  const e = new Emitter(names);
  for (const c of graph.constants) {
    if (!live.has(c.sym.id)) continue;
    e.initializers.push({ name: e.name(c.sym), dataType: ELEM[c.sym.dtype], dims: [...c.sym.shape], rawData: rawBytes(c.data) });
  }
  // the WebGPU provider's LayerNormalization is used for its first output only (its optional ones are not relied on)
  const companions = new Map<number, Sym>();
  if (!opts.webgpu) for (const n of graph.nodes) if (n.op === 'LayerNormInvStd' && live.has(n.output.id)) companions.set(n.inputs[1]!.id, n.output);
  for (const n of graph.nodes) if (live.has(n.output.id)) emitNode(e, n, opts.webgpu ?? false, companions);
  for (const [from, to] of aliases) e.node('Identity', [from], [to]);
  const graphInputs: onnxProto.onnx.IValueInfoProto[] = [];
  for (const i of graph.inputs) {
    const baked = opts.bake?.get(i.name);
    if (baked) {
      if (live.has(i.sym.id)) e.initializers.push({ name: i.name, dataType: ELEM[i.sym.dtype], dims: [...i.sym.shape], rawData: rawBytes(baked) });
    } else if (!opts.bake || live.has(i.sym.id)) {
      graphInputs.push(valueInfo(i.name, i.sym));
    }
  }
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'tokenizer-zoo',
    opsetImport: [{ domain: '', version: OPSET }],
    graph: {
      name: opts.name ?? 'traced',
      node: e.nodes,
      initializer: e.initializers,
      input: graphInputs,
      output: outputs.map((o) => valueInfo(o.name, o.sym)),
    },
  });
  return onnx.ModelProto.encode(model).finish();
}
