/**
 * @seglog/cli: the `seglog` operator command (bin `seglog`, entry main.ts). `runCli` runs it in
 * this process and resolves with the exit code, for embedding and tests. docs/cli.md is the manual.
 */
export { runCli } from './program.js';
export { Exit } from './exit-codes.js';
