import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fsqLevelsFor } from '@zoo/quantizers';
import { quantizerConfig } from '../src/tokenizer/quantizer-config.js';
import { presetNames, presetSpec, withQuantizer } from '../src/tokenizer/presets.js';
import { loadTokenizerSpecs, parseTokenizerSpec, TokenizerSpecError } from '../src/tokenizer/spec.js';
import { Tokenizer } from '../src/tokenizer/tokenizer.js';
import { makeTempDir, removeTempDirs } from '@zoo/core/testing';

afterAll(removeTempDirs);

describe('tokenizer presets', () => {
  it('names the four paper recipes', () => {
    expect(presetNames().sort()).toEqual(['magvit', 'magvit2', 'videogpt-vqvae', 'vqgan']);
  });

  const cases = [...presetNames().map((p) => [p, 'fsq']), ...['vq', 'cosine-vq', 'lfq', 'rvq'].map((q) => ['vqgan', q])];
  it.each(cases)('%s with %s builds and keys its state like PyTorch', (name, q) => {
    {
      const spec = presetSpec(name, { frames: 5, resolution: 16, codebookSize: 16, quantizer: q });
      expect(spec.name).toBe(`${name}+${q}`);
      expect(spec.quantizer.name).toBe(q);
      const tok = new Tokenizer(spec);
      const keys = Object.keys(tok.stateDict());
      expect(keys.some((k) => k.startsWith('encoder.'))).toBe(true);
      expect(keys.some((k) => k.startsWith('decoder.'))).toBe(true);
      expect(keys.every((k) => /^(encoder|quantizer|decoder)\./.test(k))).toBe(true);
      expect(tok.lastDecoderLayer()).toBeDefined();
      // The discriminator is trained apart and is not part of the tokenizer's state.
      expect(Boolean(tok.discriminator)).toBe(spec.discriminator !== undefined);
    }
  });

  it('swaps the quantizer of a spec keeping encoder and losses', () => {
    const base = presetSpec('magvit2', { frames: 5, resolution: 16 });
    expect(base.quantizer.name).toBe('lfq');
    const fsq = withQuantizer(base, 'fsq', 1024);
    expect(fsq.encoder).toEqual(base.encoder);
    expect(fsq.losses).toEqual(base.losses);
    expect(fsq.quantizer.config['levels']).toEqual([8, 5, 5, 5]);
  });

  it('rejects an unknown preset and lists the valid ones', () => {
    expect(() => presetSpec('vqgan3', { frames: 1, resolution: 16 })).toThrow(/unknown tokenizer preset 'vqgan3'.*vqgan/);
  });

  it('reports the rate of a token grid', () => {
    const tok = new Tokenizer(presetSpec('vqgan', { frames: 2, resolution: 16, quantizer: 'rvq', codebookSize: 16 }));
    expect(tok.rateOf([3, 2, 4, 4, 2])).toEqual({ tokenShape: [2, 4, 4], codebookSizes: [16, 16] });
  });
});

describe('quantizer configs', () => {
  it('uses the FSQ paper levels for its table sizes and powers of two otherwise', () => {
    expect(fsqLevelsFor(256)).toEqual([8, 6, 5]);
    expect(fsqLevelsFor(64)).toEqual([4, 4, 4]);
    expect(fsqLevelsFor(32).reduce((a, b) => a * b, 1)).toBe(32);
  });

  it('refuses LFQ with a size that is not a power of two', () => {
    expect(() => quantizerConfig('lfq', { dim: 8, codebookSize: 1000 })).toThrow(TokenizerSpecError);
    expect(() => quantizerConfig('pq', { dim: 8, codebookSize: 16 })).toThrow(/unknown quantizer 'pq'/);
  });
});

describe('tokenizer specs', () => {
  it('loads a JSON config and names a bad field', () => {
    const dir = makeTempDir('zoo-spec-');
    const good = join(dir, 'good.json');
    writeFileSync(good, JSON.stringify({ name: 'mine', encoder: { name: 'conv2d', config: { ch: 8 } }, quantizer: { name: 'fsq', config: { levels: [4, 4] } } }));
    const [s] = loadTokenizerSpecs(good);
    expect(s!.losses.reconstruction).toBe('l1');
    expect(() => parseTokenizerSpec({ name: 'x', encoder: { name: 'conv2d' } }, 'cfg')).toThrow(/cfg is invalid: quantizer/);
  });

  it('wraps a bad component config in a TokenizerSpecError naming the component', () => {
    const spec = parseTokenizerSpec({ name: 'x', encoder: { name: 'conv2d', config: { ch: -1 } }, quantizer: { name: 'fsq', config: { levels: [4] } } });
    expect(() => new Tokenizer(spec)).toThrow(/cannot build encoder 'conv2d'/);
  });
});
