/**
 * The list of things a run trains and evaluates, from the options: presets
 * (each crossed with `--quantizers`, `--codebook-size` and `--seed` lists),
 * JSON specs (`--config`), external ONNX tokenizers
 * (`onnx:encode.onnx,decode.onnx`), or published checkpoints
 * (`pretrained:KIND:PATH`, evaluated without training).
 */
import { basename, dirname, resolve } from 'node:path';
import { parsePretrainedArg, PRETRAINED_PREFIX, type PretrainedRef } from '../pretrained/load.js';
import { presetSpec } from '../tokenizer/presets.js';
import { loadTokenizerSpecs, TokenizerSpecError, type TokenizerSpec } from '../tokenizer/spec.js';
import { withQuantizer } from '../tokenizer/presets.js';
import { trainConfigSchema, type TrainConfig } from '../train/config.js';
import { codebookSizesOf, DEFAULT_QUANTIZERS, seedsOf, type RunOptions } from './options.js';

export type RunEntry =
  | { kind: 'spec'; name: string; spec: TokenizerSpec; train: TrainConfig }
  | { kind: 'onnx'; name: string; paths: { encode: string; decode: string } }
  | { kind: 'pretrained'; name: string; pretrained: PretrainedRef };

export const ONNX_PREFIX = 'onnx:';

/** `onnx:enc.onnx,dec.onnx` -> absolute paths. */
export function parseOnnxTokenizer(arg: string): { encode: string; decode: string } {
  const parts = arg.slice(ONNX_PREFIX.length).split(',');
  if (parts.length !== 2 || !parts[0] || !parts[1]) {
    throw new TokenizerSpecError(`'${arg}': external tokenizers are given as onnx:ENCODE.onnx,DECODE.onnx`);
  }
  return { encode: resolve(parts[0]), decode: resolve(parts[1]) };
}

/** A sweep unit's name: the tokenizer, plus the codebook size and seed when the sweep varies them. */
function unitName(base: string, k: number, seed: number, sizes: readonly number[], seeds: readonly number[]): string {
  return `${base}${sizes.length > 1 ? `-K${k}` : ''}${seeds.length > 1 ? `-s${seed}` : ''}`;
}

/**
 * Every work unit of the run, in a fixed order: tokenizer (preset or spec) x
 * quantizer x codebook size x seed, then external ONNX tokenizers. Shards
 * deal these units round-robin (shard.ts).
 */
export function resolveEntries(o: RunOptions, clipShape: readonly number[]): RunEntry[] {
  const frames = clipShape[0]!;
  const resolution = clipShape[1]!;
  const sizes = codebookSizesOf(o);
  const seeds = seedsOf(o);
  const trainFor = (seed: number): TrainConfig =>
    trainConfigSchema.parse({ steps: o.steps, batch: o.batch, lr: o.lr, seed, checkpointEvery: o.checkpointEvery, evalEvery: o.evalEvery });
  const discStart = o.discStart ?? Math.floor(o.steps * 0.75);
  const units: { spec: TokenizerSpec; seed: number }[] = [];
  const entries: RunEntry[] = [];
  if (o.config) {
    for (const s of loadTokenizerSpecs(o.config)) {
      if (!o.quantizers) {
        for (const seed of seeds) units.push({ spec: { ...s, name: unitName(s.name, 0, seed, [], seeds) }, seed });
        continue;
      }
      for (const q of o.quantizers) {
        for (const k of sizes) {
          for (const seed of seeds) {
            const spec = withQuantizer(s, q, k, seed);
            units.push({ spec: { ...spec, name: unitName(spec.name, k, seed, sizes, seeds) }, seed });
          }
        }
      }
    }
  } else {
    const presets = o.tokenizers.filter((t) => !t.startsWith(ONNX_PREFIX) && !t.startsWith(PRETRAINED_PREFIX));
    const quantizers: (string | undefined)[] = o.quantizers ?? (presets.length === 1 && presets.length === o.tokenizers.length ? [...DEFAULT_QUANTIZERS] : [undefined]);
    for (const t of o.tokenizers) {
      if (t.startsWith(ONNX_PREFIX)) {
        const paths = parseOnnxTokenizer(t);
        entries.push({ kind: 'onnx', name: `onnx:${basename(dirname(paths.encode))}`, paths });
        continue;
      }
      if (t.startsWith(PRETRAINED_PREFIX)) {
        const ref = parsePretrainedArg(t);
        entries.push({ kind: 'pretrained', name: `${ref.kind}:${basename(ref.path)}`, pretrained: ref });
        continue;
      }
      for (const q of quantizers) {
        for (const k of sizes) {
          for (const seed of seeds) {
            const spec = presetSpec(t, { frames, resolution, codebookSize: k, seed, ...(q ? { quantizer: q } : {}) });
            units.push({ spec: { ...spec, name: unitName(spec.name, k, seed, sizes, seeds), losses: { ...spec.losses, discStart } }, seed });
          }
        }
      }
    }
  }
  for (const { spec: s, seed } of units) {
    const spec = o.config && o.discStart !== undefined ? { ...s, losses: { ...s.losses, discStart: o.discStart } } : s;
    entries.push({ kind: 'spec', name: spec.name, spec, train: trainFor(seed) });
  }
  const seen = new Set<string>();
  for (const e of entries) {
    if (seen.has(e.name)) throw new TokenizerSpecError(`tokenizer '${e.name}' is listed twice; names must be unique within a run`);
    seen.add(e.name);
  }
  return entries;
}
