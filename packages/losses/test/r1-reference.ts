/**
 * R1 test support: a tiny PatchGAN with the layer structure of
 * @zoo/discriminators' PatchGAN (4x4 convs, padding 1, stride 2 then 1,
 * LeakyReLU 0.2, optional GroupNorm; built from @zoo/core layers because
 * @zoo/losses does not depend on @zoo/discriminators), and an independent
 * float64 host reference of ‖∇_x ΣD(x)‖² for the norm-free variant.
 */
import { Block, Conv2d, GroupNorm, LeakyReLU, Rng, Sequential, type Layer, type Module, type Ops, type Tensor } from '@zoo/core';

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

/** Calls f(outIndex, inIndex, weightIndex) for every tap of a zero-padded conv. */
function taps(l: HostConv, n: number, a: Act, oh: number, ow: number, f: (o: number, i: number, w: number) => void): void {
  for (let b = 0; b < n; b++)
    for (let co = 0; co < l.cout; co++)
      for (let y = 0; y < oh; y++)
        for (let x = 0; x < ow; x++)
          for (let ci = 0; ci < l.cin; ci++)
            for (let p = 0; p < l.k; p++)
              for (let q = 0; q < l.k; q++) {
                const [r, c] = [y * l.stride - l.pad + p, x * l.stride - l.pad + q];
                if (r < 0 || c < 0 || r >= a.h || c >= a.w) continue;
                f(((b * l.cout + co) * oh + y) * ow + x, ((b * l.cin + ci) * a.h + r) * a.w + c, ((co * l.cin + ci) * l.k + p) * l.k + q);
              }
}

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
    const [oh, ow] = [a.h, a.w].map((d) => Math.floor((d + 2 * l.pad - l.k) / l.stride) + 1) as [number, number];
    const z = new Float64Array(n * l.cout * oh * ow);
    for (let j = 0; j < z.length; j++) z[j] = l.b[Math.floor(j / (oh * ow)) % l.cout]!;
    taps(l, n, a, oh, ow, (o, ii, wi) => (z[o]! += a.data[ii]! * l.w[wi]!));
    pre.push(z);
    const last = i === layers.length - 1;
    acts.push({ data: last ? z : z.map((v) => (v > 0 ? v : alpha * v)), c: l.cout, h: oh, w: ow });
  });
  let g = new Float64Array(acts[layers.length]!.data.length).fill(1);
  for (let i = layers.length - 1; i >= 0; i--) {
    const l = layers[i]!;
    if (i < layers.length - 1) g = g.map((v, j) => (pre[i]![j]! > 0 ? v : alpha * v));
    const [a, out] = [acts[i]!, acts[i + 1]!];
    const dx = new Float64Array(a.data.length);
    const gg = g;
    taps(l, n, a, out.h, out.w, (o, ii, wi) => (dx[ii]! += gg[o]! * l.w[wi]!));
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
