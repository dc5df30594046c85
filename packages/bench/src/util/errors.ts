/**
 * Errors raised by the bench's file utilities. Each names the file and what
 * was wrong with it, so a failed run points straight at what to fix.
 */

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
