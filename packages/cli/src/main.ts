/**
 * The `seglog` command's entry point: parses the command line (commander) and runs the command.
 * Run as a program, it sets `process.exitCode` and never calls `process.exit()`, which could cut
 * off piped stdout.
 */
import { runCli } from './program.js';

process.exitCode = await runCli(process.argv);
