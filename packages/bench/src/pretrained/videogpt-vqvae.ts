/**
 * VideoGPT `VQVAE` (wilson1yan/VideoGPT videogpt/vqvae.py @ 733d2b1):
 * Encoder -> pre_vq_conv (1x1x1) -> EMA Codebook (nearest code, euclidean)
 * -> post_vq_conv -> Decoder, keys exactly as in its Lightning checkpoints:
 * encoder.*, decoder.*, pre_vq_conv.conv.*, post_vq_conv.conv.*, and the
 * codebook buffers codebook.embeddings [n_codes, D], codebook.N,
 * codebook.z_avg (EMA statistics: loaded and kept, not used for coding).
 * BatchNorm `num_batches_tracked` counters are loaded like every other key
 * (core BatchNorm keeps PyTorch's full key set), so the state dict loads
 * strictly and `stateDict()` gives back the checkpoint's keys.
 *
 * Widths (n_hiddens, n_res_layers, embedding_dim, n_codes) are read off the
 * shapes; the per-dim strides are not visible in them, so `downsample` comes
 * from the checkpoint's `hyper_parameters.args` (VideoGPT saves its argparse
 * Namespace there) or from the caller.
 *
 * Clips [B, 3, T, H, W] -> indices [B, T/dt, H/dh, W/dw].
 */
import { HostTensor, Module, PyDict, PyOpaque, type Ops, type Shape, type Tensor } from '@zoo/core';
import { SamePadConv3d, VideoGptDecoder, VideoGptEncoder } from '@zoo/encoders-3d';
import { nearestCodes } from '@zoo/quantizers';
import { PretrainedError, countIndexed, loadStrict, requireKeys, shapeOf, type PretrainedModel } from './pretrained.js';

export interface VideoGptVQVAEConfig {
  hiddens: number;
  resLayers: number;
  downsample: number[];
  embeddingDim: number;
  nCodes: number;
}

class Codebook extends Module {
  readonly embeddings;
  readonly N;
  readonly z_avg;
  constructor(n: number, d: number) {
    super();
    this.embeddings = this.buffer('embeddings', HostTensor.zeros([n, d]));
    this.N = this.buffer('N', HostTensor.zeros([n]));
    this.z_avg = this.buffer('z_avg', HostTensor.zeros([n, d]));
  }
}

export class VideoGptVQVAE extends Module implements PretrainedModel {
  readonly kind = 'videogpt-vqvae';
  readonly encoder: VideoGptEncoder;
  readonly decoder: VideoGptDecoder;
  readonly pre_vq_conv: SamePadConv3d;
  readonly post_vq_conv: SamePadConv3d;
  readonly codebook: Codebook;

  constructor(readonly config: VideoGptVQVAEConfig) {
    super();
    const codec = { hiddens: config.hiddens, resLayers: config.resLayers, downsample: config.downsample };
    this.encoder = this.child('encoder', new VideoGptEncoder(codec));
    this.decoder = this.child('decoder', new VideoGptDecoder(codec));
    this.pre_vq_conv = this.child('pre_vq_conv', new SamePadConv3d(config.hiddens, config.embeddingDim, 1));
    this.post_vq_conv = this.child('post_vq_conv', new SamePadConv3d(config.embeddingDim, config.hiddens, 1));
    this.codebook = this.child('codebook', new Codebook(config.nCodes, config.embeddingDim));
    this.namedVariables();
  }

  get codebookSize(): number {
    return this.config.nCodes;
  }

  /** The architecture from a state dict's shapes plus `downsample` (upstream default [4, 4, 4] only if given). */
  static configFrom(sd: Record<string, HostTensor>, downsample: readonly number[]): VideoGptVQVAEConfig {
    const pre = shapeOf(sd, 'pre_vq_conv.conv.weight');
    const emb = shapeOf(sd, 'codebook.embeddings');
    const bad = downsample.length !== 3 || downsample.some((d) => !Number.isInteger(Math.log2(d)) || d < 1);
    if (bad) throw new PretrainedError(`videogpt-vqvae: downsample must be 3 powers of 2 (T, H, W), got [${downsample.join(', ')}]`);
    return {
      hiddens: pre?.[1] ?? 240,
      resLayers: countIndexed(sd, 'encoder.res_stack.', '.block.') || 4,
      downsample: [...downsample],
      embeddingDim: emb?.[1] ?? 256,
      nCodes: emb?.[0] ?? 2048,
    };
  }

  /** `hyper_parameters.args.downsample` of a VideoGPT Lightning checkpoint, if it is there. */
  static downsampleOf(checkpoint: unknown): number[] | undefined {
    const hp = checkpoint instanceof PyDict ? checkpoint.get('hyper_parameters') : undefined;
    const fromDict = (d: unknown): unknown => (d instanceof PyDict ? d.get('downsample') : undefined);
    let args: unknown = hp instanceof PyDict ? (hp.get('args') ?? hp) : hp;
    if (args instanceof PyOpaque) args = args.state;
    const ds = fromDict(args);
    return Array.isArray(ds) && ds.every((v) => typeof v === 'number') ? [...(ds as number[])] : undefined;
  }

  static fromStateDict(stateDict: Record<string, HostTensor>, source = 'checkpoint', opts: { checkpoint?: unknown; downsample?: readonly number[] } = {}): VideoGptVQVAE {
    requireKeys(stateDict, 'videogpt-vqvae', source, ['pre_vq_conv.conv.weight', 'codebook.embeddings'], ['encoder.', 'decoder.', 'pre_vq_conv.', 'post_vq_conv.', 'codebook.']);
    const downsample = opts.downsample ?? VideoGptVQVAE.downsampleOf(opts.checkpoint);
    if (!downsample) {
      throw new PretrainedError(`${source}: no hyper_parameters.args.downsample in the checkpoint; VideoGPT's strides are not visible in the weights, pass downsample (e.g. [4, 4, 4])`);
    }
    const model = new VideoGptVQVAE(VideoGptVQVAE.configFrom(stateDict, downsample));
    loadStrict(model, stateDict, 'videogpt-vqvae', source);
    return model.eval();
  }

  /** Pre-quantization latent (after pre_vq_conv): [B, D, t, h, w]. */
  latent(ops: Ops, x: Tensor): Tensor {
    return this.pre_vq_conv.forward(ops, this.encoder.forward(ops, x));
  }

  /** Codebook's argmin of |z|² − 2 z·e + |e|²: [B, t, h, w]. */
  quantizeIndices(ops: Ops, z: Tensor): Tensor {
    const [b, d, t, h, w] = z.shape as [number, number, number, number, number];
    const tokens = ops.reshape(ops.transpose(z, [0, 2, 3, 4, 1]), [b * t * h * w, d]);
    const idx = nearestCodes(ops, tokens, ops.variable(this.codebook.embeddings), { cosine: false }).indices;
    return ops.reshape(idx, [b, t, h, w]);
  }

  encode(ops: Ops, x: Tensor): Tensor {
    return this.quantizeIndices(ops, this.latent(ops, x));
  }

  decode(ops: Ops, indices: Tensor): Tensor {
    const [b, t, h, w] = indices.shape as [number, number, number, number];
    const d = this.config.embeddingDim;
    const codes = ops.gather(ops.variable(this.codebook.embeddings), ops.reshape(indices, [b * t * h * w]), 0);
    const z = ops.transpose(ops.reshape(codes, [b, t, h, w, d]), [0, 4, 1, 2, 3]);
    return this.decoder.forward(ops, this.post_vq_conv.forward(ops, z));
  }

  rateOf(indexShape: Shape): { tokenShape: number[]; codebookSizes: number[] } {
    return { tokenShape: indexShape.slice(1), codebookSizes: [this.config.nCodes] };
  }
}
