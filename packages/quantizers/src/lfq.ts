/**
 * `lfq`: lookup-free quantization (MAGVIT-v2, Yu et al. 2023): each of the
 * d = log2(codebookSize) channels is binarised to ±codebookScale, the index is
 * the integer those bits spell, and an entropy penalty keeps codes confident
 * per token and diverse per batch. Conventions and defaults follow
 * lucidrains/vector-quantize-pytorch v1.31.0 (`LFQ`), which magvit2-pytorch
 * uses; Open-MAGVIT2's LSB-first indices and factorized entropy are options.
 */
import { HostTensor, Module, Rng, type Ops, type Tensor } from '@zoo/core';
import { z } from 'zod';
import { flattenIndices, flattenTokens, l2normalize, mse } from './layout.js';
import { implicitCodebook, lfqEntropy } from './lfq-entropy.js';
import { Linear } from './linear.js';
import { straightThrough } from './rotation-trick.js';
import { QuantizerConfigError, quantizerRate, type QuantizeOptions, type Quantizer, type QuantizerOutput, type QuantizerRate } from './types.js';

const positiveInt = z.number().int().positive();

export const lfqSchema = z.object({
  /** Codes per codebook; a power of two 2^d, 2 <= 2^d <= 2^24 so indices stay exact (required). */
  codebookSize: positiveInt.refine((n) => Number.isInteger(Math.log2(n)) && n >= 2 && n <= 2 ** 24, 'must be a power of two from 2 to 2^24'),
  /** Input feature size; default d·numCodebooks (no projection). */
  dim: positiveInt.optional(),
  /** Independent binary codebooks per token (1). */
  numCodebooks: positiveInt.default(1),
  /** Weight of the entropy penalty (0.1, vector-quantize-pytorch / MAGVIT-v2). */
  entropyLossWeight: z.number().nonnegative().default(0.1),
  /** Weight of the commitment loss mse(x, sign(x)) (0.25). */
  commitmentLossWeight: z.number().nonnegative().default(0.25),
  /** γ: weight of the codebook (batch) entropy inside the penalty (1.0). */
  diversityGamma: z.number().nonnegative().default(1),
  /** Inverse temperature of the code distribution (100, the reference's forward default). */
  invTemperature: z.number().positive().default(100),
  /** Magnitude of the binary code values (1.0). */
  codebookScale: z.number().positive().default(1),
  /**
   * How bits map to the index: 'msb-first' (index = Σ bit_i·2^(d−1−i); vector-quantize-pytorch,
   * magvit2-pytorch; default) or 'lsb-first' (Σ bit_i·2^i; Open-MAGVIT2 / SEED-Voken).
   */
  bitOrder: z.enum(['msb-first', 'lsb-first']).default('msb-first'),
  /** Linear project_in / project_out around the quantizer; default: dim ≠ d·numCodebooks. */
  hasProjections: z.boolean().optional(),
  /** Keep a trailing codebook axis on the indices; default numCodebooks > 1. */
  keepNumCodebooksDim: z.boolean().optional(),
  /**
   * Bit groups for a memory-bounded entropy (must sum to d), e.g. [9, 9] for
   * 2^18 as Open-MAGVIT2. Default: one group, the exact entropy.
   */
  factorizedBits: z.array(positiveInt).optional(),
  /**
   * How the entropy logits x·c are summed: 'sequential' (default) adds one bit
   * at a time in float32, torch's CPU rounding order, which the parity tests
   * need when the softmax is near one-hot; 'matmul' is one matmul, ~3x faster
   * for wide groups, equal up to float rounding.
   */
  entropyDot: z.enum(['sequential', 'matmul']).default('sequential'),
  /**
   * Fraction of tokens the entropy penalty is estimated on (1.0: all; the
   * reference's frac_per_sample_entropy). Below 1 bounds memory by sampling
   * rows before the [tokens, 2^bits] probabilities exist; see lfq-entropy.ts.
   */
  fracPerSampleEntropy: z.number().gt(0).lte(1).default(1),
  /**
   * Binary spherical quantization (BSQ, Zhao et al. 2024, arXiv 2406.07548;
   * the reference's `spherical`): each codebook's input is l2-normalised
   * (× codebookScale) and the codes are ±codebookScale/√d, so inputs and codes
   * lie on one sphere. Default false; the `bsq` quantizer sets it.
   */
  spherical: z.boolean().default(false),
  /** Seed of the projection init and of the entropy token samples (0). */
  seed: z.number().int().default(0),
});

export type LFQConfig = z.output<typeof lfqSchema>;
export type LFQConfigInput = z.input<typeof lfqSchema>;

export interface LFQForwardOptions extends QuantizeOptions {
  /** Overrides the configured inverse temperature for this call. */
  invTemperature?: number;
}

export class LFQ extends Module implements Quantizer {
  readonly config: LFQConfig;
  /** Bits per codebook, log2(codebookSize). */
  readonly codebookDim: number;
  readonly dim: number;
  readonly numCodebooks: number;
  readonly keepNumCodebooksDim: boolean;
  readonly factorizedBits: readonly number[];
  /** Magnitude of each code entry: codebookScale, or codebookScale/√d on the sphere (float32 as the reference rounds it). */
  readonly codeValue: number;
  readonly project_in?: Linear;
  readonly project_out?: Linear;
  /** Seeds of the entropy token samples, one draw per forward. */
  private readonly sampleRng: Rng;

  constructor(config: LFQConfigInput) {
    super();
    const c = (this.config = lfqSchema.parse(config));
    this.sampleRng = new Rng(c.seed ^ 0x5eed);
    this.codebookDim = Math.round(Math.log2(c.codebookSize));
    this.numCodebooks = c.numCodebooks;
    const inner = this.codebookDim * c.numCodebooks;
    this.dim = c.dim ?? inner;
    this.keepNumCodebooksDim = c.keepNumCodebooksDim ?? c.numCodebooks > 1;
    if (!this.keepNumCodebooksDim && c.numCodebooks > 1) {
      throw new QuantizerConfigError('lfq', `keepNumCodebooksDim must be true with numCodebooks = ${c.numCodebooks} (one index per codebook)`);
    }
    const f = Math.fround;
    this.codeValue = c.spherical ? f(f(c.codebookScale / f(Math.sqrt(f(this.codebookDim * c.codebookScale * c.codebookScale)))) * c.codebookScale) : c.codebookScale;
    this.factorizedBits = c.factorizedBits ?? [this.codebookDim];
    const sum = this.factorizedBits.reduce((a, b) => a + b, 0);
    if (sum !== this.codebookDim) {
      throw new QuantizerConfigError('lfq', `factorizedBits [${this.factorizedBits.join(', ')}] sum to ${sum}; they must sum to log2(codebookSize) = ${this.codebookDim}`);
    }
    const projections = c.hasProjections ?? this.dim !== inner;
    if (!projections && this.dim !== inner) {
      throw new QuantizerConfigError('lfq', `dim ${this.dim} differs from log2(codebookSize)·numCodebooks = ${inner}: enable hasProjections or set dim = ${inner}`);
    }
    if (projections) {
      const rng = new Rng(c.seed);
      this.project_in = this.child('project_in', new Linear(this.dim, inner, rng));
      this.project_out = this.child('project_out', new Linear(inner, this.dim, rng));
    }
    this.namedVariables();
  }

  get codebookSize(): number {
    return this.config.codebookSize;
  }

  /** Index weight of each bit position, [d]. */
  private bitWeights(): number[] {
    const d = this.codebookDim;
    return Array.from({ length: d }, (_, i) => 2 ** (this.config.bitOrder === 'msb-first' ? d - 1 - i : i));
  }

  forward(ops: Ops, z: Tensor, opts: LFQForwardOptions = {}): QuantizerOutput {
    const c = this.config;
    const d = this.codebookDim;
    const nc = this.numCodebooks;
    const view = flattenTokens(ops, z, 'lfq', opts.layout, this.dim);
    const m = view.tokens.shape[0]!;
    let x = this.project_in ? this.project_in.forward(ops, view.tokens) : view.tokens; // [M, C·d]
    if (c.spherical) x = ops.reshape(ops.mul(l2normalize(ops, ops.reshape(x, [m, nc, d]), 1e-12), c.codebookScale), [m, nc * d]);
    // bit = [x > 0] as relu(sign(x)): no bool tensor on the gradient tape, and x = 0 gives
    // bit 0 / code −scale like the reference's where(x > 0, s, −s).
    const bitFlat = ops.stopGradient(ops.relu(ops.sign(x)));
    const q = ops.mul(ops.sub(ops.mul(bitFlat, 2), 1), this.codeValue);
    const bits = ops.reshape(bitFlat, [m, nc, d]);
    const weights = ops.constant(this.bitWeights(), [d]);
    // Exact in float32 for d <= 24; int32 like the reference's long indices.
    const flatIdx = ops.cast(ops.sum(ops.mul(bits, weights), -1), 'int32'); // [M, C]
    const breakdown: Record<string, Tensor> = {};
    let loss: Tensor = ops.constant(0);
    let out = q;
    if (this.training) {
      const ent = lfqEntropy(ops, ops.reshape(x, [m, nc, d]), {
        groups: this.factorizedBits,
        scale: this.codeValue,
        invTemperature: opts.invTemperature ?? c.invTemperature,
        msbFirst: c.bitOrder === 'msb-first',
        sequentialDot: c.entropyDot === 'sequential',
        tokenFraction: c.fracPerSampleEntropy,
        seed: this.sampleRng.int(2 ** 31),
      });
      const commitment = mse(ops, x, ops.stopGradient(q));
      const entropyAux = ops.sub(ent.perSample, ops.mul(ent.codebook, c.diversityGamma));
      loss = ops.add(ops.mul(entropyAux, c.entropyLossWeight), ops.mul(commitment, c.commitmentLossWeight));
      breakdown['perSampleEntropy'] = ent.perSample;
      breakdown['codebookEntropy'] = ent.codebook;
      breakdown['commitment'] = commitment;
      out = straightThrough(ops, x, q);
    }
    if (this.project_out) out = this.project_out.forward(ops, out);
    const indices = this.keepNumCodebooksDim ? ops.reshape(flatIdx, [...view.indexShape, nc]) : ops.reshape(flatIdx, view.indexShape);
    return { quantized: view.restore(ops, out), indices, loss, breakdown };
  }

  /** Indices -> ±scale codes -> project_out, in the layout `forward` would return. */
  /** One code of `codebookSize` per codebook; a trailing index axis when keepNumCodebooksDim. */
  rate(): QuantizerRate {
    return quantizerRate(new Array<number>(this.numCodebooks).fill(this.codebookSize), this.keepNumCodebooksDim);
  }

  indicesToCodes(ops: Ops, indices: Tensor, opts: QuantizeOptions = {}): Tensor {
    const d = this.codebookDim;
    const nc = this.numCodebooks;
    const f = flattenIndices(ops, indices, 'lfq.indicesToCodes', this.keepNumCodebooksDim ? 1 : 0, opts.layout);
    const m = f.flat.shape[0]!;
    const idx = ops.reshape(ops.cast(f.flat, 'float32'), [m, nc, 1]);
    const shifted = ops.floor(ops.div(idx, ops.constant(this.bitWeights(), [d])));
    const bit = ops.sub(shifted, ops.mul(ops.floor(ops.div(shifted, 2)), 2)); // shifted mod 2
    const scale = this.codeValue;
    let codes = ops.reshape(ops.sub(ops.mul(bit, 2 * scale), scale), [m, nc * d]);
    if (this.project_out) codes = this.project_out.forward(ops, codes);
    return f.restore(ops, codes);
  }

  /** The 2^d implicit codes of one codebook, [2^d, d] (host; for inspection and tests). */
  implicitCodebook(): HostTensor<'float32'> {
    const d = this.codebookDim;
    return new HostTensor([2 ** d, d], implicitCodebook(d, this.codeValue, this.config.bitOrder === 'msb-first'), 'float32');
  }
}
