import { Module, ShapeError, type Engine, type HostTensor, type Tensor } from '@zoo/core';
import { Rng } from '@zoo/core';
import { VideoDecoder, VideoEncoder, type EncoderFamily } from '../src/index.js';
import { ENGINE_NAMES, disposeEngines, makeEngine, randn } from './engines.js';

const tiny = { ch: 4, numResBlocks: 1, zChannels: 3, normGroups: 2 };

/** Encoder and decoder under one root, so every variable has a unique key ("encoder.…", "decoder.…"). */
class Pair extends Module {
  constructor(readonly enc: VideoEncoder, readonly dec: VideoDecoder) {
    super();
    this.child('encoder', enc);
    this.child('decoder', dec);
    this.namedVariables();
  }
}

async function roundTrip(engine: Engine, enc: VideoEncoder, dec: VideoDecoder, x: HostTensor): Promise<{ z: HostTensor; y: HostTensor }> {
  new Pair(enc, dec);
  const f = engine.compile<{ x: HostTensor }, { z: Tensor; y: Tensor }>((ops, inp) => {
    const z = enc.forward(ops, inp.x);
    return { z, y: dec.forward(ops, z) };
  });
  return f.run({ x });
}

afterAll(disposeEngines);

// [family, extra config, input shape, expected latent shape]
const cases: [EncoderFamily, Record<string, unknown>, number[], number[]][] = [
  ['conv2d', { chMult: [1, 2] }, [2, 3, 8, 8], [2, 3, 4, 4]],
  ['conv2d', { chMult: [1, 1, 2] }, [1, 3, 3, 8, 16], [1, 3, 3, 2, 4]],
  ['conv2d', { chMult: [1, 1, 2], spatialCompression: 2, attention: false }, [1, 3, 2, 8, 8], [1, 3, 2, 4, 4]],
  ['inflated3d', { chMult: [1, 2], temporalCompression: 2 }, [1, 3, 4, 8, 8], [1, 3, 2, 4, 4]],
  ['inflated3d', { chMult: [1, 1, 2], temporalCompression: 4, spatialPadding: 'reflect' }, [1, 3, 4, 8, 8], [1, 3, 1, 2, 2]],
  ['inflated3d', { chMult: [1, 2], temporalCompression: 1, attention: true }, [1, 3, 8, 8], [1, 3, 4, 4]],
  ['causal3d', { chMult: [1, 1, 2], temporalCompression: 4 }, [1, 3, 5, 8, 8], [1, 3, 2, 2, 2]],
  ['causal3d', { chMult: [1, 1, 2], temporalCompression: 4, padMode: 'replicate' }, [1, 3, 8, 8], [1, 3, 2, 2]],
  ['causal3d', { chMult: [1, 2], temporalCompression: 2, attention: true }, [2, 3, 3, 8, 8], [2, 3, 2, 4, 4]],
];

describe.each(ENGINE_NAMES)('encoder/decoder output shapes on %s', (name) => {
  test.each(cases)('%s %j: %j -> %j', async (family, extra, inShape, latent) => {
    const cfg = { ...tiny, ...extra };
    const enc = new VideoEncoder(family, cfg);
    const dec = new VideoDecoder(family, cfg);
    expect(enc.latentShape(inShape)).toEqual(latent);
    expect(dec.outputShape(latent)).toEqual(inShape);
    const { z, y } = await roundTrip(await makeEngine(name), enc, dec, randn(new Rng(1), inShape));
    expect(z.shape).toEqual(latent);
    expect(y.shape).toEqual(inShape);
    expect(Array.from(y.data).every(Number.isFinite)).toBe(true);
  });
});

describe('shape errors name the module, what it takes and what it got', () => {
  test.each<[EncoderFamily, Record<string, unknown>, number[], RegExp]>([
    ['causal3d', { chMult: [1, 1, 2], temporalCompression: 4 }, [1, 3, 4, 8, 8], /T = 1 \+ 4k/],
    ['inflated3d', { chMult: [1, 2], temporalCompression: 2 }, [1, 3, 3, 8, 8], /T divisible by 2/],
    ['conv2d', { chMult: [1, 2] }, [1, 3, 7, 8], /H, W divisible by 2/],
    ['conv2d', { chMult: [1, 2] }, [1, 4, 8, 8], /\[1, 4, 8, 8\]/],
    ['conv2d', { chMult: [1, 2] }, [3, 8, 8], /conv2d encoder/],
  ])('%s %j rejects %j', (family, extra, shape, msg) => {
    const enc = new VideoEncoder(family, { ...tiny, ...extra });
    const fake = { shape, dtype: 'float32' as const };
    expect(() => enc.forward({} as never, fake)).toThrow(ShapeError);
    expect(() => enc.forward({} as never, fake)).toThrow(msg);
  });

  test('decoder rejects the wrong latent channels', () => {
    const dec = new VideoDecoder('causal3d', { ...tiny, chMult: [1, 2], temporalCompression: 2 });
    expect(() => dec.forward({} as never, { shape: [1, 5, 2, 4, 4], dtype: 'float32' })).toThrow(/causal3d decoder.*\[1, 5, 2, 4, 4\]/);
  });
});
