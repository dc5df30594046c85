/** Shared by the examples: run a `zoo` command in-process and fail loudly if it fails. */
import { runCli, type CliIo } from '@zoo/bench';

export async function zoo(argv: readonly string[], io: CliIo = { out: (t) => console.log(t), err: (t) => console.error(t) }): Promise<void> {
  const code = await runCli(argv, io);
  if (code !== 0) throw new Error(`zoo ${argv.join(' ')} exited with ${code}`);
}

/** Command-line arguments of an example, or a usage message and exit code 2 when a required one is missing. */
export function exampleArgs(usage: string, required: number): string[] {
  const args = process.argv.slice(2);
  if (args.length < required || args.includes('--help')) {
    console.error(`usage: ${usage}`);
    process.exit(args.includes('--help') ? 0 : 2);
  }
  return args;
}
