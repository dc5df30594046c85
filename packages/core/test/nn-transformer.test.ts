/**
 * Embedding, causal attention and the pre-LN transformer block: the causal
 * mask hides the future exactly, the gradient of causal attention over an
 * embedding gather matches float64 central differences of a host reference,
 * and onnx and tfjs agree on forward and gradients of a causal block stack.
 */
import {
  Embedding, HostTensor, Rng, SelfAttention, Sequential, TransformerBlock, scaledDotProductAttention,
  type Engine, type Tensor,
} from '../src/index.js';
import { TEST_ENGINES, maxAbsDiff, randn, relErr } from '../src/testing.js';
import { fdGrad } from './grad-reference.js';
import { disposeEngines, makeEngine } from './nn-engines.js';

afterAll(disposeEngines);

/** Host float64: loss = Σ r ⊙ causalAttention(q=k=v=E[idx]) for E [v, d], idx [n]. */
function causalGatherLoss(e: ArrayLike<number>, d: number, idx: readonly number[], r: ArrayLike<number>): number {
  const n = idx.length;
  const x = (i: number, t: number): number => e[idx[i]! * d + t]!;
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const logits = Array.from({ length: i + 1 }, (_, j) => {
      let s = 0;
      for (let t = 0; t < d; t++) s += x(i, t) * x(j, t);
      return s / Math.sqrt(d);
    });
    const m = Math.max(...logits);
    const p = logits.map((l) => Math.exp(l - m));
    const z = p.reduce((a, b) => a + b, 0);
    for (let t = 0; t < d; t++) {
      let o = 0;
      for (let j = 0; j <= i; j++) o += (p[j]! / z) * x(j, t);
      loss += r[i * d + t]! * o;
    }
  }
  return loss;
}

describe.each(TEST_ENGINES)('causal attention on %s', (name) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await makeEngine(name);
  });

  it('output at position i does not change when tokens after i change (exact)', async () => {
    const attn = new SelfAttention(8, { heads: 2, causal: true, rng: new Rng(1) });
    const f = engine.compile<{ x: HostTensor }, { y: Tensor }>((ops, inp) => ({ y: attn.forward(ops, inp.x) }));
    const rng = new Rng(2);
    const x = randn(rng, [1, 6, 8]);
    const x2 = x.clone();
    for (let i = 4 * 8; i < 6 * 8; i++) x2.data[i] = rng.normal() * 3; // change tokens 4 and 5
    const [a, b] = [(await f.run({ x })).y, (await f.run({ x: x2 })).y];
    expect(maxAbsDiff(a.data.subarray(0, 4 * 8), b.data.subarray(0, 4 * 8))).toBe(0);
    expect(maxAbsDiff(a.data.subarray(4 * 8), b.data.subarray(4 * 8))).toBeGreaterThan(1e-2); // and the later ones do move
  });

  it('gradient of causal attention over an embedding gather matches float64 central differences (rel 1e-3)', async () => {
    const [v, d] = [5, 4];
    const idx = [3, 0, 3, 1, 4, 2];
    const rng = new Rng(3);
    const emb = new Embedding(v, d, { rng });
    const r = randn(rng, [idx.length, d]);
    const g = engine.valueAndGrad<{ idx: HostTensor; r: HostTensor }, { loss: Tensor }>(
      (ops, inp) => {
        const x = ops.reshape(emb.forward(ops, inp.idx), [1, idx.length, d]);
        return { loss: ops.sum(ops.mul(ops.reshape(scaledDotProductAttention(ops, x, x, x, undefined, { causal: true }), [idx.length, d]), inp.r)) };
      },
      { variables: [emb.weight] },
    );
    const out = await g.run({ idx: new HostTensor([idx.length], Int32Array.from(idx), 'int32'), r });
    const want = fdGrad(emb.weight.value.data, (w) => causalGatherLoss(w, d, idx, r.data));
    expect(relErr(out['grad:weight']!.data, want)).toBeLessThan(1e-3);
    expect(out.loss!.item()).toBeCloseTo(causalGatherLoss(emb.weight.value.data, d, idx, r.data), 4);
  });

  it('Embedding rejects float indices, naming the module and dtype', () => {
    const emb = new Embedding(4, 2);
    const f = engine.compile<{ x: HostTensor }, { y: Tensor }>((ops, inp) => ({ y: emb.forward(ops, inp.x) }));
    return expect(f.run({ x: new HostTensor([2], new Float32Array([0, 1])) })).rejects.toThrow(/Embedding\(4, 2\): expected int32 indices, got float32/);
  });
});

const bothEngines = TEST_ENGINES.includes('onnx') && TEST_ENGINES.includes('tfjs');
(bothEngines ? describe : describe.skip)('onnx vs tfjs: causal transformer blocks', () => {
  it('agree on forward and on the gradients of every parameter and the input (1e-4 of scale)', async () => {
    const rng = new Rng(4);
    const stack = new Sequential(new TransformerBlock(8, { heads: 2, causal: true, rng }), new TransformerBlock(8, { heads: 4, causal: true, mlpRatio: 2, rng }));
    const vars = stack.namedVariables().map(([, v]) => v);
    const x = randn(rng, [2, 5, 8]);
    const r = randn(rng, [2, 5, 8]);
    const run = async (e: Engine): Promise<Record<string, HostTensor>> =>
      (await e
        .valueAndGrad<{ x: HostTensor; r: HostTensor }, { loss: Tensor; y: Tensor }>(
          (ops, inp) => {
            const y = stack.forward(ops, inp.x);
            return { loss: ops.sum(ops.mul(y, inp.r)), y };
          },
          { inputs: ['x'], variables: vars },
        )
        .run({ x, r })) as Record<string, HostTensor>;
    const want = await run(await makeEngine('tfjs'));
    const got = await run(await makeEngine('onnx'));
    expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
    expect(Object.keys(want).filter((k) => k.startsWith('grad:')).length).toBeGreaterThan(vars.length); // every variable + x
    for (const k of Object.keys(want)) {
      const scale = Math.max(1, ...Array.from(want[k]!.data, Math.abs));
      expect(maxAbsDiff(got[k]!.data, want[k]!.data)).toBeLessThanOrEqual(1e-4 * scale);
    }
  });
});
