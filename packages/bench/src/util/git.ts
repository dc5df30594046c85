/**
 * The git revision a run was made from, recorded in every leaderboard row so
 * a number can be traced to the code that produced it.
 */
import { execFile } from 'node:child_process';

/** Value recorded when there is no git, no repository, or git fails. */
export const UNKNOWN_REVISION = 'unknown';

export interface GitRevisionOptions {
  /** Directory inside the repository (default: the process's cwd). */
  cwd?: string;
  /** Append `-dirty` when tracked files have uncommitted changes (default false). */
  markDirty?: boolean;
}

function git(args: string[], cwd: string | undefined): Promise<string | undefined> {
  return new Promise((resolvePromise) => {
    execFile('git', args, { cwd, timeout: 10_000, windowsHide: true }, (err, stdout) => {
      resolvePromise(err ? undefined : stdout.trim());
    });
  });
}

/** `git rev-parse HEAD`, or {@link UNKNOWN_REVISION} if that fails for any reason. */
export async function gitRevision(opts: GitRevisionOptions = {}): Promise<string> {
  const rev = await git(['rev-parse', 'HEAD'], opts.cwd);
  if (!rev || !/^[0-9a-f]{7,64}$/.test(rev)) return UNKNOWN_REVISION;
  if (!opts.markDirty) return rev;
  // --quiet exits 1 when there are changes; only tracked files count.
  const dirty = await new Promise<boolean>((resolvePromise) => {
    execFile('git', ['diff', '--quiet', 'HEAD'], { cwd: opts.cwd, timeout: 10_000 }, (err) => {
      resolvePromise(err !== null && (err as { code?: unknown }).code === 1);
    });
  });
  return dirty ? `${rev}-dirty` : rev;
}
