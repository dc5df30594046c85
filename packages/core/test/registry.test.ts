import { z } from 'zod';
import { Registry, UnknownComponentError, ConfigError } from '../src/index.js';

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
