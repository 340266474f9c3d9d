/**
 * @seglog/benchmarks: the benchmarks as functions, for other workspace packages (the CLI's
 * `seglog bench` and `seglog bench --probe`, and the servers of the CLI's tests). The command
 * line is main.ts; docs/benchmarks.md describes every benchmark and how to reproduce its figures.
 */
export { runQuickstart, quickstartSettings, type QuickstartRun, type QuickstartSettings } from './lib/quickstart.js';
export { probeFlush, judgeProbe, describeProbe, probeDefaults, type ProbeOptions, type ProbeResult } from './lib/probe.js';
export type { CellResult } from './lib/cell.js';
export type { SyncedWriteFigures } from './lib/device-ceiling.js';
export { canConnect, startServer, type RunningServer } from './lib/server.js';
