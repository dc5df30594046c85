/** A loaded published tokenizer as a bench Codec: frozen encode and decode graphs, like a trained one's. */
import type { Engine, HostTensor, Tensor } from '@zoo/core';
import type { Codec } from '../run/codec.js';
import { toModel, toPixels } from '../tokenizer/tokenizer.js';
import type { PretrainedModel } from './pretrained.js';

export function pretrainedCodec(engine: Engine, model: PretrainedModel, name: string): Codec {
  const frozen = { frozen: true };
  model.eval();
  const enc = engine.compile<{ x: HostTensor }, { indices: Tensor }>((ops, inp) => ({ indices: model.encode(ops, toModel(ops, inp.x)) }), frozen);
  const dec = engine.compile<{ indices: HostTensor }, { video: Tensor }>((ops, inp) => ({ video: toPixels(ops, model.decode(ops, inp.indices)) }), frozen);
  return {
    name,
    codebookSizes: (s) => model.rateOf(s).codebookSizes,
    tokenShape: (s) => model.rateOf(s).tokenShape,
    encode: async (clips) => (await enc.run({ x: clips })).indices,
    decode: async (indices) => (await dec.run({ indices })).video,
  };
}
