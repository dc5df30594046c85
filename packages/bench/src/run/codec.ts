/**
 * What evaluation needs from a tokenizer: encode clips to integer tokens and
 * decode tokens back to clips, in the dataset layout ([B, T, H, W, 3] in
 * [0, 1]). Our trained tokenizers provide it through `engine.compile` (the
 * same encode and decode graphs ONNX export ships); external tokenizers
 * through onnxruntime sessions (see onnx-codec.ts). One protocol for both.
 */
import type { Engine, HostTensor, Tensor } from '@zoo/core';
import { toModel, toPixels, type Tokenizer } from '../tokenizer/tokenizer.js';

export interface Codec {
  readonly name: string;
  /** Codebook size per token position (several entries: several codebooks / residual levels). */
  codebookSizes(indexShape: readonly number[]): number[];
  /** Token grid per clip (index shape without batch and codebook axes). */
  tokenShape(indexShape: readonly number[]): number[];
  encode(clips: HostTensor): Promise<HostTensor>;
  decode(indices: HostTensor): Promise<HostTensor>;
}

/**
 * A trained tokenizer as a Codec (eval mode: no quantizer loss, no EMA updates).
 * Weights are frozen into the graphs (CompileOptions.frozen): encode + decode of
 * the default bench tokenizer measured 2x faster per batch at the same compile
 * time; after training steps replace the weights, the next call rebuilds.
 */
export function tokenizerCodec(engine: Engine, tokenizer: Tokenizer): Codec {
  const frozen = { frozen: true };
  const enc = engine.compile<{ x: HostTensor }, { indices: Tensor }>((ops, inp) => ({ indices: tokenizer.encode(ops, toModel(ops, inp.x)) }), frozen);
  const dec = engine.compile<{ indices: HostTensor }, { video: Tensor }>((ops, inp) => ({ video: toPixels(ops, tokenizer.decode(ops, inp.indices)) }), frozen);
  const inEval = async <T>(fn: () => Promise<T>): Promise<T> => {
    const was = tokenizer.training;
    tokenizer.eval();
    try {
      return await fn();
    } finally {
      tokenizer.train(was);
    }
  };
  return {
    name: tokenizer.spec.name,
    codebookSizes: (s) => tokenizer.rateOf(s).codebookSizes,
    tokenShape: (s) => tokenizer.rateOf(s).tokenShape,
    encode: (clips) => inEval(async () => (await enc.run({ x: clips })).indices),
    decode: (indices) => inEval(async () => (await dec.run({ indices })).video),
  };
}
