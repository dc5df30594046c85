/**
 * Dropping @zoo/quantizers' LFQ and VQ into your own model and training it
 * with TensorFlow.js (the tfjs engine): a small autoencoder over 16-dim
 * vectors with a discrete bottleneck. The quantizer is an ordinary Module:
 * call `forward(ops, z)`, add its `loss` to yours, read `indices`.
 *
 *   pnpm tsx examples/quantizers-in-your-model.ts [lfq|vq] [steps]
 */
import { pathToFileURL } from 'node:url';
import { createTfjsEngine, HostTensor, Linear, Module, Rng, type Ops, type Tensor } from '@zoo/core';
import { CodebookUsage, LFQ, VectorQuantizer, type Quantizer } from '@zoo/quantizers';

/** Your model: encoder and decoder are yours; the bottleneck comes from the zoo. */
class TinyAutoencoder extends Module {
  readonly enc: Linear;
  readonly dec: Linear;
  readonly quantizer: Quantizer;
  constructor(kind: 'lfq' | 'vq') {
    super();
    this.enc = this.child('enc', new Linear(16, 4, { rng: new Rng(1) }));
    // LFQ: 2^4 codes from the signs of 4 channels; VQ: 16 learned codes (EMA codebook).
    this.quantizer = this.child('quantizer', kind === 'lfq' ? new LFQ({ codebookSize: 16 }) : new VectorQuantizer({ dim: 4, codebookSize: 16, decay: 0.9 }));
    this.dec = this.child('dec', new Linear(4, 16, { rng: new Rng(2) }));
    this.namedVariables();
  }
  forward(ops: Ops, x: Tensor): { recon: Tensor; indices: Tensor; qloss: Tensor } {
    // [B, 16] -> tokens [B, 1, 4] (channels-last, one token per example)
    const z = ops.reshape(this.enc.forward(ops, x), [x.shape[0]!, 1, 4]);
    const q = this.quantizer.forward(ops, z);
    return { recon: this.dec.forward(ops, ops.reshape(q.quantized, [x.shape[0]!, 4])), indices: q.indices, qloss: q.loss };
  }
}

/** 16-dim data drawn around 16 cluster centres, so a 16-code bottleneck can reconstruct it. */
function batchOf(rng: Rng, centres: Float32Array, n: number): HostTensor<'float32'> {
  const out = new Float32Array(n * 16);
  for (let i = 0; i < n; i++) {
    const c = rng.int(16);
    for (let d = 0; d < 16; d++) out[i * 16 + d] = centres[c * 16 + d]! + rng.normal(0, 0.05);
  }
  return new HostTensor([n, 16], out, 'float32');
}

export interface QuantizerExampleResult {
  firstLoss: number;
  lastLoss: number;
  usage: number;
  perplexity: number;
}

export async function main(opts: { quantizer?: 'lfq' | 'vq'; steps?: number; log?: (s: string) => void } = {}): Promise<QuantizerExampleResult> {
  const kind = opts.quantizer ?? 'lfq';
  const steps = opts.steps ?? 300;
  const log = opts.log ?? console.log;
  const engine = await createTfjsEngine();
  const model = new TinyAutoencoder(kind);
  const rng = new Rng(0);
  const centres = new Rng(42).fillNormal(new Float32Array(16 * 16));
  const step = engine.compileTrainStep<{ x: HostTensor }, { loss: Tensor; rec: Tensor; indices: Tensor }>(
    (ops, { x }) => {
      const out = model.forward(ops, x);
      const rec = ops.mean(ops.square(ops.sub(out.recon, x)));
      return { loss: ops.add(rec, out.qloss), rec, indices: out.indices };
    },
    model.parameters(),
    { kind: 'adam', lr: 1e-2 },
  );
  let firstLoss = Number.NaN;
  let lastLoss = Number.NaN;
  const usage = new CodebookUsage(16);
  for (let i = 0; i < steps; i++) {
    const r = await step.run({ x: batchOf(rng, centres, 64) });
    lastLoss = r.outputs.rec.item();
    if (i === 0) firstLoss = lastLoss;
    if (i >= steps - 10) usage.update(r.outputs.indices);
    if (i % 100 === 0) log(`${kind} step ${i}: reconstruction mse ${lastLoss.toFixed(4)}`);
  }
  const s = usage.summary();
  log(`${kind}: mse ${firstLoss.toFixed(4)} -> ${lastLoss.toFixed(4)}, codebook usage ${(s.usage * 100).toFixed(0)}%, perplexity ${s.perplexity.toFixed(1)}`);
  await engine.dispose();
  return { firstLoss, lastLoss, usage: s.usage, perplexity: s.perplexity };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main({ quantizer: (process.argv[2] as 'lfq' | 'vq' | undefined) ?? 'lfq', steps: Number(process.argv[3] ?? 300) });
}
