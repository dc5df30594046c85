/**
 * PatchGAN discriminator: taming-transformers' NLayerDiscriminator (itself
 * pix2pix's), 4x4 convs with padding 1, LeakyReLU 0.2, one logit per patch.
 *
 *   main.0 Conv(in, ndf, s2, bias) · LeakyReLU
 *   for n in 1..nLayers−1: Conv(ndf·min(2^(n−1),8) → ndf·min(2^n,8), s2) · Norm · LeakyReLU
 *   Conv(→ ndf·min(2^nLayers,8), s1) · Norm · LeakyReLU
 *   Conv(→ 1, s1, bias)
 *
 * State-dict keys follow taming's `main.N.*` Sequential indices (with
 * norm 'none' there is no norm module, so later indices shift down).
 * Hidden convs have no bias when followed by BatchNorm (taming's use_bias),
 * and a bias otherwise. Init follows taming's weights_init: conv weights
 * N(0, 0.02), norm weights N(1, 0.02), norm biases 0; conv biases keep
 * PyTorch's default init. BatchNorm is core's (torch.nn.BatchNorm2d semantics:
 * running statistics updated in train mode, used in eval mode).
 */
import { BatchNorm, Block, Conv2d, GroupNorm, LeakyReLU, Rng, Sequential, checkChannelsFirst, type Layer, type Module, type Ops, type Tensor } from '@zoo/core';
import { DiscriminatorConfigError } from './errors.js';
import { initConstant, initNormal } from './init.js';

export type PatchGanNorm = 'batch' | 'group' | 'none';

export interface PatchGanConfig {
  /** Input channels. Default 3. */
  inChannels?: number;
  /** Filters of the first conv. Default 64 (taming ndf). */
  ndf?: number;
  /** Default 3 (taming NLayerDiscriminator; VQGAN's disc_num_layers default). */
  nLayers?: number;
  /** Default 'batch' (taming). 'group' uses min(32, C) groups (eps 1e-5). */
  norm?: PatchGanNorm;
  /** Seed of the init generator. Default 0. */
  seed?: number;
}

export class PatchGAN extends Block {
  readonly main: Sequential;
  readonly inChannels: number;

  constructor(config: PatchGanConfig = {}) {
    super();
    const inChannels = (this.inChannels = config.inChannels ?? 3);
    const ndf = config.ndf ?? 64;
    const nLayers = config.nLayers ?? 3;
    const norm = config.norm ?? 'batch';
    if (!['batch', 'group', 'none'].includes(norm)) {
      throw new DiscriminatorConfigError(`PatchGAN: norm must be 'batch', 'group' or 'none', got '${String(norm)}'`);
    }
    if (!(Number.isInteger(nLayers) && nLayers >= 1)) throw new DiscriminatorConfigError(`PatchGAN: nLayers must be an integer >= 1, got ${nLayers}`);
    const rng = new Rng(config.seed ?? 0);
    const act = (): LeakyReLU => new LeakyReLU(0.2);
    const hiddenBias = norm !== 'batch';
    const normFor = (c: number): (Module & Layer)[] =>
      norm === 'batch' ? [new BatchNorm(c)] : norm === 'group' ? [new GroupNorm(Math.min(32, c), c)] : [];
    const layers: (Module & Layer)[] = [new Conv2d(inChannels, ndf, 4, { stride: 2, padding: 1, rng }), act()];
    let mult = 1;
    for (let n = 1; n <= nLayers; n++) {
      const prev = mult;
      mult = Math.min(2 ** n, 8);
      const stride = n < nLayers ? 2 : 1;
      layers.push(new Conv2d(ndf * prev, ndf * mult, 4, { stride, padding: 1, bias: hiddenBias, rng }), ...normFor(ndf * mult), act());
    }
    layers.push(new Conv2d(ndf * mult, 1, 4, { stride: 1, padding: 1, rng }));
    for (const layer of layers) {
      if (layer instanceof Conv2d) initNormal(layer.weight, rng, 0, 0.02);
      if (layer instanceof BatchNorm || layer instanceof GroupNorm) {
        if (layer.weight) initNormal(layer.weight, rng, 1, 0.02);
        if (layer.bias) initConstant(layer.bias, 0);
      }
    }
    this.main = this.child('main', new Sequential(...layers));
    // Name every variable now (main.N.*): engines key graph inputs by Variable.key.
    this.namedVariables();
  }

  /** x [N, C, H, W] → patch logits [N, 1, h, w]. */
  forward(ops: Ops, x: Tensor): Tensor {
    checkChannelsFirst('PatchGAN', x, 2, this.inChannels);
    return this.main.forward(ops, x);
  }
}
