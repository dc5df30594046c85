/** Where commands print: stdout for results, stderr for diagnostics (logs go to stderr too). */
import type { RunHooks } from '../run/run-tokenizers.js';
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

export const processIo: CliIo = {
  out: (t) => void process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
  err: (t) => void process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
};

/** Left-aligned plain-text table; the last column is not padded. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** What a command knows of its invocation (for messages that repeat it, like the resume hint). */
export interface CliContext {
  /** The arguments after `zoo`, as given. */
  argv: readonly string[];
  /** Hooks `zoo tokenizers` passes to its run (in-process callers: abort signal, progress stream, per-step callback). Default none. */
  tokenizersHooks: RunHooks;
}

/** A command stopped by the user (SIGINT): exit code 130, the message says how to continue. */
export class CliInterruptedError extends Error {
  readonly exitCode = 130;
  constructor(message: string) {
    super(message);
    this.name = 'CliInterruptedError';
  }
}

/** `zoo ARGS` as a shell command line a user can paste (arguments with spaces or quotes are quoted). */
export function shellCommand(prefix: string, argv: readonly string[]): string {
  const quote = (a: string): string => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  return [prefix, ...argv.map(quote)].join(' ');
}
