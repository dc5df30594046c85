/**
 * Builds the `zoo` yargs program. `runCli` never calls process.exit, so the
 * CLI can be driven in-process (tests, scripts); it returns the exit code.
 */
import yargs, { type Argv } from 'yargs';
import { createLogger, setLogger, LOG_LEVELS } from '@zoo/core';
import '../components.js';
import { CliInterruptedError, processIo, type CliContext, type CliIo } from './io.js';
import type { RunHooks } from '../run/run-tokenizers.js';
import { envCommand } from './env.js';
import { registryCommand } from './registry-list.js';
import { benchEngineCommand } from './bench-engine.js';
import { tokenizersCommand } from './bench-tokenizers.js';
import { mergeCommand } from './merge.js';
import { exportCommand } from './export.js';
import { benchDataCommand } from './bench-data.js';
import { benchEncodersCommand, benchQuantizersCommand } from './bench-models.js';
import { benchStepCommand } from './bench-step.js';

/** A usage mistake (unknown command or option, bad choice): reported without a stack. */
export class CliUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliUsageError';
  }
}

/**
 * `--steps` with no value would otherwise parse as "not given" and run with the
 * default: every option that takes a value must get one.
 */
function requireValues(argv: readonly string[], opts: { boolean: string[]; count?: string[] }): void {
  const flags = new Set([...opts.boolean, ...(opts.count ?? []), 'help', 'version']);
  argv.forEach((a, i) => {
    const m = /^--([a-z][\w-]*)$/.exec(a);
    if (!m || flags.has(m[1]!)) return;
    const next = argv[i + 1];
    if (next === undefined || next.startsWith('--')) throw new CliUsageError(`${a} needs a value\nRun 'zoo <command> --help' for usage.`);
  });
}

export type CommandInstaller = (y: Argv, io: CliIo, ctx: CliContext) => Argv;

/** Every subcommand; later commands (bench, export, merge) join this list. */
export const COMMANDS: readonly CommandInstaller[] = [envCommand, registryCommand, benchEngineCommand, benchDataCommand, benchEncodersCommand, benchQuantizersCommand, benchStepCommand, tokenizersCommand, mergeCommand, exportCommand];

/** yargs names options without their dashes ("Argument: split"); say them as the user types them. */
function asTyped(msg: string): string {
  const dashed = (names: string): string => names.split(', ').map((n) => (/^[a-z][\w-]+$/.test(n) ? `--${n}` : n)).join(', ');
  return msg
    .replace(/(Argument: )([a-z][\w-]+)(,)/g, (_m, a: string, n: string, c: string) => `${a}--${n}${c}`)
    .replace(/(Missing required arguments?: |Unknown arguments?: )(.+)$/gm, (_m, a: string, names: string) => a + dashed(names));
}

/** What an in-process caller (a test, an embedding program) injects into `runCli`. */
export interface RunCliOptions {
  /** Passed to `zoo tokenizers`' run (abort signal, progress stream, per-step callback). Default none. */
  tokenizersHooks?: RunHooks;
}

export async function runCli(argv: readonly string[], io: CliIo = processIo, opts: RunCliOptions = {}): Promise<number> {
  let failure: string | undefined;
  let y: Argv = yargs([...argv])
    .scriptName('zoo')
    .usage('$0 <command> [options]\n\nTokenizer Zoo: build, train and compare visual tokenizers.')
    .option('log-level', {
      choices: LOG_LEVELS,
      default: (process.env.ZOO_LOG_LEVEL ?? 'info') as (typeof LOG_LEVELS)[number],
      describe: 'log verbosity (default: $ZOO_LOG_LEVEL or info); logs go to stderr, pretty on a terminal, JSON lines otherwise',
      global: true,
    })
    .middleware((args) => {
      setLogger(createLogger({ level: args['log-level'] as (typeof LOG_LEVELS)[number] }));
      // The command's builder has run by now: its options are registered on the instance.
      requireValues(argv, (y as unknown as { getOptions(): { boolean: string[]; count?: string[] } }).getOptions());
    })
    .demandCommand(1, 'Choose a command (see the list above).')
    .strict()
    .recommendCommands()
    .help()
    .alias('h', 'help')
    .version(false)
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .exitProcess(false)
    .fail((msg, err) => {
      // Throwing stops yargs from running the command's handler after a usage error.
      throw err ?? new CliUsageError(`${asTyped(msg)}\nRun 'zoo --help' (or 'zoo <command> --help') for usage.`);
    });
  for (const install of COMMANDS) y = install(y, io, { argv, tokenizersHooks: opts.tokenizersHooks ?? {} });
  // `zoo` alone: the command list, not only "choose a command".
  const tokens = argv.filter((a, i) => !a.startsWith('-') && !(i > 0 && argv[i - 1] === '--log-level'));
  if (tokens.length === 0 && !argv.some((a) => a === '--help' || a === '-h')) {
    io.err(await y.getHelp());
    io.err('error: choose a command from the list above (zoo <command> --help shows its options)');
    return 1;
  }
  let output = '';
  try {
    await y.parseAsync([...argv], {}, (_err, _args, out) => {
      output = out;
    });
  } catch (e) {
    if (e instanceof CliInterruptedError) {
      io.err(e.message);
      return e.exitCode;
    }
    failure = e instanceof CliUsageError ? e.message : e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  }
  if (output) (failure ? io.err : io.out)(output);
  if (failure) {
    io.err(`error: ${failure}`);
    return 1;
  }
  return 0;
}
