#!/usr/bin/env node
/** The `zoo` command line (`pnpm bench <command>` from the repository root). */
import { runCli } from './cli/main.js';

process.exitCode = await runCli(process.argv.slice(2));
