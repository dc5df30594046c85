/** File and console utilities of the bench: atomic writes, append-only rows, git, progress, durations. */
export * from './errors.js';
export * from './json-rows.js';
export * from './git.js';
export * from './progress.js';
export * from './duration.js';
