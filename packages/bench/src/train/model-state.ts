/**
 * The model part of a checkpoint: tokenizer (encoder.*, quantizer.*,
 * decoder.*), discriminator (discriminator.*) and LeCam EMA (lecam.*), as
 * one flat state dict with PyTorch-style keys. The discriminator and LeCam
 * are read through `namedVariables(prefix)` so their Variable keys (which
 * name graph inputs and optimizer slots) keep their prefix.
 */
import { HostTensor, StateDictError, type Module } from '@zoo/core';
import type { Tokenizer } from '../tokenizer/tokenizer.js';

function prefixed(m: Module, prefix: string): Record<string, HostTensor> {
  const out: Record<string, HostTensor> = {};
  for (const [k, v] of m.namedVariables(prefix)) out[k] = v.value.clone();
  return out;
}

function loadPrefixed(m: Module, prefix: string, sd: Record<string, HostTensor>): void {
  for (const [k, v] of m.namedVariables(prefix)) {
    const t = sd[k];
    if (!t) throw new StateDictError(`checkpoint has no '${k}'`);
    if (t.shape.length !== v.shape.length || t.shape.some((d, i) => d !== v.shape[i])) {
      throw new StateDictError(`checkpoint '${k}' has shape [${t.shape.join(', ')}], the model [${v.shape.join(', ')}]`);
    }
    v.value = new HostTensor(t.shape, Float32Array.from(t.data), 'float32');
  }
}

export function exportModelState(tokenizer: Tokenizer, lecam?: Module): Record<string, HostTensor> {
  return {
    ...tokenizer.stateDict(),
    ...(tokenizer.discriminator ? prefixed(tokenizer.discriminator, 'discriminator.') : {}),
    ...(lecam ? prefixed(lecam, 'lecam.') : {}),
  };
}

/** Loads a checkpoint's model state; every key of the model must be present with its shape. */
export function importModelState(sd: Record<string, HostTensor>, tokenizer: Tokenizer, lecam?: Module): void {
  tokenizer.loadStateDict(Object.fromEntries(Object.entries(sd).filter(([k]) => /^(encoder|quantizer|decoder)\./.test(k))));
  if (tokenizer.discriminator) loadPrefixed(tokenizer.discriminator, 'discriminator.', sd);
  if (lecam) loadPrefixed(lecam, 'lecam.', sd);
}
