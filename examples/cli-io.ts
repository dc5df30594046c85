/** Shared by the examples: run a `zoo` command in-process and fail loudly if it fails. */
import { runCli, type CliIo } from '@zoo/bench';

export async function zoo(argv: readonly string[], io: CliIo = { out: (t) => console.log(t), err: (t) => console.error(t) }): Promise<void> {
  const code = await runCli(argv, io);
  if (code !== 0) throw new Error(`zoo ${argv.join(' ')} exited with ${code}`);
}
