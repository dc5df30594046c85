/**
 * FVD and FID: the Fréchet distance between Gaussians fitted to network
 * features of the reference clips and of their reconstructions, with a
 * user-supplied ONNX feature network (`--fvd-model i3d.onnx`,
 * `--fid-model inception.onnx`). Without the model file the metric reports
 * itself unavailable (it never falls back to random weights).
 *
 * Protocol: features of every reference and every reconstruction fed through
 * update(), mean and unbiased covariance of each set, then d² (frechet.ts).
 * FVD uses one feature row per clip (I3D, NCTHW, [-1, 1]); FID one per frame
 * (Inception, NCHW, [0, 1] for torchvision-style exports). As in the papers,
 * the value is only comparable between runs with the same network and number
 * of samples; the sample count is part of the result.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { HostTensor } from '@zoo/core';
import { frechetDistance, gaussianOf } from './frechet.js';
import { OnnxFeatureExtractor, type FeatureExtractorOptions } from './feature-extractor.js';
import type { MetricValue, ReconstructionMetric } from './layout.js';

export interface FrechetMetricOptions extends Partial<FeatureExtractorOptions> {
  /** Path of the ONNX feature network; undefined or absent file = unavailable. */
  modelPath?: string;
}

export class FrechetMetric implements ReconstructionMetric {
  readonly higherIsBetter = false;
  private extractor: Promise<OnnxFeatureExtractor> | undefined;
  private real: Float32Array[] = [];
  private fake: Float32Array[] = [];
  private unavailable: string | undefined;

  constructor(
    readonly name: 'fvd' | 'fid',
    private readonly opts: FrechetMetricOptions,
  ) {
    const flag = name === 'fvd' ? '--fvd-model i3d.onnx' : '--fid-model inception.onnx';
    if (!opts.modelPath) this.unavailable = `no feature network given (pass ${flag})`;
    else if (!existsSync(resolve(opts.modelPath))) this.unavailable = `feature network ${resolve(opts.modelPath)} not found (pass ${flag})`;
  }

  /** False when no model file is available; update() is then a no-op. */
  get available(): boolean {
    return this.unavailable === undefined;
  }

  private load(): Promise<OnnxFeatureExtractor> {
    const video = this.name === 'fvd';
    return (this.extractor ??= OnnxFeatureExtractor.load({
      ...this.opts,
      modelPath: this.opts.modelPath!,
      layout: this.opts.layout ?? (video ? 'NCTHW' : 'NCHW'),
      range: this.opts.range ?? (video ? '-1..1' : '0..1'),
    }));
  }

  async update(reference: HostTensor, reconstruction: HostTensor): Promise<void> {
    if (this.unavailable) return;
    const ex = await this.load();
    this.real.push(...(await ex.features(reference)));
    this.fake.push(...(await ex.features(reconstruction)));
  }

  /** Squared Fréchet distance of all features so far (needs at least 2 samples per side). */
  async result(): Promise<MetricValue & { samples?: number }> {
    if (this.unavailable) return { available: false, reason: this.unavailable };
    if (this.real.length < 2) return { available: false, reason: `needs at least 2 samples, got ${this.real.length}` };
    const value = frechetDistance(gaussianOf(this.real), gaussianOf(this.fake));
    return { available: true, value, samples: this.real.length };
  }

  reset(): void {
    this.real = [];
    this.fake = [];
  }

  async dispose(): Promise<void> {
    if (this.extractor) await (await this.extractor).dispose();
  }
}
