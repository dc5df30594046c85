/**
 * AxialAttention (a VideoGPT block) against a float64 host reference written
 * from the PyTorch definition, on both engines (max abs diff 1e-5), plus its
 * keys. BatchNorm, the other VideoGPT block, is in nn-batch-norm.test.ts; the
 * full VideoGPT VQ-VAE parity with the upstream code is in
 * packages/bench/test/pretrained-videogpt.test.ts.
 */
import { AxialAttention, HostTensor, Rng, type Engine, type Tensor } from '../src/index.js';
import { ENGINE_NAMES, disposeEngines, makeEngine } from './nn-engines.js';
import { randn } from './nn-reference.js';
import { expectClose, peakTol } from '../src/testing.js';

afterAll(disposeEngines);

async function apply(engine: Engine, f: (ops: Parameters<Parameters<Engine['compile']>[0]>[0], x: Tensor) => Tensor, x: HostTensor): Promise<HostTensor> {
  return (await engine.compile<{ x: HostTensor }, { y: Tensor }>((ops, inp) => ({ y: f(ops, inp.x) })).run({ x })).y;
}

/** VideoGPT axial attention on [B, T, H, W, C] along `axis` (1..3), float64. */
function axialRef(x: HostTensor, a: AxialAttention): number[] {
  const [b, t, h, w, c] = x.shape as [number, number, number, number, number];
  const lin = (v: ArrayLike<number>, W: ArrayLike<number>, bias?: ArrayLike<number>): number[] =>
    Array.from({ length: c }, (_, o) => {
      let s = bias ? bias[o]! : 0;
      for (let i = 0; i < c; i++) s += W[o * c + i]! * v[i]!;
      return s;
    });
  const dims = [b, t, h, w];
  const at = (p: number[]) => (((p[0]! * t + p[1]!) * h + p[2]!) * w + p[3]!) * c;
  const vec = (p: number[]) => Array.from(x.data.subarray(at(p), at(p) + c));
  const q = new Map<string, number[]>();
  const k = new Map<string, number[]>();
  const v = new Map<string, number[]>();
  const all: number[][] = [];
  for (let i0 = 0; i0 < b; i0++) for (let i1 = 0; i1 < t; i1++) for (let i2 = 0; i2 < h; i2++) for (let i3 = 0; i3 < w; i3++) all.push([i0, i1, i2, i3]);
  for (const p of all) {
    q.set(String(p), lin(vec(p), a.w_qs.weight.value.data));
    k.set(String(p), lin(vec(p), a.w_ks.weight.value.data));
    v.set(String(p), lin(vec(p), a.w_vs.weight.value.data));
  }
  const dk = c / a.heads;
  const out = new Array<number>(x.size).fill(0);
  for (const p of all) {
    const merged = new Array<number>(c).fill(0);
    for (let hd = 0; hd < a.heads; hd++) {
      const qs = q.get(String(p))!.slice(hd * dk, (hd + 1) * dk);
      const line = Array.from({ length: dims[a.axis]! }, (_, j) => p.map((d, i) => (i === a.axis ? j : d)));
      const logits = line.map((pp) => k.get(String(pp))!.slice(hd * dk, (hd + 1) * dk).reduce((s, kv, i) => s + kv * qs[i]!, 0) / Math.sqrt(dk));
      const mx = Math.max(...logits);
      const e = logits.map((l) => Math.exp(l - mx));
      const z = e.reduce((s, u) => s + u, 0);
      line.forEach((pp, j) => {
        const vs = v.get(String(pp))!;
        for (let i = 0; i < dk; i++) merged[hd * dk + i]! += (e[j]! / z) * vs[hd * dk + i]!;
      });
    }
    const y = lin(merged, a.fc.weight.value.data, a.fc.bias!.value.data);
    for (let i = 0; i < c; i++) out[at(p) + i] = y[i]!;
  }
  return out;
}

describe('AxialAttention', () => {
  it('has VideoGPT keys', () => {
    const a = new AxialAttention(4, 1, { rng: new Rng(0) });
    expect(Object.keys(a.stateDict()).sort()).toEqual(['fc.bias', 'fc.weight', 'w_ks.weight', 'w_qs.weight', 'w_vs.weight']);
  });

  test.each(ENGINE_NAMES)('%s: attention along T, H and W matches the reference (1e-5)', async (name) => {
    const rng = new Rng(5);
    const x = randn(rng, [2, 3, 2, 4, 4]);
    for (const axis of [1, 2, 3]) {
      const a = new AxialAttention(4, axis, { heads: 2, rng: new Rng(axis) });
      const y = await apply(await makeEngine(name), (ops, t) => a.forward(ops, t), x);
      expectClose(y, { shape: x.shape, data: axialRef(x, a) }, peakTol(1e-5));
    }
  });
});
