/**
 * @zoo/bench: datasets, metrics, leaderboard outputs, benchmarks and the
 * `zoo` CLI. Importing it registers the `dataset` and `metric` kinds;
 * `registerAll(registry)` registers every package's components explicitly.
 */
export { registerAll } from './components.js';
export * from './data/index.js';
export * from './metrics/index.js';
export * from './report/index.js';
export * from './util/index.js';
export * from './perf/engine-bench.js';
export { runCli, COMMANDS, CliUsageError, type CommandInstaller, type RunCliOptions } from './cli/main.js';
export type { CliIo } from './cli/io.js';
export * from './tokenizer/index.js';
export * from './train/index.js';
export * from './run/index.js';
export * from './prior/index.js';
export * from './pretrained/index.js';
