/**
 * LPIPS v0.1 (Zhang et al. 2018, richzhang/PerceptualSimilarity), written
 * against `Ops` so it is both a metric and a differentiable loss:
 *
 *   x' = (x − shift) / scale                  x in [−1, 1], RGB
 *   f_k = ReLU taps of a frozen backbone
 *   f̂_k = f_k / (‖f_k‖_channels + 1e-10)
 *   d = Σ_k mean_hw( lin_k · (f̂_k(x) − f̂_k(y))² )     (lin_k: 1x1 conv, no bias)
 *
 * Backbones: 'alex' (default, the LPIPS project's default) and 'squeeze'
 * ship with this package (weights/); 'vgg' needs a user-provided
 * safetensors file with the same key layout (`features.N.*`, `linK.weight`).
 * All weights are buffers, never trained.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { HostTensor, Module, ShapeError, parseSafetensors, type Ops, type Tensor, type Variable } from '@zoo/core';
import { LpipsWeightsError } from '../errors.js';
import { ALEXNET, SQUEEZENET, VGG16, type BackboneSpec } from './backbones.js';

export type LpipsNet = 'alex' | 'squeeze' | 'vgg';
export const LPIPS_NETS: readonly LpipsNet[] = ['alex', 'squeeze', 'vgg'];

export interface LpipsConfig {
  /** Backbone. Default 'alex' (LPIPS v0.1 default). */
  net?: LpipsNet;
  /** Safetensors file; default the shipped file for 'alex'/'squeeze'; required for 'vgg'. */
  weightsPath?: string;
}

const SHIFT = [-0.03, -0.088, -0.188];
const SCALE = [0.458, 0.448, 0.45];
const NORM_EPS = 1e-10;

const SPECS: Record<LpipsNet, BackboneSpec> = { alex: ALEXNET, squeeze: SQUEEZENET, vgg: VGG16 };

/** Path of the weights shipped with this package (src/ at dev time, dist/src/ once built). */
export function shippedLpipsWeights(net: 'alex' | 'squeeze'): string {
  const file = `lpips_${net}_v0.1.safetensors`;
  for (const rel of ['../../weights/', '../../../weights/']) {
    const p = fileURLToPath(new URL(rel + file, import.meta.url));
    if (existsSync(p)) return p;
  }
  throw new LpipsWeightsError(`LPIPS: shipped weights '${file}' not found next to the @zoo/losses package`);
}

/** Float tensors of a safetensors file, read synchronously so registry factories stay synchronous. */
function readWeights(path: string): Map<string, HostTensor<'float32'>> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new LpipsWeightsError(`LPIPS: cannot read weights file '${path}': ${(e as Error).message}`);
  }
  const out = new Map<string, HostTensor<'float32'>>();
  for (const [name, t] of Object.entries(parseSafetensors(bytes, path).tensors)) {
    if (t.dtype !== 'float32') throw new LpipsWeightsError(`LPIPS: '${name}' in '${path}' is ${t.dtype}, expected a float tensor`);
    out.set(name, t as HostTensor<'float32'>);
  }
  return out;
}

export class LPIPS extends Module {
  readonly net: LpipsNet;
  private readonly spec: BackboneSpec;
  private readonly w = new Map<string, Variable>();

  constructor(config: LpipsConfig = {}) {
    super();
    this.net = config.net ?? 'alex';
    if (!LPIPS_NETS.includes(this.net)) {
      throw new LpipsWeightsError(`LPIPS: unknown net '${String(this.net)}'. Valid: ${LPIPS_NETS.join(', ')}`);
    }
    if (this.net === 'vgg' && !config.weightsPath) {
      throw new LpipsWeightsError(
        "LPIPS: net 'vgg' needs weightsPath (a safetensors file with torchvision vgg16 `features.N.*` and LPIPS `lin0..lin4.weight`); " +
          "its weights are not shipped. Use net 'alex' or 'squeeze' for the bundled weights.",
      );
    }
    this.spec = SPECS[this.net];
    const path = config.weightsPath ?? shippedLpipsWeights(this.net as 'alex' | 'squeeze');
    this.load(readWeights(path), path);
    this.eval();
    // Fixed pretrained weights: baked into onnx graphs, training steps that use LPIPS as a loss
    // included (LPIPS-Alex forward + input gradient at 64 px measured ~20% faster).
    this.markConstant();
  }

  private take(tensors: Map<string, HostTensor<'float32'>>, key: string, path: string, shape?: readonly number[]): void {
    const t = tensors.get(key);
    if (!t) throw new LpipsWeightsError(`LPIPS(${this.net}): '${path}' has no tensor '${key}'`);
    if (shape && (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]))) {
      throw new LpipsWeightsError(`LPIPS(${this.net}): '${key}' in '${path}' has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}]`);
    }
    this.w.set(key, this.buffer(key, t));
  }

  private load(tensors: Map<string, HostTensor<'float32'>>, path: string): void {
    for (const layer of this.spec.layers) {
      const convKeys =
        layer.kind === 'conv' ? [layer.key] : layer.kind === 'fire' ? ['squeeze', 'expand1x1', 'expand3x3'].map((s) => `${layer.key}.${s}`) : [];
      for (const k of convKeys) {
        this.take(tensors, `${k}.weight`, path);
        this.take(tensors, `${k}.bias`, path);
      }
    }
    this.spec.tapChannels.forEach((c, i) => this.take(tensors, `lin${i}.weight`, path, [1, c, 1, 1]));
  }

  private v(ops: Ops, key: string): Tensor {
    return ops.variable(this.w.get(key)!);
  }

  private convRelu(ops: Ops, x: Tensor, key: string, stride: number, padding: number): Tensor {
    return ops.relu(ops.conv(x, this.v(ops, `${key}.weight`), this.v(ops, `${key}.bias`), { stride, padding }));
  }

  /** The tapped ReLU feature maps, in order. */
  features(ops: Ops, x: Tensor): Tensor[] {
    const taps: Tensor[] = [];
    let h = x;
    for (const layer of this.spec.layers) {
      switch (layer.kind) {
        case 'conv':
          h = ops.conv(h, this.v(ops, `${layer.key}.weight`), this.v(ops, `${layer.key}.bias`), { stride: layer.stride, padding: layer.padding });
          break;
        case 'relu':
          h = ops.relu(h);
          break;
        case 'maxpool':
          h = ops.maxPool(h, { kernel: layer.kernel, stride: layer.stride, ceilMode: layer.ceilMode });
          break;
        case 'fire': {
          const s = this.convRelu(ops, h, `${layer.key}.squeeze`, 1, 0);
          h = ops.concat([this.convRelu(ops, s, `${layer.key}.expand1x1`, 1, 0), this.convRelu(ops, s, `${layer.key}.expand3x3`, 1, 1)], 1);
          break;
        }
        case 'tap':
          taps.push(h);
          break;
      }
    }
    return taps;
  }

  /** Per-sample distances [N] between x and y, both [N, 3, H, W] in [−1, 1]. */
  distance(ops: Ops, x: Tensor, y: Tensor): Tensor {
    const where = `LPIPS(${this.net})`;
    if (x.shape.length !== 4 || x.shape[1] !== 3) throw new ShapeError(where, '[N, 3, H, W]', x.shape);
    if (y.shape.length !== 4 || y.shape.some((d, i) => d !== x.shape[i])) {
      throw new ShapeError(where, `[${x.shape.join(', ')}] (the shape of x)`, y.shape);
    }
    const n = x.shape[0]!;
    const shift = ops.constant(SHIFT, [1, 3, 1, 1]);
    const scale = ops.constant(SCALE, [1, 3, 1, 1]);
    // One backbone pass over both images: half the kernel launches.
    const both = ops.div(ops.sub(ops.concat([x, y], 0), shift), scale);
    let total: Tensor | undefined;
    this.features(ops, both).forEach((f, k) => {
      const unit = ops.div(f, ops.add(ops.sqrt(ops.sum(ops.square(f), 1, true)), NORM_EPS));
      const fx = ops.slice(unit, [0], [n], [0]);
      const fy = ops.slice(unit, [n], [2 * n], [0]);
      const weighted = ops.conv(ops.square(ops.sub(fx, fy)), this.v(ops, `lin${k}.weight`));
      const perSample = ops.reshape(ops.mean(weighted, [1, 2, 3]), [n]);
      total = total ? ops.add(total, perSample) : perSample;
    });
    return total!;
  }

  /** The loss: mean LPIPS distance over the batch. */
  forward(ops: Ops, x: Tensor, y: Tensor): Tensor {
    return ops.mean(this.distance(ops, x, y));
  }
}
