/**
 * Builds the `zoo` yargs program. `runCli` never calls process.exit, so the
 * CLI can be driven in-process (tests, scripts); it returns the exit code.
 */
import yargs, { type Argv } from 'yargs';
import { createLogger, setLogger, LOG_LEVELS } from '@zoo/core';
import '../components.js';
import { processIo, type CliIo } from './io.js';
import { envCommand } from './env.js';
import { registryCommand } from './registry-list.js';
import { benchEngineCommand } from './bench-engine.js';
import { tokenizersCommand } from './bench-tokenizers.js';
import { mergeCommand } from './merge.js';
import { exportCommand } from './export.js';
import { benchDataCommand } from './bench-data.js';
import { benchEncodersCommand, benchQuantizersCommand } from './bench-models.js';

/** A usage mistake (unknown command or option, bad choice): reported without a stack. */
export class CliUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliUsageError';
  }
}

export type CommandInstaller = (y: Argv, io: CliIo) => Argv;

/** Every subcommand; later commands (bench, export, merge) join this list. */
export const COMMANDS: readonly CommandInstaller[] = [envCommand, registryCommand, benchEngineCommand, benchDataCommand, benchEncodersCommand, benchQuantizersCommand, tokenizersCommand, mergeCommand, exportCommand];

export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
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
      throw err ?? new CliUsageError(`${msg}\nRun 'zoo --help' (or 'zoo <command> --help') for usage.`);
    });
  for (const install of COMMANDS) y = install(y, io);
  let output = '';
  try {
    await y.parseAsync([...argv], {}, (_err, _args, out) => {
      output = out;
    });
  } catch (e) {
    failure = e instanceof CliUsageError ? e.message : e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  }
  if (output) (failure ? io.err : io.out)(output);
  if (failure) {
    io.err(`error: ${failure}`);
    return 1;
  }
  return 0;
}
