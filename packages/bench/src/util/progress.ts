/**
 * Training progress: a live bar on a terminal, periodic log lines elsewhere.
 *
 * On a TTY, a cli-progress bar shows steps done, steps/s, ETA and the latest
 * losses. On a non-TTY (CI, `| tee`, nohup) a redrawn bar is noise, so one
 * plain line goes to `log` every `logIntervalMs` and once at `stop()`.
 *
 * Rates come from a sliding window of recent updates rather than from the
 * start, so a slow first step (graph compilation, warm-up) does not skew the
 * ETA for the rest of the run.
 */
import cliProgress from 'cli-progress';
import { formatDuration } from './duration.js';

export interface Progress {
  /** Reports that `step` steps are done, with the current scalar values (losses, metrics). */
  update(step: number, values?: Readonly<Record<string, number>>): void;
  /** Final render/line; later updates are ignored. Safe to call twice. */
  stop(): void;
}

/** The writable the bar draws on; process.stderr by default. */
export interface ProgressStream {
  write(chunk: string): boolean;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressOptions {
  /** Total steps of the run. */
  total: number;
  /** Prefix naming the run, e.g. the tokenizer (default: none). */
  label?: string;
  /** Step the run starts (or resumes) from (default 0). */
  startStep?: number;
  /** Where the bar is drawn (default process.stderr). */
  stream?: ProgressStream;
  /** Force TTY or line mode (default: `stream.isTTY`). */
  tty?: boolean;
  /** Receives the non-TTY lines (default: write the line plus '\n' to `stream`). */
  log?: (line: string) => void;
  /** Minimum time between non-TTY lines, in ms (default 10 000). */
  logIntervalMs?: number;
  /** Clock in ms, for tests (default performance.now). */
  now?: () => number;
}

/** Number of recent updates the steps/s estimate is averaged over. */
const RATE_WINDOW = 20;

/** Compact number for a progress line: 4 significant digits, exponent when tiny or huge. */
export function formatScalar(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(2);
  return String(Number(v.toPrecision(4)));
}

function formatValues(values: Readonly<Record<string, number>>): string {
  return Object.entries(values)
    .map(([k, v]) => `${k}=${formatScalar(v)}`)
    .join(' ');
}

/** Steps/s over the recent window, and what that leaves as ETA. */
class RateMeter {
  private readonly samples: [number, number][] = [];
  push(t: number, step: number): void {
    this.samples.push([t, step]);
    if (this.samples.length > RATE_WINDOW) this.samples.shift();
  }
  stepsPerSec(): number {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last || last[0] <= first[0]) return NaN;
    return ((last[1] - first[1]) * 1000) / (last[0] - first[0]);
  }
}

/** Creates a bar (TTY) or a periodic logger (non-TTY) behind the same {@link Progress}. */
export function createProgress(opts: ProgressOptions): Progress {
  if (!Number.isFinite(opts.total) || opts.total < 0) {
    throw new RangeError(`createProgress: total must be a finite number >= 0, got ${opts.total}`);
  }
  const stream: ProgressStream = opts.stream ?? process.stderr;
  const tty = opts.tty ?? stream.isTTY === true;
  return tty ? new BarProgress(opts, stream) : new LineProgress(opts, stream);
}

abstract class BaseProgress implements Progress {
  protected readonly meter = new RateMeter();
  protected readonly now: () => number;
  protected readonly startTime: number;
  protected step: number;
  protected values: Readonly<Record<string, number>> = {};
  protected stopped = false;

  constructor(protected readonly opts: ProgressOptions) {
    this.now = opts.now ?? (() => performance.now());
    this.startTime = this.now();
    this.step = opts.startStep ?? 0;
    this.meter.push(this.startTime, this.step);
  }

  update(step: number, values?: Readonly<Record<string, number>>): void {
    if (this.stopped) return;
    this.step = step;
    if (values) this.values = values;
    this.meter.push(this.now(), step);
    this.render();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.finish();
  }

  protected rateText(): string {
    const r = this.meter.stepsPerSec();
    return Number.isFinite(r) ? r.toFixed(r >= 10 ? 1 : 2) : '?';
  }

  protected etaText(): string {
    const r = this.meter.stepsPerSec();
    if (this.step >= this.opts.total) return '0s';
    if (!Number.isFinite(r) || r <= 0) return '?';
    return formatDuration(((this.opts.total - this.step) / r) * 1000);
  }

  protected abstract render(): void;
  protected abstract finish(): void;
}

class BarProgress extends BaseProgress {
  private readonly bar: cliProgress.SingleBar;

  constructor(opts: ProgressOptions, stream: ProgressStream) {
    super(opts);
    const label = opts.label ? `${opts.label} ` : '';
    this.bar = new cliProgress.SingleBar({
      // the label goes through the payload so braces in it are not tokens
      format: '{label}[{bar}] {value}/{total} | {rate} steps/s | ETA {etaText} | {losses}',
      stream: stream as unknown as NodeJS.WritableStream,
      barsize: 24,
      hideCursor: false,
      clearOnComplete: false,
      // cli-progress only draws when the stream is a TTY; `tty: true` forces it
      noTTYOutput: stream.isTTY !== true,
      notTTYSchedule: 1000,
    });
    this.bar.start(opts.total, this.step, { label, rate: '?', etaText: '?', losses: '' });
  }

  protected render(): void {
    this.bar.update(this.step, this.payload());
  }

  protected finish(): void {
    this.bar.update(this.step, this.payload());
    this.bar.stop();
  }

  private payload(): Record<string, string> {
    return {
      label: this.opts.label ? `${this.opts.label} ` : '',
      rate: this.rateText(),
      etaText: this.etaText(),
      losses: formatValues(this.values),
    };
  }
}

class LineProgress extends BaseProgress {
  private lastLog = -Infinity;
  private readonly log: (line: string) => void;

  constructor(opts: ProgressOptions, stream: ProgressStream) {
    super(opts);
    this.log = opts.log ?? ((line) => void stream.write(`${line}\n`));
  }

  protected render(): void {
    const t = this.now();
    if (t - this.lastLog < (this.opts.logIntervalMs ?? 10_000)) return;
    this.lastLog = t;
    this.log(this.line());
  }

  protected finish(): void {
    const elapsedMs = this.now() - this.startTime;
    const done = this.step - (this.opts.startStep ?? 0);
    const overall = elapsedMs > 0 ? ((done * 1000) / elapsedMs).toFixed(2) : '?';
    this.log(this.line([`${overall} steps/s overall`, `done in ${formatDuration(elapsedMs)}`]));
  }

  private line(timing = [`${this.rateText()} steps/s`, `ETA ${this.etaText()}`]): string {
    const { total, label } = this.opts;
    const pct = total > 0 ? ((100 * this.step) / total).toFixed(1) : '100.0';
    const parts = [`${label ? `${label} ` : ''}step ${this.step}/${total} (${pct}%)`, ...timing];
    const values = formatValues(this.values);
    if (values) parts.push(values);
    return parts.join(' | ');
  }
}
