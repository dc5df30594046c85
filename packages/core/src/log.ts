/**
 * Logging: pino, human-readable (pino-pretty) when stderr is a terminal,
 * JSON lines otherwise, so CI logs and piped runs stay machine-readable.
 * Logs go to stderr; stdout is reserved for command output (tables, JSON).
 */
import { pino, type Logger, type LevelWithSilent } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };
export const LOG_LEVELS: readonly LevelWithSilent[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

export interface LoggerOptions {
  level?: LevelWithSilent;
  /** Force pretty or JSON output; default: pretty when stderr is a TTY. */
  pretty?: boolean;
  /** Destination stream (default stderr). */
  stream?: NodeJS.WritableStream;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const level = opts.level ?? (process.env.ZOO_LOG_LEVEL as LevelWithSilent | undefined) ?? 'info';
  if (!LOG_LEVELS.includes(level)) {
    throw new Error(`unknown log level '${level}'. Valid levels: ${LOG_LEVELS.join(', ')}`);
  }
  const stream = opts.stream ?? process.stderr;
  const isTty = (stream as NodeJS.WriteStream).isTTY === true;
  if (opts.pretty ?? isTty) {
    return pino({ level }, pretty({ destination: stream, colorize: isTty, sync: true, ignore: 'pid,hostname' }));
  }
  return pino({ level, base: undefined }, stream);
}

let root: Logger | undefined;
/** The process-wide logger; the CLI reconfigures it from --log-level. */
export function logger(): Logger {
  return (root ??= createLogger());
}
export function setLogger(l: Logger): void {
  root = l;
}
