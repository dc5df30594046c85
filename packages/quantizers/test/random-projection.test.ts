/**
 * `random-projection` (BEST-RQ). Its index assignment is vector-quantize-pytorch
 * v1.31.0 `RandomProjectionQuantizer` (fixtures from
 * scripts/fixtures/quantizer_zoo.py, 1, 2 and 3 codebooks, with and without
 * LayerNorm): indices exact on both engines. Its decode side (the learned
 * output embedding and its VQ-VAE losses) has no upstream counterpart, so it
 * is checked against a float64 host computation of the same formulas
 * (quantized, loss, gradients of input and embedding; 1e-5 relative), by
 * central finite differences in the embedding (the loss is quadratic in it;
 * 1e-3 relative), by onnx against tfjs (1e-5 relative), and by a train step
 * that moves the embedding onto the cluster means while the index path stays
 * frozen.
 */
import { HostTensor, Rng, ShapeError, type Engine, type Ops, type Tensor } from '@zoo/core';
import { expectClose, randn, relErr } from '@zoo/core/testing';
import { quantizerDefaults, quantizerNames, RANDOM_PROJECTION_CODEBOOK_DIM } from '../src/index.js';
import { RandomProjectionQuantizer } from '../src/random-projection.js';
import { ENGINES, makeEngine } from './support/engines.js';
import { expectExact, float, loadFixture } from './support/fixtures.js';

const FIXTURES = ['random_projection', 'random_projection_2codebooks', 'random_projection_nonorm'];

function fixtureQuantizer(name: string) {
  const fx = loadFixture(name);
  const c = fx.config;
  const q = new RandomProjectionQuantizer({
    dim: c.dim,
    codebookSize: c.codebook_size,
    codebookDim: c.codebook_dim,
    numCodebooks: c.num_codebooks ?? 1,
    norm: c.norm ?? true,
  });
  const buffers = Object.fromEntries(Object.entries(fx.buffers).map(([k, v]) => [k, float(v as never)]));
  // Strict load: the index path's keys are exactly the reference's; ours adds only the decode embedding.
  q.loadStateDict({ ...buffers, output_embed: q.output_embed.value });
  return { fx, q };
}

/** Training-mode outputs and gradients of sum(quantized · g) + loss. */
function trainOutputs(q: RandomProjectionQuantizer) {
  return (ops: Ops, { z, g }: Record<string, Tensor>) => {
    const o = q.forward(ops, z!);
    return {
      loss: ops.add(ops.sum(ops.mul(o.quantized, g!)), o.loss),
      quantized: o.quantized,
      indices: o.indices,
      aux: o.loss,
      codebook: o.breakdown['codebook']!,
      commitment: o.breakdown['commitment']!,
      codes: q.indicesToCodes(ops, o.indices),
    };
  };
}

/** Channels-last tokens [B, N, dim], indices [B, N(, h)] -> the decode side's values in float64. */
function hostReference(q: RandomProjectionQuantizer, z: HostTensor, g: HostTensor, indices: HostTensor) {
  const { dim, codebookSize: k, numCodebooks: h, commitmentWeight: beta } = q.config;
  const e = q.output_embed.value.data;
  const m = z.size / dim;
  const n = z.size;
  const quantized = new Float64Array(n);
  for (let t = 0; t < m; t++) {
    for (let c = 0; c < h; c++) {
      const code = indices.data[t * h + c]!;
      for (let d = 0; d < dim; d++) quantized[t * dim + d]! += e[(c * k + code) * dim + d]!;
    }
  }
  let sq = 0;
  for (let i = 0; i < n; i++) sq += (z.data[i]! - quantized[i]!) ** 2;
  const gradZ = new Float64Array(n);
  const gradE = new Float64Array(e.length);
  for (let t = 0; t < m; t++) {
    for (let d = 0; d < dim; d++) {
      const i = t * dim + d;
      const diff = quantized[i]! - z.data[i]!;
      // straight-through: the output's gradient reaches z unchanged; the commitment term adds β·2(z − q)/n
      gradZ[i] = g.data[i]! - (2 * beta * diff) / n;
      // the codebook term 2(q − z)/n reaches every code that token used
      for (let c = 0; c < h; c++) gradE[(c * k + indices.data[t * h + c]!) * dim + d]! += (2 * diff) / n;
    }
  }
  return { quantized, mse: sq / n, loss: (sq / n) * (1 + beta), gradZ, gradE };
}

describe.each(ENGINES)('random-projection on %s', (engineName) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await makeEngine(engineName);
  });
  afterAll(async () => engine?.dispose());

  it.each(FIXTURES)('%s: indices equal the reference with its frozen state, in train and eval mode', async (name) => {
    const { fx, q } = fixtureQuantizer(name);
    const x = float(fx.inputs.x);
    const run = () => engine.compile((ops, { x }) => ({ indices: q.forward(ops, x!).indices })).run({ x });
    expectExact((await run()).indices!, fx.outputs.indices, 'train-mode indices');
    q.eval();
    expectExact((await run()).indices!, fx.outputs.indices, 'eval-mode indices');
  });

  it.each([
    [1, 'random_projection'],
    [2, 'random_projection_2codebooks'],
  ] as const)('decode side with %i codebook(s): quantized, loss and gradients equal the float64 formulas (1e-5)', async (h, name) => {
    const { fx, q } = fixtureQuantizer(name);
    // A non-trivial embedding (its init is ~0): random rows.
    q.output_embed.value = randn(new Rng(5), q.output_embed.shape, 0.7);
    const z = float(fx.inputs.x);
    const g = randn(new Rng(6), z.shape);
    const out = await engine.valueAndGrad(trainOutputs(q), { inputs: ['z'], variables: q.parameters() }).run({ z, g });
    expectExact(out.indices!, fx.outputs.indices, 'indices');
    expect(out.indices!.shape.length).toBe(h > 1 ? 3 : 2);
    const want = hostReference(q, z, g, out.indices!);
    const tol = { rtol: 1e-5, atol: 1e-6 };
    expectClose(out.quantized!, { shape: z.shape, data: Array.from(want.quantized) }, tol, 'quantized = Σ_c E_c[idx_c]');
    expectClose(out.codes!, { shape: z.shape, data: Array.from(want.quantized) }, tol, 'indicesToCodes');
    expectClose(out.codebook!, { shape: [], data: [want.mse] }, tol, 'codebook term');
    expectClose(out.commitment!, { shape: [], data: [want.mse] }, tol, 'commitment term');
    expectClose(out.aux!, { shape: [], data: [want.loss] }, tol, 'loss = codebook + 0.25 · commitment');
    expectClose(out['grad:z']!, { shape: z.shape, data: Array.from(want.gradZ) }, tol, 'grad z');
    expectClose(out['grad:output_embed']!, { shape: q.output_embed.shape, data: Array.from(want.gradE) }, tol, 'grad output_embed');
    expect(q.parameters().map((v) => v.key)).toEqual(['output_embed']);
  });

  it('eval: quantized is the decoded codes, loss 0; channels-first video in, same layout out', async () => {
    const q = new RandomProjectionQuantizer({ dim: 6, codebookSize: 8, codebookDim: 4, numCodebooks: 2, seed: 2 }).eval();
    q.output_embed.value = randn(new Rng(7), q.output_embed.shape);
    const z = randn(new Rng(8), [2, 6, 2, 3, 3]);
    const out = await engine
      .compile((ops, { z }) => {
        const o = q.forward(ops, z!);
        return { quantized: o.quantized, indices: o.indices, aux: o.loss, codes: q.indicesToCodes(ops, o.indices) };
      })
      .run({ z });
    expect(out.quantized!.shape).toEqual([2, 6, 2, 3, 3]);
    expect(out.indices!.shape).toEqual([2, 2, 3, 3, 2]);
    expect(Array.from(out.quantized!.data)).toEqual(Array.from(out.codes!.data));
    expect(out.aux!.item()).toBe(0);
    expect(Array.from(out.indices!.data).every((v) => v >= 0 && v < 8)).toBe(true);
  });
});

describe('random-projection decode side', () => {
  let onnx: Engine;
  let tfjs: Engine;
  beforeAll(async () => {
    [onnx, tfjs] = await Promise.all([makeEngine('onnx'), makeEngine('tfjs')]);
  });
  afterAll(async () => {
    await onnx?.dispose();
    await tfjs?.dispose();
  });

  const make = () => {
    const q = new RandomProjectionQuantizer({ dim: 4, codebookSize: 8, codebookDim: 3, numCodebooks: 2, seed: 11 });
    q.output_embed.value = randn(new Rng(12), q.output_embed.shape, 0.5);
    return q;
  };
  const z = randn(new Rng(13), [2, 4, 3, 3]);
  const g = randn(new Rng(14), z.shape);

  it('onnx and tfjs agree on the training forward and every gradient (1e-5 relative)', async () => {
    const q = make();
    const run = (e: Engine) => e.valueAndGrad(trainOutputs(q), { inputs: ['z'], variables: q.parameters() }).run({ z, g });
    const [a, b] = [await run(onnx), await run(tfjs)];
    expect(Array.from(a.indices!.data)).toEqual(Array.from(b.indices!.data));
    for (const k of ['loss', 'quantized', 'aux', 'grad:z', 'grad:output_embed']) {
      const err = relErr(a[k]!.data, b[k]!.data);
      if (!(err < 1e-5)) throw new Error(`${k}: onnx vs tfjs relative error ${err}`);
    }
  });

  it('the loss trains the embedding only through the codebook term: its gradient is that term\'s central finite differences (1e-3 relative)', async () => {
    const q = make();
    // The commitment term's value also moves with E, but sg(q) keeps it (and the straight-through output) from training E.
    const analytic = (await onnx.valueAndGrad((ops, { z }) => ({ loss: q.forward(ops, z!).loss }), { inputs: [], variables: q.parameters() }).run({ z }))[
      'grad:output_embed'
    ]!;
    const lossOnly = onnx.compile((ops, { z }) => ({ loss: q.forward(ops, z!).breakdown['codebook']! }));
    const base = Float32Array.from(q.output_embed.value.data);
    const eps = 1e-2;
    const numeric = new Float64Array(base.length);
    for (let i = 0; i < base.length; i++) {
      const at = async (v: number) => {
        const d = Float32Array.from(base);
        d[i] = v;
        q.output_embed.value = new HostTensor(q.output_embed.shape, d, 'float32');
        return (await lossOnly.run({ z })).loss.item();
      };
      numeric[i] = ((await at(base[i]! + eps)) - (await at(base[i]! - eps))) / (2 * eps);
    }
    expect(relErr(analytic.data, numeric)).toBeLessThan(1e-3);
    // Codes no token picked get no gradient; the test data uses several per codebook.
    expect(Array.from(analytic.data).filter((v) => v !== 0).length).toBeGreaterThan(8);
  });

  it('trains: Adam on the loss moves each used code onto the mean of its tokens; the index path stays frozen', async () => {
    const q = new RandomProjectionQuantizer({ dim: 4, codebookSize: 4, codebookDim: 3, seed: 21 });
    const frozen = Object.entries(q.stateDict()).filter(([k]) => k !== 'output_embed');
    const x = randn(new Rng(22), [2, 16, 4]);
    const step = onnx.compileTrainStep((ops, { z }) => {
      const o = q.forward(ops, z!);
      return { loss: o.loss, indices: o.indices };
    }, q.parameters(), { kind: 'adam', lr: 0.05 });
    const first = await step.run({ z: x });
    let last = first;
    for (let i = 0; i < 150; i++) last = await step.run({ z: x });
    await onnx.sync();
    expect(Array.from(last.outputs.indices!.data)).toEqual(Array.from(first.outputs.indices!.data));
    for (const [k, v] of frozen) expect({ k, data: Array.from(q.stateDict()[k]!.data) }).toEqual({ k, data: Array.from(v.data) });
    // The optimum of the codebook term for fixed indices: each used code at the mean of its tokens.
    const idx = first.outputs.indices!.data;
    const e = q.output_embed.value.data;
    let used = 0;
    for (let code = 0; code < 4; code++) {
      const rows = Array.from(idx.keys()).filter((t) => idx[t] === code);
      if (!rows.length) continue;
      used++;
      for (let d = 0; d < 4; d++) {
        const mean = rows.reduce((s, t) => s + x.data[t * 4 + d]!, 0) / rows.length;
        expect(Math.abs(e[code * 4 + d]! - mean)).toBeLessThan(0.02);
      }
    }
    expect(used).toBeGreaterThan(1);
    expect(last.outputs.loss!.item()).toBeLessThan(0.8 * first.outputs.loss!.item());
  });

  it('is registered with its rate, tokenizer defaults and clear errors for bad input', () => {
    expect(quantizerNames()).toContain('random-projection');
    const d = quantizerDefaults('random-projection', { dim: 8, codebookSize: 256, seed: 4 });
    expect(d).toEqual({ dim: 8, codebookSize: 256, codebookDim: RANDOM_PROJECTION_CODEBOOK_DIM, seed: 4 });
    expect(RANDOM_PROJECTION_CODEBOOK_DIM).toBe(16);
    const one = new RandomProjectionQuantizer({ dim: 8, codebookSize: 256, codebookDim: 16 });
    expect(one.rate()).toEqual({ codebookSizes: [256], indexAxis: false, bitsPerToken: 8 });
    const three = new RandomProjectionQuantizer({ dim: 8, codebookSize: 1024, codebookDim: 4, numCodebooks: 3 });
    expect(three.rate()).toEqual({ codebookSizes: [1024, 1024, 1024], indexAxis: true, bitsPerToken: 30 });
    expect(Object.keys(three.stateDict()).sort()).toEqual(['output_embed', 'rand_projs', 'vq._codebook.embed', 'vq.project_in.bias', 'vq.project_in.weight']);
    // Own init: unit codes of width e·h.
    const books = three.vq._codebook.embed.value;
    expect(books.shape).toEqual([3, 1024, 12]);
    for (let r = 0; r < 3 * 1024; r += 97) expect(Math.hypot(...books.data.slice(r * 12, r * 12 + 12))).toBeCloseTo(1, 5);
    expect(() => new RandomProjectionQuantizer({ dim: 8, codebookSize: 16, codebookDim: 4, numCodebooks: 0 })).toThrow(/numCodebooks/);
  });

  it('a wrong feature size is a ShapeError naming the module, the expected and the actual shape', async () => {
    const q = new RandomProjectionQuantizer({ dim: 8, codebookSize: 16, codebookDim: 4 });
    const fn = onnx.compile((ops, { x }) => ({ indices: q.forward(ops, x!).indices }));
    await expect(fn.run({ x: HostTensor.zeros([2, 5, 3, 3]) })).rejects.toThrow(ShapeError);
    await expect(fn.run({ x: HostTensor.zeros([2, 5, 3, 3]) })).rejects.toThrow(/random-projection: expected shape \[B, 8, \.\.\.\] \(channels-first\), got \[2, 5, 3, 3\]/);
  });
});
