/**
 * The model `pnpm bench step` times: one generator train step (forward,
 * backward, Adam) of a tokenizer spec, on our engine, plus what its PyTorch
 * peer needs to build and load the very same model.
 *
 * Objective: reconstruction + quantizer loss, the generator's step before
 * the discriminator starts, without LPIPS (the peer has no LPIPS network).
 * Optimizer: the trainer's defaults (Adam 1e-3, β 0.5/0.9, clip 1.0).
 */
import { createEngineByName, HostTensor, Rng, sizeOf, type Engine, type Tensor, type TrainStep } from '@zoo/core';
import { levelFactors, VideoDecoder, VideoEncoder, type EncoderFamily } from '@zoo/encoders-3d';
import { presetSpec } from '../tokenizer/presets.js';
import type { TokenizerSpec } from '../tokenizer/spec.js';
import { Tokenizer, toModel } from '../tokenizer/tokenizer.js';
import { trainConfigSchema } from '../train/config.js';
import { generatorObjective } from '../train/objectives.js';

export interface StepModelOptions {
  /** A preset name, or a parsed spec (`--config`). */
  model: string | TokenizerSpec;
  frames: number;
  resolution: number;
  batch: number;
  codebookSize: number;
  seed: number;
}

/** What the PyTorch peer reads (peers/torch_step.py): the resolved configs, in our names. */
export interface PeerSpec {
  family: EncoderFamily;
  encoder: Record<string, unknown>;
  decoder: Record<string, unknown>;
  levels: { time: number; space: number }[];
  quantizer: { name: string; config: Record<string, unknown> };
  reconstruction: 'l1' | 'l2';
  reconstructionWeight: number;
}

export const STEP_OPTIMIZER = (() => {
  const c = trainConfigSchema.parse({});
  return { kind: c.optimizer, lr: c.lr, beta1: c.beta1, beta2: c.beta2, weightDecay: c.weightDecay, clipGradNorm: c.clipGradNorm } as const;
})();

export function stepSpec(o: StepModelOptions): TokenizerSpec {
  return typeof o.model === 'string'
    ? presetSpec(o.model, { frames: o.frames, resolution: o.resolution, codebookSize: o.codebookSize, seed: o.seed })
    : o.model;
}

/** A deterministic clip batch [B, T, H, W, 3] in [0, 1]: smooth moving patterns plus noise, so codes spread. */
export function stepBatch(o: Pick<StepModelOptions, 'batch' | 'frames' | 'resolution' | 'seed'>): HostTensor<'float32'> {
  const shape = [o.batch, o.frames, o.resolution, o.resolution, 3];
  const rng = new Rng(o.seed + 17);
  const data = rng.fillNormal(new Float32Array(sizeOf(shape)), 0, 0.05);
  const r = o.resolution;
  for (let i = 0; i < data.length; i++) {
    const c = i % 3;
    const x = Math.floor(i / 3) % r;
    const y = Math.floor(i / (3 * r)) % r;
    const t = Math.floor(i / (3 * r * r)) % o.frames;
    data[i] = Math.min(1, Math.max(0, 0.5 + 0.4 * Math.sin((x + 2 * t) / (3 + c) + y / 5) + data[i]!));
  }
  return new HostTensor(shape, data, 'float32');
}

export interface OurStep {
  tokenizer: Tokenizer;
  engine: Engine;
  step: TrainStep<{ x: HostTensor }, Record<string, Tensor> & { loss: Tensor }>;
  batch: HostTensor<'float32'>;
  params: number;
  peer: PeerSpec | { unsupported: string };
}

/** Builds the tokenizer, runs the quantizer's k-means init on the batch, and compiles the step. */
export async function buildOurStep(o: StepModelOptions, engineChoice: string): Promise<OurStep> {
  const spec = stepSpec(o);
  const tokenizer = new Tokenizer(spec);
  const engine = await createEngineByName(engineChoice);
  const batch = stepBatch(o);
  const q = tokenizer.quantizer;
  if (q.kmeansInit) {
    const z = await engine.compile((ops, { x }) => ({ z: tokenizer.encoder.forward(ops, toModel(ops, x!)) })).run({ x: batch });
    q.kmeansInit(z.z);
  }
  const losses = { ...spec.losses, perceptualWeight: 0 };
  const params = tokenizer.generatorParams();
  const step = engine.compileTrainStep<{ x: HostTensor }, Record<string, Tensor> & { loss: Tensor }>(
    generatorObjective({ tokenizer, losses }, false),
    params,
    STEP_OPTIMIZER,
  );
  return { tokenizer, engine, step, batch, params: params.reduce((n, v) => n + v.value.size, 0), peer: peerSpec(tokenizer, spec) };
}

function peerSpec(tokenizer: Tokenizer, spec: TokenizerSpec): PeerSpec | { unsupported: string } {
  const enc = tokenizer.encoder;
  const dec = tokenizer.decoder;
  if (!(enc instanceof VideoEncoder) || !(dec instanceof VideoDecoder)) return { unsupported: `encoder '${spec.encoder.name}' is not one of the encoders-3d families` };
  return {
    family: enc.family,
    encoder: enc.config as Record<string, unknown>,
    decoder: dec.config as Record<string, unknown>,
    levels: levelFactors(enc.family, enc.config),
    quantizer: { name: spec.quantizer.name, config: (tokenizer.quantizer as unknown as { config: Record<string, unknown> }).config },
    reconstruction: spec.losses.reconstruction,
    reconstructionWeight: spec.losses.reconstructionWeight,
  };
}
