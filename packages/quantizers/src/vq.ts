/**
 * Nearest-neighbour vector quantization (VQ-VAE, van den Oord et al. 2017)
 * with the options and defaults of lucidrains/vector-quantize-pytorch v1.31.0
 * (`VectorQuantize`): a codebook learned by EMA or by gradient,
 * straight-through or rotation-trick gradients, k-means init and dead-code
 * restarts (both host-side, between steps).
 */
import { type HostTensor, Module, Rng, type Ops, type Tensor } from '@zoo/core';
import { z } from 'zod';
import { Codebook } from './codebook.js';
import { emaCodebookUpdate } from './ema.js';
import { hostTokens, normalizeRows } from './host/kmeans.js';
import { flattenIndices, flattenTokens, l2normalize, mse } from './layout.js';
import { nearestCodes } from './nearest.js';
import { rotationTrick, straightThrough } from './rotation-trick.js';
import {
  QuantizerConfigError,
  QuantizerStateError,
  quantizerRate,
  type ChannelLayout,
  type QuantizeOptions,
  type Quantizer,
  type QuantizerOutput,
  type QuantizerRate,
} from './types.js';

const positiveInt = z.number().int().positive();

/** Fields shared by `vq` and `cosine-vq`; every default is vector-quantize-pytorch's. */
export const vqBaseFields = {
  /** Feature size of the input (and of each code). Required. */
  dim: positiveInt,
  /** Number of codes K. Required. */
  codebookSize: positiveInt,
  /** Codebook is a parameter trained by gradient (default false: an EMA buffer). */
  learnableCodebook: z.boolean().default(false),
  /** EMA codebook updates; default: on unless learnableCodebook (the two are exclusive here). */
  emaUpdate: z.boolean().optional(),
  /**
   * EMA decay. Default 0.8 as vector-quantize-pytorch; VQ-VAE-2 and VideoGPT
   * use 0.99 (slower, steadier codebooks on long runs).
   */
  decay: z.number().gt(0).lt(1).default(0.8),
  /** Laplace-smoothing epsilon of the EMA cluster sizes (1e-5). */
  eps: z.number().positive().default(1e-5),
  /** β: weight of the commitment loss (0.25, VQ-VAE). */
  commitmentWeight: z.number().nonnegative().default(0.25),
  /** Rotation trick instead of straight-through (default on, as the reference for dim > 1). */
  rotationTrick: z.boolean().default(true),
  /** Start empty and initialise by k-means on the first batch (`kmeansInit(batch)`). Default false. */
  kmeansInit: z.boolean().default(false),
  /** Lloyd iterations of the k-means init (10). */
  kmeansIters: positiveInt.default(10),
  /** Codes with EMA cluster size below this are restarted by `restartDeadCodes` (0 = never). */
  thresholdEmaDeadCode: z.number().nonnegative().default(0),
  /** cluster_size given to a restarted code; default thresholdEmaDeadCode (the reference's). */
  resetClusterSize: z.number().nonnegative().optional(),
  /** Seed of the host Rng used for init, k-means sampling and restarts (0). */
  seed: z.number().int().default(0),
};

export const vqSchema = z.object({
  ...vqBaseFields,
  /**
   * Where β goes when the codebook is learned by gradient:
   * - 'joint' (default, vector-quantize-pytorch learnable_codebook): β·mse(q, z)
   *   with both sides attached, one term training codebook and encoder;
   * - 'vqvae' (van den Oord et al.; taming legacy=False): mse(q, sg z) + β·mse(sg q, z);
   * - 'taming-legacy' (taming-transformers legacy=True, the VQGAN checkpoints):
   *   β·mse(q, sg z) + mse(sg q, z).
   * With an EMA codebook the loss is always β·mse(sg q, z).
   */
  lossPlacement: z.enum(['joint', 'vqvae', 'taming-legacy']).default('joint'),
});

export type VQConfig = z.output<typeof vqSchema>;
export type VQConfigInput = z.input<typeof vqSchema>;

export interface VQForwardOptions extends QuantizeOptions {
  /**
   * Also return `distances` (euclidean: sqrt(max(|z|² + |c|² − 2 z·c, 1e-8)),
   * the reference's cdist; cosine: the similarities), shaped as the indices
   * plus a trailing K axis.
   */
  returnDistances?: boolean;
  /** Tokens per distance block (default ⌊2^22 / K⌋ = nearest.ts's DEFAULT_SCORE_BLOCK / K); ignored with returnDistances. */
  chunkSize?: number;
}

export interface VQOutput extends QuantizerOutput {
  distances?: Tensor;
}

export type VQLossPlacement = VQConfig['lossPlacement'];

/** Everything the shared VQ forward needs; `cosine-vq` fills it from its own schema. */
export interface ResolvedVQ extends Omit<VQConfig, 'emaUpdate' | 'resetClusterSize'> {
  emaUpdate: boolean;
  resetClusterSize: number;
  cosine: boolean;
}

export function resolveVQ(name: string, c: Omit<VQConfig, 'lossPlacement'> & { lossPlacement?: VQLossPlacement }, cosine: boolean): ResolvedVQ {
  const emaUpdate = c.emaUpdate ?? !c.learnableCodebook;
  if (emaUpdate && c.learnableCodebook) {
    throw new QuantizerConfigError(name, 'emaUpdate and learnableCodebook are exclusive: pick an EMA codebook (emaUpdate: true) or a gradient-trained one (learnableCodebook: true)');
  }
  return {
    ...c,
    lossPlacement: c.lossPlacement ?? 'joint',
    emaUpdate,
    resetClusterSize: c.resetClusterSize ?? c.thresholdEmaDeadCode,
    cosine,
  };
}

/**
 * `vq`: euclidean nearest-neighbour codebook. Distances are one matmul
 * (|z|² + |c|² − 2 z·c), the code is their argmin. In training mode the
 * output carries straight-through or rotation-trick gradients to z, the loss
 * is per `lossPlacement`, and an EMA codebook is updated in the same call
 * (the output uses the codebook from before the update).
 */
export class VectorQuantizer extends Module implements Quantizer {
  readonly config: ResolvedVQ;
  readonly _codebook: Codebook;

  constructor(config: VQConfigInput, protected readonly kind = 'vq', cosine = false) {
    super();
    this.config = resolveVQ(kind, vqSchema.parse(config), cosine);
    const c = this.config;
    this._codebook = this.child(
      '_codebook',
      new Codebook({ dim: c.dim, codebookSize: c.codebookSize, learnable: c.learnableCodebook, cosine, kmeansInit: c.kmeansInit, seed: c.seed }),
    );
    this.namedVariables();
  }

  get dim(): number {
    return this.config.dim;
  }

  get codebookSize(): number {
    return this.config.codebookSize;
  }

  /** The codebook rows as used for lookup, [K, D]. */
  codes(ops: Ops): Tensor {
    const { codebookSize: k, dim } = this.config;
    let embed = ops.reshape(ops.variable(this._codebook.embed), [k, dim]);
    if (!this.config.learnableCodebook) embed = ops.stopGradient(embed);
    // A gradient-trained cosine codebook drifts off the sphere; EMA ones are renormalised by the update.
    if (this.config.cosine && this.config.learnableCodebook) embed = l2normalize(ops, embed, 1e-12);
    return embed;
  }

  forward(ops: Ops, z: Tensor, opts: VQForwardOptions = {}): VQOutput {
    const c = this.config;
    if (!this._codebook.isInitialized) {
      throw new QuantizerStateError(this.kind, 'kmeansInit is on but the codebook is not initialised yet: call kmeansInit(batch) with a host batch before the first forward');
    }
    const view = flattenTokens(ops, z, this.kind, opts.layout, c.dim);
    // Cosine codebooks compare directions: the input transform of the reference (F.normalize, eps 1e-6).
    const x = c.cosine ? l2normalize(ops, view.tokens, 1e-6) : view.tokens;
    const embed = this.codes(ops);
    const xs = ops.stopGradient(x);
    const near = nearestCodes(ops, xs, ops.stopGradient(embed), {
      cosine: c.cosine,
      returnScores: opts.returnDistances ?? false,
      ...(opts.chunkSize !== undefined ? { chunkSize: opts.chunkSize } : {}),
    });
    const indices = near.indices;
    const q = ops.gather(embed, indices, 0); // [M, D]; attached to a learnable codebook
    const breakdown: Record<string, Tensor> = {};
    let out = ops.stopGradient(q);
    let loss: Tensor = ops.constant(0);
    if (this.training) {
      const commitment = mse(ops, ops.stopGradient(q), x);
      breakdown['commitment'] = commitment;
      if (c.learnableCodebook) {
        const codebookTerm = mse(ops, q, ops.stopGradient(x));
        breakdown['codebook'] = codebookTerm;
        const b = c.commitmentWeight;
        if (c.lossPlacement === 'joint') loss = ops.mul(mse(ops, q, x), b);
        else if (c.lossPlacement === 'vqvae') loss = ops.add(codebookTerm, ops.mul(commitment, b));
        else loss = ops.add(ops.mul(codebookTerm, b), commitment);
      } else {
        loss = ops.mul(commitment, c.commitmentWeight);
      }
      out = c.rotationTrick && c.dim > 1 ? rotationTrick(ops, x, q) : straightThrough(ops, x, q);
      if (c.emaUpdate) {
        const cb = this._codebook;
        emaCodebookUpdate(ops, { embed: cb.embed, clusterSize: cb.clusterSize, embedAvg: cb.embedAvg }, xs, indices, {
          decay: c.decay,
          eps: c.eps,
          normalize: c.cosine,
        });
      }
    }
    const result: VQOutput = {
      quantized: view.restore(ops, out),
      indices: ops.reshape(indices, view.indexShape),
      loss,
      breakdown,
    };
    if (near.scores) result.distances = ops.reshape(near.scores, [...view.indexShape, c.codebookSize]);
    return result;
  }

  /** One code of `codebookSize` per token. */
  rate(): QuantizerRate {
    return quantizerRate([this.codebookSize], false);
  }

  indicesToCodes(ops: Ops, indices: Tensor, opts: QuantizeOptions = {}): Tensor {
    const f = flattenIndices(ops, indices, `${this.kind}.indicesToCodes`, 0, opts.layout);
    return f.restore(ops, ops.gather(ops.stopGradient(this.codes(ops)), f.flat, 0));
  }

  /**
   * k-means codebook init from a host batch of encoder outputs (same shapes
   * and layouts as `forward`), `kmeansIters` Lloyd iterations. Call it once
   * before the first forward when `kmeansInit` is on (a no-op afterwards
   * unless `force`).
   */
  kmeansInit(batch: HostTensor, opts: { layout?: ChannelLayout; force?: boolean } = {}): void {
    if (this._codebook.isInitialized && !opts.force) return;
    const t = hostTokens(batch, `${this.kind}.kmeansInit`, opts.layout);
    if (t.dim !== this.dim) throw new QuantizerConfigError(this.kind, `kmeansInit batch has ${t.dim} features, the codebook ${this.dim}`);
    if (this.config.cosine) normalizeRows(t.data, t.dim, 1e-6);
    this._codebook.initFromTokens(t, this.config.kmeansIters);
  }

  /**
   * Dead-code restart, host-side between steps (call `engine.sync()` first so
   * the EMA buffers are current): codes whose EMA cluster size fell below
   * `thresholdEmaDeadCode` are reset to random vectors of `batch` (encoder
   * outputs). Returns the restarted code indices. `seed` makes the draw a
   * pure function of it (a trainer passes one per step, so a resumed run
   * restarts exactly as an uninterrupted one); without it the codebook's own
   * generator is used.
   */
  restartDeadCodes(batch: HostTensor, opts: { layout?: ChannelLayout; seed?: number } = {}): number[] {
    const c = this.config;
    if (c.thresholdEmaDeadCode <= 0) return [];
    const t = hostTokens(batch, `${this.kind}.restartDeadCodes`, opts.layout);
    if (c.cosine) normalizeRows(t.data, t.dim, 1e-6);
    return this._codebook.restartDeadCodes(t, c.thresholdEmaDeadCode, c.resetClusterSize, opts.seed === undefined ? undefined : new Rng(opts.seed));
  }
}
