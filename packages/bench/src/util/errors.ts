/**
 * Errors raised by the bench's file utilities and option checks. Each names
 * the file or flag and what was wrong with it, so a failed run points
 * straight at what to fix.
 */

/** A run option (flag) that cannot work; the message names the flag as typed. */
export class RunOptionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunOptionsError';
  }
}

/** A file that exists but cannot be used as what it claims to be (bad JSON, wrong shape). */
export class CorruptFileError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(
      `${path} is corrupt: ${reason}. The file was left untouched; ` +
        'fix or move it aside (results are never overwritten silently).',
    );
    this.name = 'CorruptFileError';
  }
}
