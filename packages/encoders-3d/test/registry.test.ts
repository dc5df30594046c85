import { ConfigError, HostTensor, Rng, ShapeError, create, createDynamic, registry, type Tensor } from '@zoo/core';
import {
  Causal3dEncoder,
  EncoderConfigError,
  VideoEncoder,
  createFromPreset,
  getPreset,
  kitCausal,
  presetNames,
  presets,
} from '../src/index.js';
import { benchEncoders } from '../src/bench.js';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ENGINE_NAMES, disposeEngines, makeEngine, maxAbs, maxAbsDiff } from './engines.js';

afterAll(disposeEngines);

describe('registry', () => {
  test('encoder and decoder kinds are registered for all three families', () => {
    for (const kind of ['encoder', 'decoder'] as const) {
      expect(registry.names(kind)).toEqual(expect.arrayContaining(['causal3d', 'conv2d', 'inflated3d']));
    }
  });

  test('create fills defaults from the schema and returns the typed instance', () => {
    const enc = create('encoder', 'causal3d', { ch: 4, chMult: [1, 1, 2], numResBlocks: 1, zChannels: 3, normGroups: 2 });
    expect(enc).toBeInstanceOf(Causal3dEncoder);
    expect(enc.config.temporalCompression).toBe(4);
    expect(enc.config.padMode).toBe('constant');
    expect(enc.latentShape([1, 3, 5, 8, 8])).toEqual([1, 3, 2, 2, 2]);
  });

  test('bad config values name the field and what is allowed', () => {
    expect(() => createDynamic('encoder', 'inflated3d', { chMult: [1, 2], temporalCompression: 8 })).toThrow(ConfigError);
    expect(() => createDynamic('encoder', 'inflated3d', { chMult: [1, 2], temporalCompression: 8 })).toThrow(/temporalCompression.*power of 2/);
    expect(() => createDynamic('decoder', 'causal3d', { padMode: 'reflect' })).toThrow(/padMode/);
    expect(() => new VideoEncoder('conv2d', { ch: -1 })).toThrow(EncoderConfigError);
  });
});

describe('presets', () => {
  test('every preset resolves; paper presets have the published compression and widths', () => {
    for (const n of presetNames()) expect(getPreset(n).family).toBeDefined();
    const { encoder } = createFromPreset('magvit2-tiny');
    expect(encoder.compression).toEqual({ time: 4, space: 4 });
    expect(presets.magvit2.config).toMatchObject({ ch: 128, chMult: [1, 2, 2, 4], numResBlocks: 4, zChannels: 18, temporalCompression: 4 });
    expect(presets['magvit-b'].config).toMatchObject({ ch: 64, temporalCompression: 4 });
    expect(presets['vqgan-f16'].config).toMatchObject({ ch: 128, chMult: [1, 1, 2, 2, 4], zChannels: 256 });
    expect(() => getPreset('nope')).toThrow(/unknown encoder preset 'nope'.*magvit2/);
  });
});

interface Fixture {
  inputs: { x: { shape: number[]; data: number[] } };
  params: Record<'weight' | 'bias', { shape: number[]; data: number[] }>;
  outputs: Record<'constant' | 'replicate', { shape: number[]; data: number[] }>;
}
const fixture = JSON.parse(readFileSync(fileURLToPath(new URL('./fixtures/causal_conv3d.json', import.meta.url)), 'utf8')) as Fixture;
const host = (t: { shape: number[]; data: number[] }) => HostTensor.from(t.data, t.shape);

describe.each(ENGINE_NAMES)('on %s', (name) => {
  test.each(['constant', 'replicate'] as const)('the causal kit conv matches magvit2-pytorch CausalConv3d (%s)', async (mode) => {
    const conv = kitCausal(mode, mode).conv(3, 4, 3, new Rng(0));
    conv.loadStateDict({ 'conv.weight': host(fixture.params.weight), 'conv.bias': host(fixture.params.bias) });
    const engine = await makeEngine(name);
    const y = (await engine.compile<{ x: HostTensor }, { y: Tensor }>((ops, i) => ({ y: conv.forward(ops, i.x) })).run({ x: host(fixture.inputs.x) })).y;
    const want = fixture.outputs[mode];
    expect(y.shape).toEqual(want.shape);
    expect(maxAbsDiff(y.data, want.data)).toBeLessThanOrEqual(1e-5 * Math.max(1, maxAbs(want.data)));
  });

  test('benchEncoders reports one row per family and size', async () => {
    const engine = await makeEngine(name);
    const rows = await benchEncoders(engine, {
      presets: { conv2d: 'vqgan-tiny', inflated3d: 'magvit-tiny', causal3d: 'magvit2-tiny' },
      frames: 5,
      sizes: [8],
      warmup: 0,
      repeats: 1,
    });
    expect(rows.map((r) => [r.family, r.frames, r.size])).toEqual([
      ['conv2d', 5, 8],
      ['inflated3d', 4, 8],
      ['causal3d', 5, 8],
    ]);
    for (const r of rows) expect(r.encodeClipsPerSec).toBeGreaterThan(0);
    expect(rows[2]!.latentShape).toEqual([1, 4, 2, 2, 2]);
  });

  test('bad input shapes throw ShapeError before any engine work', () => {
    const enc = new VideoEncoder('causal3d', { ch: 4, chMult: [1, 1, 2], numResBlocks: 1, zChannels: 3, normGroups: 2 });
    expect(() => enc.latentShape([1, 3, 6, 8, 8])).toThrow(ShapeError);
  });
});
