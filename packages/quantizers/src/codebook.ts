/**
 * The codebook state of a VQ layer, under vector-quantize-pytorch's
 * state-dict keys (`embed` [1, K, D], `cluster_size` [1, K], `embed_avg`
 * [1, K, D], `initted` [1]), and its host-side maintenance: k-means init from
 * a batch and dead-code restarts. The leading 1 is the reference's codebook
 * (head) axis, kept so checkpoints load unchanged.
 */
import { HostTensor, Module, Rng, ShapeError, type Variable } from '@zoo/core';
import { kmeans, normalizeRows, sampleRows, type HostTokens } from './host/kmeans.js';

export interface CodebookOptions {
  dim: number;
  codebookSize: number;
  /** Parameter (trained by gradient) instead of a buffer (trained by EMA). */
  learnable: boolean;
  cosine: boolean;
  /** Start empty (initted = 0) and wait for `kmeansInit`. */
  kmeansInit: boolean;
  seed: number;
}

export class Codebook extends Module {
  readonly embed: Variable;
  readonly clusterSize: Variable;
  readonly embedAvg: Variable;
  readonly initted: Variable;
  private readonly rng: Rng;

  constructor(readonly opts: CodebookOptions) {
    super();
    const { dim, codebookSize: k } = opts;
    this.rng = new Rng(opts.seed);
    const init = opts.kmeansInit ? new Float32Array(k * dim) : kaimingUniform(k, dim, this.rng);
    if (opts.cosine && !opts.kmeansInit) normalizeRows(init, dim);
    const embed = new HostTensor([1, k, dim], init, 'float32');
    this.embed = opts.learnable ? this.param('embed', embed) : this.buffer('embed', embed);
    // vector-quantize-pytorch starts cluster_size at ones and embed_avg at the codebook.
    this.clusterSize = this.buffer('cluster_size', new HostTensor([1, k], new Float32Array(k).fill(1), 'float32'));
    this.embedAvg = this.buffer('embed_avg', embed.clone());
    this.initted = this.buffer('initted', HostTensor.from([opts.kmeansInit ? 0 : 1], [1]));
  }

  get isInitialized(): boolean {
    return this.initted.value.data[0] !== 0;
  }

  /** Replaces the codebook (e.g. with reference weights); shape [K, D] or [1, K, D]. */
  setCodes(codes: HostTensor): void {
    const { dim, codebookSize: k } = this.opts;
    const data = Float32Array.from(codes.data);
    if (data.length !== k * dim) throw new ShapeError('Codebook.setCodes', `[${k}, ${dim}] or [1, ${k}, ${dim}]`, codes.shape);
    this.embed.value = new HostTensor([1, k, dim], data, 'float32');
    this.embedAvg.value = new HostTensor([1, k, dim], data.slice(), 'float32');
    this.initted.value = HostTensor.from([1], [1]);
  }

  /**
   * k-means on one batch of (already input-transformed) tokens; as the
   * reference: codebook = centres, cluster_size = member counts,
   * embed_avg = centres · counts.
   */
  initFromTokens(tokens: HostTokens, iters: number): void {
    const { dim, codebookSize: k } = this.opts;
    const { means, counts } = kmeans(tokens, k, iters, this.rng, this.opts.cosine);
    const avg = new Float32Array(k * dim);
    for (let c = 0; c < k; c++) for (let j = 0; j < dim; j++) avg[c * dim + j] = means[c * dim + j]! * counts[c]!;
    this.embed.value = new HostTensor([1, k, dim], means, 'float32');
    this.embedAvg.value = new HostTensor([1, k, dim], avg, 'float32');
    this.clusterSize.value = new HostTensor([1, k], counts, 'float32');
    this.initted.value = HostTensor.from([1], [1]);
  }

  /**
   * Codes whose EMA cluster size is below `threshold` are replaced by
   * randomly sampled tokens of the batch; their cluster_size becomes
   * `resetClusterSize` and embed_avg = sample · resetClusterSize (so the next
   * EMA step keeps them there). Samples with `rng` (default the codebook's
   * own). Returns the replaced code indices.
   */
  restartDeadCodes(tokens: HostTokens, threshold: number, resetClusterSize: number, rng: Rng = this.rng): number[] {
    const { dim, codebookSize: k } = this.opts;
    const cs = this.clusterSize.value.data;
    const dead: number[] = [];
    for (let c = 0; c < k; c++) if (cs[c]! < threshold) dead.push(c);
    if (dead.length === 0 || tokens.count === 0) return [];
    const samples = sampleRows(tokens, dead.length, rng);
    const embed = Float32Array.from(this.embed.value.data);
    const avg = Float32Array.from(this.embedAvg.value.data);
    const size = Float32Array.from(cs);
    dead.forEach((c, i) => {
      for (let j = 0; j < dim; j++) {
        const v = samples[i * dim + j]!;
        embed[c * dim + j] = v;
        avg[c * dim + j] = v * resetClusterSize;
      }
      size[c] = resetClusterSize;
    });
    this.embed.value = new HostTensor([1, k, dim], embed, 'float32');
    this.embedAvg.value = new HostTensor([1, k, dim], avg, 'float32');
    this.clusterSize.value = new HostTensor([1, k], size, 'float32');
    return dead;
  }
}

/**
 * torch.nn.init.kaiming_uniform_ on a [1, K, D] tensor (a = 0): fan_in =
 * K·D, bound = sqrt(2)·sqrt(3 / fan_in). Host Rng, so values differ from
 * torch's stream; parity tests load the reference codebook instead.
 */
export function kaimingUniform(k: number, dim: number, rng: Rng): Float32Array {
  const bound = Math.sqrt(6 / (k * dim));
  return rng.fillUniform(new Float32Array(k * dim), -bound, bound);
}
