/**
 * R1 test support: a tiny PatchGAN with the layer structure of
 * @zoo/discriminators' PatchGAN (4x4 convs, padding 1, stride 2 then 1,
 * LeakyReLU 0.2, optional GroupNorm; built from @zoo/core layers because
 * @zoo/losses does not depend on @zoo/discriminators), and an independent
 * float64 host reference of ‖∇_x ΣD(x)‖² for the norm-free variant.
 */
import { Block, Conv2d, GroupNorm, LeakyReLU, Rng, Sequential, type Layer, type Module, type Ops, type Tensor } from '@zoo/core';
import { convOutSize, eachConv2dTap, type Conv2dGeom } from '@zoo/core/testing';

export class TinyPatchGAN extends Block {
  readonly main: Sequential;
  readonly convs: Conv2d[];
  /** inChannels → ndf (s2) → 2·ndf (s1) → 1 (s1), like PatchGAN with nLayers 1. */
  constructor(inChannels: number, ndf: number, norm: 'none' | 'group', seed: number) {
    super();
    const rng = new Rng(seed);
    const c1 = new Conv2d(inChannels, ndf, 4, { stride: 2, padding: 1, rng });
    const c2 = new Conv2d(ndf, 2 * ndf, 4, { stride: 1, padding: 1, rng });
    const c3 = new Conv2d(2 * ndf, 1, 4, { stride: 1, padding: 1, rng });
    const layers: (Module & Layer)[] = [c1, new LeakyReLU(0.2), c2];
    if (norm === 'group') layers.push(new GroupNorm(Math.min(32, 2 * ndf), 2 * ndf));
    layers.push(new LeakyReLU(0.2), c3);
    this.convs = [c1, c2, c3];
    this.main = this.child('main', new Sequential(...layers));
    this.namedVariables();
  }
  forward(ops: Ops, x: Tensor): Tensor {
    return this.main.forward(ops, x);
  }
}

export interface HostConv {
  w: Float64Array; // [cout, cin, k, k]
  b: Float64Array; // [cout]
  cout: number;
  cin: number;
  k: number;
  stride: number;
  pad: number;
}

interface Act {
  data: Float64Array;
  c: number;
  h: number;
  w: number;
}

/** The conv geometry of layer `l` applied to activation `a` (batch n). */
const geom = (l: HostConv, n: number, a: Act): Conv2dGeom => ({ n, cin: l.cin, h: a.h, w: a.w, cout: l.cout, k: l.k, stride: l.stride, pad: l.pad });

/**
 * ‖∇_x ΣD(x)‖² / N for D = conv3 ∘ lrelu ∘ conv2 ∘ lrelu ∘ conv1 (no norm),
 * by an explicit float64 forward and backward pass.
 */
export function hostR1(layers: readonly HostConv[], x: ArrayLike<number>, shape: readonly number[], alpha = 0.2): number {
  const [n, c, h, w] = shape as [number, number, number, number];
  const acts: Act[] = [{ data: Float64Array.from(x), c, h, w }];
  const pre: Float64Array[] = [];
  layers.forEach((l, i) => {
    const a = acts[i]!;
    const conv = geom(l, n, a);
    const [oh, ow] = [convOutSize(conv, a.h), convOutSize(conv, a.w)];
    const z = new Float64Array(n * l.cout * oh * ow);
    for (let j = 0; j < z.length; j++) z[j] = l.b[Math.floor(j / (oh * ow)) % l.cout]!;
    eachConv2dTap(conv, (o, ii, wi) => (z[o]! += a.data[ii]! * l.w[wi]!));
    pre.push(z);
    const last = i === layers.length - 1;
    acts.push({ data: last ? z : z.map((v) => (v > 0 ? v : alpha * v)), c: l.cout, h: oh, w: ow });
  });
  let g = new Float64Array(acts[layers.length]!.data.length).fill(1);
  for (let i = layers.length - 1; i >= 0; i--) {
    const l = layers[i]!;
    if (i < layers.length - 1) g = g.map((v, j) => (pre[i]![j]! > 0 ? v : alpha * v));
    const a = acts[i]!;
    const dx = new Float64Array(a.data.length);
    const gg = g;
    eachConv2dTap(geom(l, n, a), (o, ii, wi) => (dx[ii]! += gg[o]! * l.w[wi]!));
    g = dx;
  }
  return g.reduce((s, v) => s + v * v, 0) / n;
}

/** The host copy of a TinyPatchGAN's convs (float64). */
export function hostLayers(d: TinyPatchGAN): HostConv[] {
  return d.convs.map((cv, i) => {
    const [cout, cin, k] = cv.weight.shape as [number, number, number];
    return { w: Float64Array.from(cv.weight.value.data), b: Float64Array.from(cv.bias!.value.data), cout, cin, k, stride: i === 0 ? 2 : 1, pad: 1 };
  });
}
