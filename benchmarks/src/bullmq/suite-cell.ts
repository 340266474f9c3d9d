/**
 * One job: issue 14's BullMQ benchmark as a cell of the suite (`pnpm bench`): `main.js bullmq`
 * over every peer (seglog, Redis with appendfsync always and everysec, BullMQ's PostgreSQL
 * backend), its table, and its target rows in the suite's targets table (>= 3x Redis always and
 * faster than Redis everysec, at each concurrency). A peer whose server or package is missing is
 * skipped and named with the reason, never dropped silently; a failure is reported, not fatal to
 * the suite.
 */
import { bullmqBenchDefaults, judgeBullmqTargets, renderBullmqBench, runBullmqBench } from '../commands/bullmq-bench.js';
import type { BullmqBenchSettings, BullmqFigures } from '../commands/bullmq-bench.js';
import type { TargetCheck } from '../suite/targets.js';

/** The standard cell: the command's defaults; --quick: 1 run of 2,000 jobs after 500 warm-up ones. */
export function bullmqCellSettings(quick: boolean): BullmqBenchSettings {
  return quick ? { ...bullmqBenchDefaults, jobs: 2000, warmupJobs: 500, runs: 1 } : bullmqBenchDefaults;
}

/**
 * Seconds the cell should take, for the progress estimate: start-up (a server, PostgreSQL's
 * initdb) plus the jobs at about 1,500 jobs/s, the slower peers' pace at concurrency 1.
 */
export function bullmqCellCostSeconds(settings: BullmqBenchSettings): number {
  const perRun = 3 + (settings.jobs + settings.warmupJobs) / 1500;
  return settings.runs * settings.peers.length * settings.concurrencies.length * perRun;
}

export function runBullmqCell(settings: BullmqBenchSettings): Promise<BullmqFigures> {
  return runBullmqBench(settings);
}

/** One line for the progress display. */
export function summarizeBullmqCell(figures: BullmqFigures): string {
  const rows = judgeBullmqTargets(figures).filter((row) => row.required === '>= 3x' && row.target.startsWith('BullMQ at'));
  if (rows.every((row) => row.ratio === null)) return 'Redis did not run';
  return rows.map((row) => (row.ratio === null ? 'n/a' : `${row.ratio.toFixed(2)}x`)).join(' / ') + ' Redis always';
}

/** The target rows for the suite's targets table (`n/a` where a peer did not run or the cell failed). */
export function bullmqTargetChecks(figures: BullmqFigures | string | null): TargetCheck[] {
  if (figures === null) return [];
  if (typeof figures === 'string') {
    return [{ target: 'BullMQ on seglog vs on Redis (issue 14)', required: '>= 3x always, > everysec', measured: `not measured: ${figures}`, status: 'n/a' }];
  }
  return judgeBullmqTargets(figures).map((row) => ({
    target: row.target,
    required: row.required,
    measured: row.ratio === null ? 'not measured (a peer did not run)' : `${row.ratio.toFixed(2)}x`,
    status: row.met === null ? 'n/a' : row.met ? 'PASS' : 'MISS',
  }));
}

/** The report's section: the table (skipped peers named) and the target lines. */
export function renderBullmqCell(figures: BullmqFigures | string): string {
  const title = '### BullMQ on seglog vs on Redis and PostgreSQL (issue 14)';
  if (typeof figures === 'string') return `${title}\n\nnot measured: ${figures}`;
  return `${title}\n\n\`main.js bullmq\` in the suite (benchmarks/src/bullmq/suite-cell.ts).\n\n${renderBullmqBench(figures)}`;
}
