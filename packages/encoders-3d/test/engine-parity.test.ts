/**
 * Forward values and gradients (valueAndGrad w.r.t. the input and every
 * parameter) of each family agree between the onnx and tfjs engines.
 */
import { HostTensor, Module, Rng, type Engine, type Tensor } from '@zoo/core';
import { VideoDecoder, VideoEncoder, type EncoderFamily } from '../src/index.js';
import { ENGINE_NAMES, disposeEngines, makeEngine, maxAbs, maxAbsDiff, randn } from './engines.js';

afterAll(disposeEngines);

class Autoencoder extends Module {
  readonly encoder: VideoEncoder;
  readonly decoder: VideoDecoder;
  constructor(family: EncoderFamily, cfg: Record<string, unknown>) {
    super();
    this.encoder = this.child('encoder', new VideoEncoder(family, cfg));
    this.decoder = this.child('decoder', new VideoDecoder(family, cfg));
    this.namedVariables();
  }
}

async function lossAndGrads(engine: Engine, ae: Autoencoder, x: HostTensor, target: HostTensor): Promise<Record<string, HostTensor>> {
  const f = engine.valueAndGrad<{ x: HostTensor; target: HostTensor }, { loss: Tensor; z: Tensor }>(
    (ops, inp) => {
      const z = ae.encoder.forward(ops, inp.x);
      const y = ae.decoder.forward(ops, z);
      return { loss: ops.mean(ops.square(ops.sub(y, inp.target))), z };
    },
    { inputs: ['x'], variables: ae.parameters() },
  );
  return (await f.run({ x, target })) as Record<string, HostTensor>;
}

const tiny = { ch: 4, numResBlocks: 1, zChannels: 3, normGroups: 2 };
const cases: [EncoderFamily, Record<string, unknown>, number[]][] = [
  ['conv2d', { ...tiny, chMult: [1, 2], attention: true }, [1, 3, 2, 8, 8]],
  ['inflated3d', { ...tiny, chMult: [1, 2], temporalCompression: 2, spatialPadding: 'reflect' }, [1, 3, 2, 8, 8]],
  ['causal3d', { ...tiny, chMult: [1, 2], temporalCompression: 2, attention: true }, [1, 3, 3, 8, 8]],
];

const both = ENGINE_NAMES.includes('onnx') && ENGINE_NAMES.includes('tfjs');
(both ? describe : describe.skip)('onnx vs tfjs', () => {
  test.each(cases)('%s: forward and gradients agree', async (family, cfg, shape) => {
    const ae = new Autoencoder(family, cfg);
    const rng = new Rng(9);
    const x = randn(rng, shape);
    const target = randn(rng, shape);
    const want = await lossAndGrads(await makeEngine('tfjs'), ae, x, target);
    const got = await lossAndGrads(await makeEngine('onnx'), ae, x, target);
    const keys = Object.keys(want).sort();
    expect(Object.keys(got).sort()).toEqual(keys);
    expect(keys).toEqual(expect.arrayContaining(['loss', 'z', 'grad:x']));
    expect(keys.filter((k) => k.startsWith('grad:encoder.')).length).toBe(ae.encoder.parameters().length);
    expect(keys.filter((k) => k.startsWith('grad:decoder.')).length).toBe(ae.decoder.parameters().length);
    const bad: string[] = [];
    for (const k of keys) {
      const tol = (k.startsWith('grad:') ? 1e-4 : 1e-5) * Math.max(1, maxAbs(want[k]!.data));
      const d = maxAbsDiff(got[k]!.data, want[k]!.data);
      if (!(d <= tol)) bad.push(`${k}: ${d}`);
    }
    expect(bad).toEqual([]);
    // the gradient is not trivially zero
    expect(maxAbs(want['grad:x']!.data)).toBeGreaterThan(0);
  });
});
