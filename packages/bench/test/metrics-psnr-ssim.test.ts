import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HostTensor, ShapeError, create } from '@zoo/core';
import { PsnrMetric, SsimMetric, psnr, psnrPerVideo, ssim, ssimPerVideo, ssimWindow } from '../src/metrics/index.js';

interface Case {
  distortion: string;
  shape: number[];
  reference_uint8: number[];
  distorted_uint8: number[];
  psnr_data_range_1: number;
  'ssim_wang_gaussian11_sigma1.5': number;
  ssim_skimage_default_win7: number;
}
const here = dirname(fileURLToPath(import.meta.url));
const fixture = JSON.parse(readFileSync(join(here, 'fixtures', 'metrics_psnr_ssim.json'), 'utf8')) as { cases: Case[] };
const unit = (u8: number[], shape: number[]): HostTensor<'float32'> => HostTensor.from(u8.map((v) => v / 255), shape);
const TOL = 1e-4;

describe('PSNR / SSIM parity with scikit-image 0.19.3 (metrics_psnr_ssim.json)', () => {
  it.each(fixture.cases.map((c) => [c.distortion, c] as const))('%s: PSNR, Wang SSIM and skimage-default SSIM', (_name, c) => {
    const ref = unit(c.reference_uint8, c.shape);
    const dist = unit(c.distorted_uint8, c.shape);
    expect(Math.abs(psnr(ref, dist) - c.psnr_data_range_1)).toBeLessThan(TOL);
    expect(Math.abs(ssim(ref, dist) - c['ssim_wang_gaussian11_sigma1.5'])).toBeLessThan(TOL);
    expect(Math.abs(ssim(ref, dist, { mode: 'wang' }) - c['ssim_wang_gaussian11_sigma1.5'])).toBeLessThan(TOL);
    expect(Math.abs(ssim(ref, dist, { mode: 'skimage' }) - c.ssim_skimage_default_win7)).toBeLessThan(TOL);
  });

  it('a video is the mean SSIM over frames and uses one MSE over all frames for PSNR', () => {
    const [h, w, ch] = fixture.cases[0]!.shape as [number, number, number];
    const t = fixture.cases.length;
    const ref = unit(fixture.cases.flatMap((c) => c.reference_uint8), [t, h, w, ch]);
    const dist = unit(fixture.cases.flatMap((c) => c.distorted_uint8), [t, h, w, ch]);
    const meanWang = fixture.cases.reduce((s, c) => s + c['ssim_wang_gaussian11_sigma1.5'], 0) / t;
    const meanSk = fixture.cases.reduce((s, c) => s + c.ssim_skimage_default_win7, 0) / t;
    expect(Math.abs(ssim(ref, dist) - meanWang)).toBeLessThan(TOL);
    expect(Math.abs(ssim(ref, dist, { mode: 'skimage' }) - meanSk)).toBeLessThan(TOL);
    // Per-video MSE: the frames' MSEs (recovered from the per-frame PSNRs) are averaged before the log.
    const mse = fixture.cases.reduce((s, c) => s + 10 ** (-c.psnr_data_range_1 / 10), 0) / t;
    expect(Math.abs(psnr(ref, dist) - 10 * Math.log10(1 / mse))).toBeLessThan(TOL);
    // ... which differs from the mean of per-frame PSNRs.
    const meanFramePsnr = fixture.cases.reduce((s, c) => s + c.psnr_data_range_1, 0) / t;
    expect(Math.abs(psnr(ref, dist) - meanFramePsnr)).toBeGreaterThan(0.1);
  });

  it('a batch reports the mean of per-video values; streaming metrics agree', () => {
    const [c0, c1] = fixture.cases as [Case, Case];
    const ref = unit([...c0.reference_uint8, ...c1.reference_uint8], [2, 1, ...c0.shape]);
    const dist = unit([...c0.distorted_uint8, ...c1.distorted_uint8], [2, 1, ...c0.shape]);
    const per = psnrPerVideo(ref, dist);
    expect(per).toHaveLength(2);
    expect(Math.abs(per[1]! - c1.psnr_data_range_1)).toBeLessThan(TOL);
    expect(Math.abs(ssimPerVideo(ref, dist)[0]! - c0['ssim_wang_gaussian11_sigma1.5'])).toBeLessThan(TOL);
    const m = create('metric', 'psnr', {});
    expect(m).toBeInstanceOf(PsnrMetric);
    m.update(ref, dist);
    const r = m.result();
    expect(r.available && Math.abs(r.value - (c0.psnr_data_range_1 + c1.psnr_data_range_1) / 2)).toBeLessThan(TOL);
    const s = create('metric', 'ssim', { mode: 'skimage' });
    expect(s).toBeInstanceOf(SsimMetric);
    s.update(ref, dist);
    const rs = s.result();
    expect(rs.available && Math.abs(rs.value - (c0.ssim_skimage_default_win7 + c1.ssim_skimage_default_win7) / 2)).toBeLessThan(TOL);
  });

  it('identical inputs: SSIM 1 and PSNR +Infinity', () => {
    const c = fixture.cases[0]!;
    const ref = unit(c.reference_uint8, c.shape);
    expect(ssim(ref, ref)).toBeCloseTo(1, 12);
    expect(psnr(ref, ref)).toBe(Number.POSITIVE_INFINITY);
  });

  it('the Wang window is the 11-tap normalized Gaussian with sigma 1.5', () => {
    const { taps, covNorm } = ssimWindow('wang');
    expect(taps).toHaveLength(11);
    expect(taps.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 14);
    expect(taps[5]! / taps[6]!).toBeCloseTo(Math.exp(0.5 / 2.25), 12);
    expect(covNorm).toBe(1);
    expect(ssimWindow('skimage').covNorm).toBeCloseTo(49 / 48, 14);
  });

  it('rejects mismatched shapes and frames smaller than the window', () => {
    expect(() => psnr(HostTensor.zeros([2, 8, 8, 3]), HostTensor.zeros([2, 8, 9, 3]))).toThrow(ShapeError);
    expect(() => ssim(HostTensor.zeros([8, 8, 3]), HostTensor.zeros([8, 8, 3]))).toThrow(/at least 11x11/);
    expect(() => ssim(HostTensor.zeros([8]), HostTensor.zeros([8]))).toThrow(ShapeError);
  });
});
