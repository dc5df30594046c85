/**
 * ONNX lowerings for onnxruntime's WebGPU execution provider. Its kernels
 * (1.30) have no Sign, and no int64 tensors unless the provider's
 * enableInt64 option is set, which onnxruntime-node cannot pass; a node
 * without a kernel runs on the CPU provider, with a GPU->CPU->GPU copy
 * around it. The node-placement report (webgpu-report.ts) found these in the
 * presets' train steps:
 * - Sign (abs gradient, LFQ): (x > 0) - (x < 0).
 * - Round (FSQ), half to even like ONNX: f = floor(x), d = x - f,
 *   f + [d > 0.5] + [d = 0.5 and f odd] (+0 where ONNX gives -0).
 * - ArgMin/ArgMax (VQ nearest code): ONNX returns int64, and the Cast to
 *   int32 had no kernel. Lowered as the first index attaining the extreme:
 *   min over axis of where(x == extreme(x), index, K), as float (exact below
 *   2^24), clamped to K - 1 (a NaN row) and cast to int32; ties give the
 *   first index, like ArgMin with select_last_index = 0.
 * - LogSoftmax (no kernel): s - log(sum(exp(s))) with s = x - max(x).
 * - grouped 3-D Conv (depthwise 1x1x1 convs from pooling gradients): the
 *   WebGPU Conv3D kernel fails at run time on group > 1 (not a fallback: an
 *   error). A 1x1x1 depthwise conv is a per-channel Mul; any other is run as
 *   a dense conv with a block-diagonal weight (G copies of w concatenated on
 *   the input-channel axis, masked), G times the FLOPs of the grouped conv.
 * The CPU graphs keep the single native nodes, which are faster there.
 */
import type { Node } from './ir.js';
import { ELEM, int, ints, type Emitter } from './emitter.js';

const arr = (n: Node, k: string): readonly number[] => n.attrs[k] as readonly number[];

/** Emits `n` the WebGPU way and returns true, or returns false for the default lowering. */
export function emitForWebGpu(e: Emitter, n: Node, ins: readonly string[], out: string): boolean {
  switch (n.op) {
    case 'Sign': {
      const dtype = n.output.dtype;
      const zero = e.scalar(0, dtype);
      const [p, q, pf, qf] = ['pos', 'neg', 'posf', 'negf'].map((k) => e.fresh(k)) as [string, string, string, string];
      e.node('Greater', [ins[0]!, zero], [p]);
      e.node('Less', [ins[0]!, zero], [q]);
      e.node('Cast', [p], [pf], [int('to', ELEM[dtype])]);
      e.node('Cast', [q], [qf], [int('to', ELEM[dtype])]);
      e.node('Sub', [pf, qf], [out]);
      return true;
    }
    case 'Round': {
      const x = ins[0]!;
      const [f, d, up, half, f2, odd, tie, bump, bumpf] = ['rf', 'rd', 'rup', 'rhalf', 'rf2', 'rodd', 'rtie', 'rbump', 'rbumpf'].map((k) => e.fresh(k)) as string[] as [string, string, string, string, string, string, string, string, string];
      const [halfF, floorHalf, twice] = [e.fresh('rh'), e.fresh('rfh'), e.fresh('rtw')];
      e.node('Floor', [x], [f]);
      e.node('Sub', [x, f], [d]);
      e.node('Greater', [d, e.scalar(0.5, 'float32')], [up]);
      e.node('Equal', [d, e.scalar(0.5, 'float32')], [half]);
      // f odd: f - 2 floor(f / 2) = 1
      e.node('Mul', [f, e.scalar(0.5, 'float32')], [halfF]);
      e.node('Floor', [halfF], [floorHalf]);
      e.node('Mul', [floorHalf, e.scalar(2, 'float32')], [twice]);
      e.node('Sub', [f, twice], [f2]);
      e.node('Equal', [f2, e.scalar(1, 'float32')], [odd]);
      e.node('And', [half, odd], [tie]);
      // the two cases exclude each other: add both (WebGPU has no Or kernel)
      e.node('Cast', [up], [bump], [int('to', ELEM.float32)]);
      e.node('Cast', [tie], [bumpf], [int('to', ELEM.float32)]);
      const partial = e.fresh('rsum');
      e.node('Add', [f, bump], [partial]);
      e.node('Add', [partial, bumpf], [out]);
      return true;
    }
    case 'LogSoftmax': {
      const rank = n.inputs[0]!.shape.length;
      const axis = ((n.attrs.axis as number) + rank) % rank;
      const [m, sh, ex, sum, lg] = ['lsm', 'lss', 'lse', 'lsz', 'lsl'].map((k) => e.fresh(k)) as [string, string, string, string, string];
      e.node('ReduceMax', [ins[0]!], [m], [ints('axes', [axis]), int('keepdims', 1)]);
      e.node('Sub', [ins[0]!, m], [sh]);
      e.node('Exp', [sh], [ex]);
      e.node('ReduceSum', [ex, e.int64([axis])], [sum], [int('keepdims', 1)]);
      e.node('Log', [sum], [lg]);
      e.node('Sub', [sh, lg], [out]);
      return true;
    }
    case 'ArgMin':
    case 'ArgMax': {
      const shape = n.inputs[0]!.shape;
      const rank = shape.length;
      const axis = ((n.attrs.axis as number) + rank) % rank;
      const k = shape[axis]!;
      const reduce = n.op === 'ArgMin' ? 'ReduceMin' : 'ReduceMax';
      const iotaDims = [k, ...Array<number>(rank - axis - 1).fill(1)];
      const iota = e.tensor(Float32Array.from({ length: k }, (_, i) => i), iotaDims);
      const [ext, hit, cand, idx, safe] = ['ext', 'hit', 'cand', 'idx', 'safe'].map((s) => e.fresh(s)) as [string, string, string, string, string];
      e.node(reduce, [ins[0]!], [ext], [ints('axes', [axis]), int('keepdims', 1)]);
      e.node('Equal', [ins[0]!, ext], [hit]);
      e.node('Where', [hit, iota, e.scalar(k, 'float32')], [cand]);
      e.node('ReduceMin', [cand], [idx], [ints('axes', [axis]), int('keepdims', 0)]);
      e.node('Min', [idx, e.scalar(k - 1, 'float32')], [safe]);
      e.node('Cast', [safe], [out], [int('to', ELEM.int32)]);
      return true;
    }
    case 'Conv': {
      const group = n.attrs.group as number;
      if (n.inputs[0]!.shape.length !== 5 || group === 1) return false;
      emitGroupedConv3d(e, n, ins, out, group);
      return true;
    }
    default:
      return false;
  }
}

function emitGroupedConv3d(e: Emitter, n: Node, ins: readonly string[], out: string, group: number): void {
  const [cout, cinG, ...kernel] = n.inputs[1]!.shape as [number, number, ...number[]];
  const cin = cinG * group;
  const pointwise = kernel.every((k) => k === 1) && arr(n, 'strides').every((s) => s === 1) && arr(n, 'pads').every((p) => p === 0);
  if (pointwise && cinG === 1 && cout === cin) {
    const scale = e.fresh('dw');
    e.node('Reshape', [ins[1]!, e.int64([1, cout, 1, 1, 1])], [scale]);
    if (ins[2] === undefined) return e.node('Mul', [ins[0]!, scale], [out]);
    const [y, b] = [e.fresh('dwy'), e.fresh('dwb')];
    e.node('Mul', [ins[0]!, scale], [y]);
    e.node('Reshape', [ins[2], e.int64([1, cout, 1, 1, 1])], [b]);
    return e.node('Add', [y, b], [out]);
  }
  const tiled = e.fresh('wtile');
  e.node('Concat', Array<string>(group).fill(ins[1]!), [tiled], [int('axis', 1)]);
  const coutG = cout / group;
  const mask = new Float32Array(cout * cin);
  for (let o = 0; o < cout; o++) for (let c = 0; c < cin; c++) mask[o * cin + c] = Math.floor(o / coutG) === Math.floor(c / cinG) ? 1 : 0;
  const dense = e.fresh('wdense');
  e.node('Mul', [tiled, e.tensor(mask, [cout, cin, 1, 1, 1])], [dense]);
  const attrs = [ints('strides', arr(n, 'strides')), ints('pads', arr(n, 'pads')), ints('dilations', arr(n, 'dilations'))];
  attrs.push(int('group', 1), ints('kernel_shape', kernel));
  e.node('Conv', [ins[0]!, dense, ...ins.slice(2)], [out], attrs);
}
