/**
 * Training curves as a hand-written inline SVG line chart: no chart library,
 * no script, so the report stays one static file that renders anywhere.
 *
 * Each series becomes exactly one `<path class="curve">`; axes, grid and
 * legend use `<line>`/`<text>` only, so tools (and tests) can find the
 * curves by element. Non-finite values (and non-positive ones on a log axis)
 * break the line instead of being drawn as garbage.
 */
import { escapeXml } from './escape.js';

export interface CurveSeries {
  name: string;
  /** [step, value] pairs, in step order. */
  points: readonly (readonly [number, number])[];
}

export interface CurvesSvgOptions {
  /** Pixel size (default 480 x 260). */
  width?: number;
  height?: number;
  title?: string;
  /** Axis labels (default 'step' and none). */
  xLabel?: string;
  yLabel?: string;
  /** Log-scale y axis, for losses spanning decades (default false). */
  logY?: boolean;
  /** Line colours, cycled (default: Tableau 10, the matplotlib default cycle). */
  colors?: readonly string[];
  /** Longer series are decimated to about this many points to keep the page small (default 600). */
  maxPoints?: number;
}

export const TABLEAU_10 = [
  '#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd',
  '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf',
] as const;

const MARGIN = { left: 58, right: 14, top: 28, bottom: 40 } as const;

/** Rounds coordinates to 0.01 px: plenty for a screen, half the bytes. */
function r2(v: number): string {
  return String(Math.round(v * 100) / 100);
}

/** "Nice" tick values (1, 2, 5 x 10^k steps) inside [lo, hi], about `count` of them. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  // round the raw step to the nearest of 1, 2, 5, 10 (geometric midpoints), as d3's ticks do
  const err = raw / mag;
  const step = mag * (err >= Math.sqrt(50) ? 10 : err >= Math.sqrt(10) ? 5 : err >= Math.SQRT2 ? 2 : 1);
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
    ticks.push(Math.abs(v) < step * 1e-9 ? 0 : Number(v.toPrecision(12)));
  }
  return ticks;
}

function formatTick(v: number): string {
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(0);
  return String(Number(v.toPrecision(4)));
}

function decimate(points: CurveSeries['points'], max: number): CurveSeries['points'] {
  if (points.length <= max) return points;
  const stride = Math.ceil(points.length / max);
  const out = points.filter((_, i) => i % stride === 0);
  const last = points[points.length - 1];
  if (last && out[out.length - 1] !== last) out.push(last);
  return out;
}

export function renderCurvesSvg(series: readonly CurveSeries[], opts: CurvesSvgOptions = {}): string {
  const width = opts.width ?? 480;
  const height = opts.height ?? 260;
  const logY = opts.logY ?? false;
  const colors = opts.colors && opts.colors.length > 0 ? opts.colors : TABLEAU_10;
  const usable = (v: number): boolean => Number.isFinite(v) && (!logY || v > 0);
  const ty = (v: number): number => (logY ? Math.log10(v) : v);

  let xMin = Infinity, xMax = -Infinity, yMin = Infinity, yMax = -Infinity;
  for (const s of series) {
    for (const [x, y] of s.points) {
      if (!Number.isFinite(x) || !usable(y)) continue;
      xMin = Math.min(xMin, x); xMax = Math.max(xMax, x);
      yMin = Math.min(yMin, ty(y)); yMax = Math.max(yMax, ty(y));
    }
  }
  if (xMin > xMax) { xMin = 0; xMax = 1; }
  if (yMin > yMax) { yMin = 0; yMax = 1; }
  if (xMin === xMax) { xMin -= 1; xMax += 1; }
  if (yMin === yMax) { const pad = Math.abs(yMin) * 0.1 || 1; yMin -= pad; yMax += pad; }
  const yPad = (yMax - yMin) * 0.05;
  yMin -= yPad; yMax += yPad;

  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const px = (x: number): number => MARGIN.left + ((x - xMin) / (xMax - xMin)) * plotW;
  const py = (y: number): number => MARGIN.top + (1 - (y - yMin) / (yMax - yMin)) * plotH;

  const out: string[] = [];
  const label = opts.title ?? series.map((s) => s.name).join(', ');
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="curves" width="${width}" height="${height}" ` +
      `viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(label)}" font-family="sans-serif" font-size="11">`,
  );
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#fff"/>`);
  if (opts.title) {
    out.push(`<text x="${r2(width / 2)}" y="17" text-anchor="middle" font-size="13" font-weight="bold">${escapeXml(opts.title)}</text>`);
  }

  // grid and tick labels
  const xTicks = niceTicks(xMin, xMax, 5).filter((v) => v >= xMin && v <= xMax);
  const yTicks = logY ? logTicks(yMin, yMax) : niceTicks(yMin, yMax, 5).filter((v) => v >= yMin && v <= yMax);
  const bottom = MARGIN.top + plotH;
  for (const t of xTicks) {
    const x = r2(px(t));
    out.push(`<line x1="${x}" y1="${MARGIN.top}" x2="${x}" y2="${r2(bottom)}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${x}" y="${r2(bottom + 14)}" text-anchor="middle">${formatTick(t)}</text>`);
  }
  for (const t of yTicks) {
    const y = r2(py(t));
    out.push(`<line x1="${MARGIN.left}" y1="${y}" x2="${r2(MARGIN.left + plotW)}" y2="${y}" stroke="#e5e5e5"/>`);
    const text = logY ? formatTick(10 ** t) : formatTick(t);
    out.push(`<text x="${MARGIN.left - 5}" y="${y}" text-anchor="end" dominant-baseline="middle">${text}</text>`);
  }
  out.push(
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${r2(plotW)}" height="${r2(plotH)}" fill="none" stroke="#999"/>`,
  );
  out.push(
    `<text x="${r2(MARGIN.left + plotW / 2)}" y="${height - 6}" text-anchor="middle">${escapeXml(opts.xLabel ?? 'step')}</text>`,
  );
  if (opts.yLabel) {
    const cy = r2(MARGIN.top + plotH / 2);
    out.push(
      `<text x="12" y="${cy}" text-anchor="middle" transform="rotate(-90 12 ${cy})">` +
        `${escapeXml(opts.yLabel)}${logY ? ' (log)' : ''}</text>`,
    );
  }

  // one path per series
  series.forEach((s, i) => {
    const color = colors[i % colors.length] ?? '#000';
    const d: string[] = [];
    let penDown = false;
    for (const [x, y] of decimate(s.points, opts.maxPoints ?? 600)) {
      if (!Number.isFinite(x) || !usable(y)) { penDown = false; continue; }
      d.push(`${penDown ? 'L' : 'M'}${r2(px(x))} ${r2(py(ty(y)))}`);
      penDown = true;
    }
    // a lone point has no extent; a tiny segment with round caps draws it as a dot
    if (d.length === 1) d.push('l0.01 0');
    out.push(
      `<path class="curve" data-series="${escapeXml(s.name)}" d="${d.join('')}" fill="none" stroke="${color}" ` +
        `stroke-width="1.6" stroke-linejoin="round" stroke-linecap="round"><title>${escapeXml(s.name)}</title></path>`,
    );
  });

  // legend, top-right inside the plot, on a translucent backing so curves under it stay visible
  if (series.length > 0) {
    const longest = Math.max(...series.map((s) => s.name.length));
    const w = Math.min(plotW, 34 + longest * 6.5);
    out.push(
      `<rect x="${r2(MARGIN.left + plotW - w - 2)}" y="${MARGIN.top + 3}" width="${r2(w)}" height="${series.length * 14 + 4}" ` +
        'fill="#fff" fill-opacity="0.8"/>',
    );
  }
  series.forEach((s, i) => {
    const color = colors[i % colors.length] ?? '#000';
    const y = MARGIN.top + 12 + i * 14;
    const x = MARGIN.left + plotW - 8;
    out.push(`<line x1="${r2(x - 18)}" y1="${y}" x2="${r2(x)}" y2="${y}" stroke="${color}" stroke-width="2"/>`);
    out.push(`<text x="${r2(x - 22)}" y="${y}" text-anchor="end" dominant-baseline="middle">${escapeXml(s.name)}</text>`);
  });

  out.push('</svg>');
  return out.join('\n');
}

// Integer powers of ten inside [lo, hi] (in log10 units); too few means a
// range under a decade, where linear-looking ticks read better.
function logTicks(lo: number, hi: number): number[] {
  const ticks: number[] = [];
  for (let k = Math.ceil(lo); k <= Math.floor(hi); k++) ticks.push(k);
  if (ticks.length >= 2) return ticks;
  return niceTicks(10 ** lo, 10 ** hi, 4)
    .filter((v) => v > 0)
    .map((v) => Math.log10(v))
    .filter((v) => v >= lo && v <= hi);
}
