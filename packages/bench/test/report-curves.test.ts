import sharp from 'sharp';
import { niceTicks, renderCurvesSvg, TABLEAU_10 } from '../src/report/curves-svg.js';

const series = [
  { name: 'vqgan <l1>', points: Array.from({ length: 50 }, (_, i) => [i * 10, 1 / (i + 1)] as const) },
  { name: 'lfq', points: Array.from({ length: 50 }, (_, i) => [i * 10, 0.5 / (i + 1) + 0.01] as const) },
  { name: 'single', points: [[100, 0.3]] as const },
];

function paths(svg: string): string[] {
  return [...svg.matchAll(/<path\b[^>]*\bd="([^"]*)"/g)].map((m) => m[1] ?? '');
}

/** Pixels whose colour is within 40 (per channel) of `hex`, in an RGBA render. */
function countColour(data: Buffer, hex: string): number {
  const c = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  let n = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (Math.abs(data[i]! - c[0]!) < 40 && Math.abs(data[i + 1]! - c[1]!) < 40 && Math.abs(data[i + 2]! - c[2]!) < 40) n++;
  }
  return n;
}

describe('renderCurvesSvg', () => {
  it('produces SVG that an SVG renderer parses, with one path per series, each drawn in its colour', async () => {
    const svg = renderCurvesSvg(series, { title: 'loss', yLabel: 'L1', width: 400, height: 240 });
    expect(paths(svg)).toHaveLength(series.length);
    const { data, info } = await sharp(Buffer.from(svg)).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([400, 240]);
    expect(countColour(data, TABLEAU_10[0])).toBeGreaterThan(50);
    expect(countColour(data, TABLEAU_10[1])).toBeGreaterThan(50);
    expect(svg).toContain('vqgan &#60;l1&#62;');
  });

  it('keeps every point inside the plot area and puts larger values higher', () => {
    const svg = renderCurvesSvg([series[0]!], { width: 400, height: 240 });
    const coords = [...(paths(svg)[0] ?? '').matchAll(/[ML]([\d.]+) ([\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(coords).toHaveLength(50);
    for (const [x, y] of coords) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThanOrEqual(400);
      expect(y).toBeGreaterThanOrEqual(0);
      expect(y).toBeLessThanOrEqual(240);
    }
    // the first value (1.0) is the largest: smallest y on screen
    expect(coords[0]![1]).toBeLessThan(coords[49]![1]!);
    expect(coords[0]![0]).toBeLessThan(coords[49]![0]!);
  });

  it('breaks the line at non-finite values and, on a log axis, at values <= 0', () => {
    const gappy = [{ name: 'g', points: [[0, 1], [1, 2], [2, Number.NaN], [3, 3], [4, 0], [5, 4]] as const }];
    expect((paths(renderCurvesSvg(gappy))[0]?.match(/M/g) ?? []).length).toBe(2);
    expect((paths(renderCurvesSvg(gappy, { logY: true }))[0]?.match(/M/g) ?? []).length).toBe(3);
  });

  it('decimates long series but keeps the last point', () => {
    const long = [{ name: 'long', points: Array.from({ length: 5000 }, (_, i) => [i, Math.sin(i / 100)] as const) }];
    const d = paths(renderCurvesSvg(long, { maxPoints: 100 }))[0] ?? '';
    const n = (d.match(/[ML]/g) ?? []).length;
    expect(n).toBeLessThanOrEqual(101);
    expect(n).toBeGreaterThan(50);
    const lastX = Number(d.match(/([\d.]+) [\d.]+$/)?.[1]);
    expect(lastX).toBeCloseTo(480 - 14, 1);
  });

  it('still renders an empty chart for no data', async () => {
    const svg = renderCurvesSvg([{ name: 'empty', points: [] }]);
    expect(paths(svg)).toEqual(['']);
    await expect(sharp(Buffer.from(svg)).png().toBuffer()).resolves.toBeInstanceOf(Buffer);
  });
});

describe('niceTicks', () => {
  it.each([
    [0, 1, 5, [0, 0.2, 0.4, 0.6, 0.8, 1]],
    [0, 1000, 5, [0, 200, 400, 600, 800, 1000]],
    [3, 97, 4, [20, 40, 60, 80]],
    [-1, 1, 4, [-1, -0.5, 0, 0.5, 1]],
  ])('niceTicks(%p, %p, %p)', (lo, hi, n, want) => {
    expect(niceTicks(lo, hi, n)).toEqual(want);
  });
});
