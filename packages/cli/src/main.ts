/**
 * The `seglog` command's entry point: parses the command line (commander) and runs the command.
 * Run as a program, it sets `process.exitCode` and never calls `process.exit()`, which could cut
 * off piped stdout.
 *
 * A full `verify` starts its worker threads first, before commander and the command's modules
 * load, so they boot on the other core meanwhile (segment-workers.ts); hence the dynamic import.
 */
import { dropUnusedWorkers, prestartForArgv } from './segment-workers.js';

prestartForArgv(process.argv);
try {
  const { runCli } = await import('./program.js');
  process.exitCode = await runCli(process.argv);
} finally {
  await dropUnusedWorkers();
}
