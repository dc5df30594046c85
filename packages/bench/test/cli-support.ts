/** Running the `zoo` CLI in-process from tests: captured output, a quiet temp folder per suite. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../src/cli/main.js';
import type { RunHooks } from '../src/run/run-tokenizers.js';

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** The hooks `runZoo` injects into `zoo tokenizers` (through runCli's options); a suite sets them. */
export const cliHooks: { current: RunHooks } = { current: {} };

/** `zoo ARGV` with stdout and stderr captured. */
export async function runZoo(...argv: string[]): Promise<CliRun> {
  let out = '';
  let err = '';
  const io = { out: (t: string) => void (out += `${t}\n`), err: (t: string) => void (err += `${t}\n`) };
  const code = await runCli(argv, io, { tokenizersHooks: cliHooks.current });
  return { code, out, err };
}

/** A progress stream that drops everything. */
export const quietProgress = { write: (): boolean => true };

/**
 * Registers beforeAll/afterAll for a suite that runs `zoo tokenizers`: a
 * fresh temp folder (`suite.dir`, removed afterwards) and quiet progress bars.
 */
export function cliSuite(prefix: string): { readonly dir: string } {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), prefix));
    cliHooks.current = { progressStream: quietProgress };
  });
  afterAll(async () => {
    cliHooks.current = {};
    await rm(dir, { recursive: true, force: true });
  });
  return {
    get dir(): string {
      return dir;
    },
  };
}
