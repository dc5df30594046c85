/**
 * Symbolic matmul, convolution, transposed convolution and pooling: shape
 * inference (PyTorch semantics, channels-first, OIHW weights) plus the node
 * (3D transposed convolutions are lowered to per-phase Convs for speed).
 * Attribute names follow ONNX so the serializer passes them through.
 */
import type { ConvOptions, ConvTransposeOptions, PoolOptions } from '../../ops.js';
import { ShapeError } from '../../tensor.js';
import type { Sym, SymOps } from './ir.js';
import { broadcastShapes, convGeometry, convOutSize, perDim } from './shapes.js';
import { convTransposeByPhases, usePhases } from './conv-transpose-phases.js';

export function matmul(o: SymOps, a: Sym, b: Sym, transposeA: boolean, transposeB: boolean): Sym {
  if (a.shape.length < 2 || b.shape.length < 2) {
    throw new ShapeError('matmul', 'rank >= 2 for both operands', a.shape.length < 2 ? a.shape : b.shape);
  }
  const swapLast = (x: Sym): Sym => {
    const perm = x.shape.map((_, i) => i);
    const r = perm.length;
    [perm[r - 2], perm[r - 1]] = [perm[r - 1]!, perm[r - 2]!];
    return o.transpose(x, perm);
  };
  const x = transposeA ? swapLast(a) : a;
  const y = transposeB ? swapLast(b) : b;
  const [m, k] = x.shape.slice(-2) as [number, number];
  const [k2, n] = y.shape.slice(-2) as [number, number];
  if (k !== k2) throw new ShapeError('matmul (inner dims)', `[..., ${k}, n] for the right operand`, y.shape);
  const batch = broadcastShapes('matmul (batch dims)', x.shape.slice(0, -2), y.shape.slice(0, -2));
  const [xf, yf] = [o.cast(x, 'float32'), o.cast(y, 'float32')];
  return o.emit('MatMul', [xf, yf], {}, [...batch, m, n], 'float32');
}

function checkConvRanks(where: string, x: Sym, w: Sym): number {
  const nsp = x.shape.length - 2;
  if (nsp < 1 || nsp > 3) throw new ShapeError(where, '[N, C, ...1-3 spatial dims]', x.shape);
  if (w.shape.length !== x.shape.length) throw new ShapeError(`${where} weight`, `rank ${x.shape.length}`, w.shape);
  return nsp;
}

export function conv(o: SymOps, x: Sym, w: Sym, bias: Sym | undefined, opts?: ConvOptions): Sym {
  const nsp = checkConvRanks('conv', x, w);
  const g = convGeometry('conv', opts, nsp);
  const [cout, cinPerGroup] = w.shape as [number, number];
  if (x.shape[1] !== cinPerGroup * g.group) {
    throw new ShapeError('conv input', `[N, ${cinPerGroup * g.group}, ...] (weight [${w.shape.join(', ')}], groups ${g.group})`, x.shape);
  }
  if (cout % g.group !== 0) throw new ShapeError('conv weight', `Cout divisible by groups=${g.group}`, w.shape);
  const spatial = x.shape.slice(2).map((d, i) =>
    convOutSize(d, w.shape[2 + i]!, g.strides[i]!, g.dilations[i]!, g.pads[i]!, g.pads[nsp + i]!),
  );
  if (spatial.some((d) => d < 1)) throw new ShapeError('conv input', `spatial dims >= the dilated kernel ${w.shape.slice(2).join('x')}`, x.shape);
  const inputs = [x, w];
  if (bias) {
    if (bias.shape.length !== 1 || bias.shape[0] !== cout) throw new ShapeError('conv bias', `[${cout}]`, bias.shape);
    inputs.push(bias);
  }
  const attrs = { strides: g.strides, pads: g.pads, dilations: g.dilations, group: g.group };
  return o.emit('Conv', inputs, attrs, [x.shape[0]!, cout, ...spatial], 'float32');
}

export function convTranspose(o: SymOps, x: Sym, w: Sym, bias: Sym | undefined, opts?: ConvTransposeOptions): Sym {
  const nsp = checkConvRanks('convTranspose', x, w);
  const g = convGeometry('convTranspose', opts, nsp);
  const outPad = perDim('convTranspose outputPadding', opts?.outputPadding, nsp, 0);
  const [cin, coutPerGroup] = w.shape as [number, number];
  if (x.shape[1] !== cin) throw new ShapeError('convTranspose input', `[N, ${cin}, ...] (weight [${w.shape.join(', ')}])`, x.shape);
  const cout = coutPerGroup * g.group;
  const spatial = x.shape.slice(2).map(
    (d, i) => (d - 1) * g.strides[i]! + (w.shape[2 + i]! - 1) * g.dilations[i]! + 1 - g.pads[i]! - g.pads[nsp + i]! + outPad[i]!,
  );
  const inputs = [x, w];
  if (bias) {
    if (bias.shape.length !== 1 || bias.shape[0] !== cout) throw new ShapeError('convTranspose bias', `[${cout}]`, bias.shape);
    inputs.push(bias);
  }
  if (usePhases(g.strides, g.dilations)) {
    const y = convTransposeByPhases(o, x, w, { strides: g.strides, pads: g.pads, group: g.group, outputPadding: outPad });
    return bias ? o.add(y, o.reshape(bias, [1, cout, ...spatial.map(() => 1)])) : y;
  }
  const attrs = { strides: g.strides, pads: g.pads, dilations: g.dilations, group: g.group, output_padding: outPad };
  return o.emit('ConvTranspose', inputs, attrs, [x.shape[0]!, cout, ...spatial], 'float32');
}

/** Pool output size with PyTorch's rule that the last window must start inside the (left-padded) input. */
export function poolOutSize(inp: number, k: number, s: number, p: number, ceil: boolean): number {
  const span = inp + 2 * p - k;
  let out = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  if (ceil && (out - 1) * s >= inp + p) out -= 1;
  return out;
}

export function pool(o: SymOps, op: 'AveragePool' | 'MaxPool', x: Sym, opts: PoolOptions): Sym {
  const nsp = x.shape.length - 2;
  if (nsp < 1 || nsp > 3) throw new ShapeError(op, '[N, C, ...1-3 spatial dims]', x.shape);
  const kernel = perDim(`${op} kernel`, opts.kernel, nsp, 1);
  // PyTorch: stride defaults to the kernel size
  const strides = opts.stride === undefined ? kernel : perDim(`${op} stride`, opts.stride, nsp, 1);
  const p = perDim(`${op} padding`, opts.padding, nsp, 0);
  const ceil = opts.ceilMode ?? false;
  const spatial = x.shape.slice(2).map((d, i) => poolOutSize(d, kernel[i]!, strides[i]!, p[i]!, ceil));
  const attrs = {
    kernel_shape: kernel,
    strides,
    pads: [...p, ...p],
    ceil_mode: ceil ? 1 : 0,
    // PyTorch's AvgPool default count_include_pad=True
    ...(op === 'AveragePool' ? { count_include_pad: 1 } : {}),
  };
  return o.emit(op, [x], attrs, [x.shape[0]!, x.shape[1]!, ...spatial], 'float32');
}
