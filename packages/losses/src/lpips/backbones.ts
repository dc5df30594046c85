/**
 * The frozen feature extractors of LPIPS v0.1, described as data: a list of
 * layers over torchvision's `features` Sequential (same indices, so the
 * torchvision state-dict keys `features.N.*` load unchanged) and the taps
 * whose ReLU outputs LPIPS compares.
 */
export type BackboneLayer =
  | { kind: 'conv'; key: string; stride: number; padding: number }
  | { kind: 'relu' }
  | { kind: 'maxpool'; kernel: number; stride: number; ceilMode: boolean }
  /** SqueezeNet Fire module: squeeze 1x1 + ReLU, then concat(ReLU(expand1x1), ReLU(expand3x3, pad 1)). */
  | { kind: 'fire'; key: string }
  | { kind: 'tap' };

export interface BackboneSpec {
  layers: readonly BackboneLayer[];
  /** Channels of each tapped feature map (the LPIPS lin layers' inputs). */
  tapChannels: readonly number[];
}

const conv = (i: number, stride: number, padding: number): BackboneLayer => ({ kind: 'conv', key: `features.${i}`, stride, padding });
const relu: BackboneLayer = { kind: 'relu' };
const tap: BackboneLayer = { kind: 'tap' };
const pool = (kernel: number, stride: number, ceilMode = false): BackboneLayer => ({ kind: 'maxpool', kernel, stride, ceilMode });
const fire = (i: number): BackboneLayer => ({ kind: 'fire', key: `features.${i}` });

/** torchvision alexnet().features; taps after ReLUs 1, 4, 7, 9, 11. */
export const ALEXNET: BackboneSpec = {
  layers: [
    conv(0, 4, 2), relu, tap, pool(3, 2),
    conv(3, 1, 2), relu, tap, pool(3, 2),
    conv(6, 1, 1), relu, tap,
    conv(8, 1, 1), relu, tap,
    conv(10, 1, 1), relu, tap,
  ],
  tapChannels: [64, 192, 384, 256, 256],
};

/** torchvision squeezenet1_1().features (ceil_mode pools); taps after modules 1, 4, 7, 9, 10, 11, 12. */
export const SQUEEZENET: BackboneSpec = {
  layers: [
    conv(0, 2, 0), relu, tap,
    pool(3, 2, true), fire(3), fire(4), tap,
    pool(3, 2, true), fire(6), fire(7), tap,
    pool(3, 2, true), fire(9), tap,
    fire(10), tap,
    fire(11), tap,
    fire(12), tap,
  ],
  tapChannels: [64, 128, 256, 384, 384, 512, 512],
};

/** torchvision vgg16().features; taps after relu1_2, relu2_2, relu3_3, relu4_3, relu5_3. */
export const VGG16: BackboneSpec = {
  layers: [
    conv(0, 1, 1), relu, conv(2, 1, 1), relu, tap, pool(2, 2),
    conv(5, 1, 1), relu, conv(7, 1, 1), relu, tap, pool(2, 2),
    conv(10, 1, 1), relu, conv(12, 1, 1), relu, conv(14, 1, 1), relu, tap, pool(2, 2),
    conv(17, 1, 1), relu, conv(19, 1, 1), relu, conv(21, 1, 1), relu, tap, pool(2, 2),
    conv(24, 1, 1), relu, conv(26, 1, 1), relu, conv(28, 1, 1), relu, tap,
  ],
  tapChannels: [64, 128, 256, 512, 512],
};
