/**
 * Forward values and gradients of composed nn blocks agree between the onnx
 * engine (our graph autodiff) and the tfjs engine (tfjs's tape).
 */
import {
  CausalConv3d,
  Conv2d,
  ConvTranspose2d,
  GELU,
  GroupNorm,
  HostTensor,
  LayerNorm,
  Linear,
  Rng,
  Sequential,
  SiLU,
  SpatialAttention,
  Upsample,
  Downsample,
  depthToSpace3d,
  Block,
  type Engine,
  type Ops,
  type Module,
  type Layer,
  type Tensor,
} from '../src/index.js';
import { ENGINE_NAMES, disposeEngines, makeEngine } from './nn-engines.js';
import { maxAbsDiff, randn } from './nn-reference.js';

afterAll(disposeEngines);

async function gradsOn(engine: Engine, model: Module & Layer, x: HostTensor, r: HostTensor): Promise<Record<string, HostTensor>> {
  const vars = model.namedVariables().map(([, v]) => v);
  const f = engine.valueAndGrad<{ x: HostTensor; r: HostTensor }, { loss: Tensor; y: Tensor }>(
    (ops, inp) => {
      const y = model.forward(ops, inp.x);
      return { loss: ops.sum(ops.mul(y, inp.r)), y };
    },
    { inputs: ['x'], variables: vars },
  );
  return (await f.run({ x, r })) as Record<string, HostTensor>;
}

class CausalUpsampler extends Block {
  readonly conv = this.child('conv', new CausalConv3d(2, 8, 3, { rng: new Rng(2) }));
  forward(ops: Ops, x: Tensor): Tensor {
    // time and space (8 = 2·2·2 channels per output channel): both of depthToSpace3d's steps get gradients
    return depthToSpace3d(ops, ops.leakyRelu(this.conv.forward(ops, x), 0.2), [2, 2, 2]);
  }
}

const cases: [string, () => Module & Layer, number[]][] = [
  [
    'conv2d / groupnorm / silu / attention / upsample / downsample',
    () => {
      const rng = new Rng(1);
      return new Sequential(
        new Conv2d(2, 4, 3, { padding: 1, paddingMode: 'reflect', rng }),
        new GroupNorm(2, 4),
        new SiLU(),
        new SpatialAttention(4, 2, { heads: 2, normGroups: 2, rng }),
        new Downsample(4, 2, { rng }),
        new Upsample(4, 2, { rng }),
        new ConvTranspose2d(4, 2, 3, { padding: 1, rng }),
      );
    },
    [1, 2, 4, 4],
  ],
  ['causal conv3d / depth-to-space', () => new CausalUpsampler(), [1, 2, 3, 4, 4]],
  [
    'linear / layernorm / gelu',
    () => {
      const rng = new Rng(3);
      return new Sequential(new Linear(4, 6, { rng }), new LayerNorm(6), new GELU(), new Linear(6, 3, { rng }));
    },
    [2, 3, 4],
  ],
];

const bothEngines = ENGINE_NAMES.includes('onnx') && ENGINE_NAMES.includes('tfjs');
(bothEngines ? describe : describe.skip)('onnx vs tfjs: forward and valueAndGrad of nn blocks', () => {
  test.each(cases)('%s', async (_label, build, shape) => {
    const model = build();
    const rng = new Rng(11);
    const x = randn(rng, shape);
    const tfjs = await makeEngine('tfjs');
    const onnx = await makeEngine('onnx');
    const r = await lossWeights(tfjs, model, x, rng);
    const want = await gradsOn(tfjs, model, x, r);
    const got = await gradsOn(onnx, model, x, r);
    expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
    expect(Object.keys(want)).toContain('grad:x');
    for (const k of Object.keys(want)) {
      const scale = Math.max(1, ...Array.from(want[k]!.data, Math.abs));
      expect(maxAbsDiff(got[k]!.data, want[k]!.data)).toBeLessThanOrEqual(1e-4 * scale);
    }
  });
});

/** Loss weights r with the output's shape, so the loss sum(y * r) weights every output differently. */
async function lossWeights(engine: Engine, model: Module & Layer, x: HostTensor, rng: Rng): Promise<HostTensor> {
  const f = engine.compile<{ x: HostTensor }, { y: Tensor }>((ops, inp) => ({ y: model.forward(ops, inp.x) }));
  const y = (await f.run({ x })).y;
  return randn(rng, y.shape);
}
