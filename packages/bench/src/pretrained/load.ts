/**
 * `pretrained:<kind>:<path>`: which published architectures can be loaded,
 * and loading one from a torch.save / Lightning checkpoint (.ckpt, .pt,
 * .pth) or a safetensors file.
 */
import { existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseSafetensors, readTorchCheckpoint, type HostTensor } from '@zoo/core';
import { PretrainedError, type PretrainedModel } from './pretrained.js';
import { TamingVQGAN } from './taming-vqgan.js';
import { VideoGptVQVAE } from './videogpt-vqvae.js';
import { OpenMagvit2 } from './open-magvit2.js';

export const PRETRAINED_PREFIX = 'pretrained:';

export interface PretrainedKind {
  description: string;
  /** Upstream code the architecture and key layout follow. */
  reference: string;
  /** `checkpoint`: the whole unpickled object (hyper-parameters live beside the state dict); undefined for safetensors. */
  fromStateDict(sd: Record<string, HostTensor>, source: string, checkpoint: unknown): PretrainedModel;
}

export const PRETRAINED_KINDS: Record<string, PretrainedKind> = {
  'taming-vqgan': {
    description: 'taming-transformers VQGAN (VQModel: f16/f8 image tokenizer, run per frame)',
    reference: 'CompVis/taming-transformers taming/models/vqgan.py @ 3ba01b2',
    fromStateDict: (sd, src) => TamingVQGAN.fromStateDict(sd, src),
  },
  'videogpt-vqvae': {
    description: 'VideoGPT VQ-VAE (3-D convs, axial-attention residual blocks, EMA codebook)',
    reference: 'wilson1yan/VideoGPT videogpt/vqvae.py @ 733d2b1',
    fromStateDict: (sd, src, checkpoint) => VideoGptVQVAE.fromStateDict(sd, src, { checkpoint }),
  },
  'open-magvit2': {
    description: 'Open-MAGVIT2 image tokenizer (LFQ, 2^z_channels codes; EMA weights when present, run per frame)',
    reference: 'TencentARC/SEED-Voken src/Open_MAGVIT2/models/lfqgan.py @ b9a17ea',
    fromStateDict: (sd, src) => OpenMagvit2.fromStateDict(sd, src, { video: false }),
  },
  'open-magvit2-video': {
    description: 'Open-MAGVIT2 video tokenizer (causal 3-D, LFQ, 4x8x8 at the released config; EMA weights when present)',
    reference: 'TencentARC/SEED-Voken src/Open_MAGVIT2/models/video_lfqgan.py @ b9a17ea',
    fromStateDict: (sd, src) => OpenMagvit2.fromStateDict(sd, src, { video: true }),
  },
};

export interface PretrainedRef {
  kind: string;
  path: string;
}

/** `pretrained:KIND:PATH` -> kind and absolute path (PretrainedError naming the valid kinds). */
export function parsePretrainedArg(arg: string): PretrainedRef {
  const rest = arg.slice(PRETRAINED_PREFIX.length);
  const colon = rest.indexOf(':');
  const kind = colon < 0 ? rest : rest.slice(0, colon);
  const path = colon < 0 ? '' : rest.slice(colon + 1);
  const valid = Object.keys(PRETRAINED_KINDS).join(', ');
  if (!PRETRAINED_KINDS[kind]) throw new PretrainedError(`'${arg}': unknown pretrained kind '${kind}'; valid kinds: ${valid} (form pretrained:KIND:PATH)`);
  if (!path) throw new PretrainedError(`'${arg}': no checkpoint path; pretrained tokenizers are given as pretrained:KIND:PATH (kinds: ${valid})`);
  return { kind, path: resolve(path) };
}

export interface LoadedPretrained {
  model: PretrainedModel;
  /** sha256 of the checkpoint file, hex. */
  sha256: string;
}

/** Reads the checkpoint and builds the model; typed errors for a bad file (TorchCheckpointError, SafetensorsError) or architecture. */
export async function loadPretrained(ref: PretrainedRef): Promise<LoadedPretrained> {
  const kind = PRETRAINED_KINDS[ref.kind];
  if (!kind) throw new PretrainedError(`unknown pretrained kind '${ref.kind}'; valid kinds: ${Object.keys(PRETRAINED_KINDS).join(', ')}`);
  if (!existsSync(ref.path)) throw new PretrainedError(`${ref.kind} checkpoint ${ref.path} does not exist`);
  let sd: Record<string, HostTensor>;
  let sha256: string;
  let checkpoint: unknown;
  if (ref.path.endsWith('.safetensors')) {
    const bytes = await readFile(ref.path);
    sd = parseSafetensors(bytes, ref.path).tensors;
    sha256 = createHash('sha256').update(bytes).digest('hex');
  } else {
    ({ stateDict: sd, sha256, object: checkpoint } = await readTorchCheckpoint(ref.path));
  }
  return { model: kind.fromStateDict(sd, ref.path, checkpoint), sha256 };
}
