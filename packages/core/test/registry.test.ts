import { z } from 'zod';
import { Registry, UnknownComponentError, ConfigError, editDistance, nearest, unknownKeys } from '../src/index.js';

interface ToyConfig { dim: number; mode: 'a' | 'b' }
class Toy { constructor(readonly cfg: ToyConfig) {} }

declare module '../src/registry.js' {
  interface ComponentTypes {
    'quantizer:toy-test': { config: ToyConfig; instance: Toy };
  }
}

const schema = z.object({ dim: z.number().int().positive().default(8), mode: z.enum(['a', 'b']).default('a') });

describe('registry', () => {
  const r = new Registry();
  r.register('quantizer', 'toy-test', (c) => new Toy(c), { schema, description: 'toy' });

  it('creates with defaults filled in', () => {
    const t = r.create('quantizer', 'toy-test', { dim: 4 });
    expect(t.cfg).toEqual({ dim: 4, mode: 'a' });
  });

  it('lists registered names on an unknown name', () => {
    expect(() => r.createDynamic('quantizer', 'nope')).toThrow(UnknownComponentError);
    expect(() => r.createDynamic('quantizer', 'nope')).toThrow(/Registered quantizers: toy-test/);
  });

  it('names the field, the value and what is allowed', () => {
    try {
      r.createDynamic('quantizer', 'toy-test', { mode: 'c' });
      throw new Error('did not throw');
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as Error).message).toMatch(/mode = "c"/);
      expect((e as Error).message).toMatch(/"a"|'a'/);
    }
  });

  it('rejects unknown names at compile time', () => {
    // @ts-expect-error 'nope' is not a registered quantizer
    expect(() => r.create('quantizer', 'nope')).toThrow(UnknownComponentError);
  });

  it('rejects wrong config types at compile time', () => {
    const make = () =>
      // @ts-expect-error dim must be a number
      r.create('quantizer', 'toy-test', { dim: 'big' });
    expect(make).toThrow(/dim = "big"/);
  });
});

describe('unknown config keys', () => {
  const r = new Registry();
  r.register('quantizer', 'toy-test', (c) => new Toy(c), { schema, description: 'toy' });

  it('are an error naming the key and the nearest valid one, not silently dropped', () => {
    expect(() => r.createDynamic('quantizer', 'toy-test', { dim: 4, mdoe: 'b' })).toThrow(ConfigError);
    expect(() => r.createDynamic('quantizer', 'toy-test', { dim: 4, mdoe: 'b' })).toThrow(
      /mdoe = "b": unknown key 'mdoe' \(did you mean 'mode'\? valid: dim, mode\)/,
    );
    expect(() => r.createDynamic('quantizer', 'toy-test', { zzzzzz: 1 })).toThrow(/unknown key 'zzzzzz' \(valid: dim, mode\)/);
  });

  it('are found at any depth, through defaults, optionals, arrays, records and unions; loose objects accept any key', () => {
    const nested = z.object({
      layer: z.object({ kind: z.string(), config: z.object({ size: z.number() }).default({ size: 1 }) }).optional(),
      list: z.array(z.object({ a: z.number() })).default([]),
      byName: z.record(z.string(), z.object({ b: z.number() })).default({}),
      either: z.union([z.object({ x: z.number() }), z.object({ y: z.number() })]).optional(),
      free: z.looseObject({ known: z.number().optional() }).default({}),
    });
    const found = unknownKeys(nested, {
      layer: { kind: 'vq', config: { szie: 2 } },
      list: [{ a: 1 }, { a: 2, c: 3 }],
      byName: { k: { b: 1, bb: 2 } },
      either: { y: 1 },
      free: { anything: true },
    });
    expect(found.map((u) => [...u.path, u.key].join('.'))).toEqual(['layer.config.szie', 'list.1.c', 'byName.k.bb']);
    expect(found[0]!.suggestion).toBe('size');
    expect(unknownKeys(nested, { either: { y: 1, z: 2 } }).map((u) => u.key)).toEqual(['z']);
  });

  it('nearest() suggests only plausible typos', () => {
    expect(nearest('numResBlock', ['numResBlocks', 'ch', 'chMult'])).toBe('numResBlocks');
    expect(nearest('codebooksize', ['codebookSize', 'dim'])).toBe('codebookSize');
    expect(nearest('banana', ['dim', 'mode'])).toBeUndefined();
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });
});
