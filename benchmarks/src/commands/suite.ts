/**
 * One job: the group-commit benchmark suite. seglog against the engines users pick instead, on the
 * disk behind the OS temp dir, measured against that disk's own ceiling, with tables, JSON and charts.
 *
 *   pnpm bench                 standard suite (about 15-20 minutes on 2 cores) = main.js suite
 *   pnpm bench -- --quick      about a minute and a half
 *   pnpm bench -- --help       scenarios, engines, durations, output folder
 *   pnpm bench -- --report bench-results/suite-<time>/results.json [--docs]   tables and charts again
 *
 * Order of work: check which peers can run (a missing server or package is reported as skipped,
 * never dropped silently); the timing pass (every cell x repetition in its own child process, the
 * device ceiling at the start of each repetition); the strace pass (each cell once more, traced,
 * for syscall and flush counts); then medians, tables, targets, charts and the results files.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { engines } from '../engines/index.js';
import type { EngineInfo, EngineName } from '../lib/cell.js';
import type { DeviceCeiling } from '../lib/device-ceiling.js';
import { describeHost, describeMachine } from '../report/machine.js';
import { fileTimestamp, resultsDir } from '../report/results.js';
import { benchTempRoot, sameFileSystemAsTmp } from '../lib/tmpdir.js';
import { summarizeCeilings, summarizeCell, type CeilingSummary, type CellSummary } from '../suite/aggregate.js';
import { writeCharts } from '../report/chart.js';
import { drawCharts } from '../suite/charts.js';
import { packageVersions, toolVersions } from '../suite/environment.js';
import { parseSuiteOptions, usage, type SuiteOptions } from '../suite/options.js';
import type { Command } from './command.js';
import { isTracedCell, planCells, type CellSpec } from '../suite/plan.js';
import { formatDuration, Progress } from '../suite/progress.js';
import { renderReport, type ReportInput } from '../suite/report.js';
import { ceilingCostSeconds, cellCostSeconds, runTimingPass, type TimingRun } from '../suite/run-cells.js';
import { checkDurability, checkFollowTargets, checkOpenTimeTargets, checkTargets } from '../suite/targets.js';
import { straceUnavailableReason, traceCell, type TraceFigures } from '../suite/trace.js';
import { runRandomGet, type RandomGetFigures } from '../lib/random-get.js';
import { withTempDir } from '../lib/tmpdir.js';
import { runOpenTime, slopeMicrosPerSegment, type OpenTimeFigures, type OpenTimeRow, type OpenTimeSettings } from '../lib/open-time.js';
import { runFollowLatency, type FollowFigures } from '../lib/follow-latency.js';
import type { ShipFigures } from '../lib/jetstream-ship.js';
import { jetstreamCellCostSeconds, runJetstreamCell } from '../suite/jetstream-cell.js';
import { queueCellCostSeconds, runQueueCell, type QueueCellFigures } from '../queue/suite-cell.js';
import { bullmqCellCostSeconds, bullmqTargetChecks, runBullmqCell, summarizeBullmqCell } from '../bullmq/suite-cell.js';
import type { BullmqFigures } from '../commands/bullmq-bench.js';

interface Skipped {
  readonly engine: EngineName;
  readonly reason: string;
}

async function findSkipped(names: readonly EngineName[]): Promise<Skipped[]> {
  const skipped: Skipped[] = [];
  for (const engine of names) {
    const reason = await engines[engine].unavailableReason();
    if (reason !== null) skipped.push({ engine, reason });
  }
  return skipped;
}

async function runTracePass(
  cells: readonly CellSpec[],
  options: SuiteOptions,
  progress: Progress,
): Promise<Map<string, TraceFigures | string>> {
  const traces = new Map<string, TraceFigures | string>();
  if (options.trace === null || cells.length === 0) return traces;
  for (const cell of cells) {
    progress.start(`strace: ${progress.describe(cell)}`, cellCostSeconds(options.trace) + 1);
    try {
      const figures = await traceCell(cell, options.trace);
      traces.set(cell.key, figures);
      progress.done(`${figures.syscallsPerAppend.toFixed(4)} syscalls/append, ${figures.syncsPerAppend.toFixed(4)} fsyncs/append`);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      traces.set(cell.key, message);
      progress.done(`FAILED: ${message}`);
    }
  }
  return traces;
}

export const suiteCommand: Command = {
  name: 'suite',
  summary: 'the group-commit suite: seglog against SQLite, LMDB, LevelDB, Redis, NATS and the device ceiling (pnpm bench)',
  usage,
  run: (argv) => runSuite(parseSuiteOptions(argv)),
};

async function runSuite(options: SuiteOptions): Promise<void> {
  if (options.reportFrom !== null) return reportAgain(options.reportFrom, options.outDir, options.docs);
  const startedAt = new Date();
  const tempRoot = benchTempRoot();
  const machine = describeMachine(tempRoot);
  const skipped = await findSkipped(options.engines);
  const runnable = options.engines.filter((engine) => !skipped.some((s) => s.engine === engine));
  const cells = planCells(options.shape, options.scenarios, runnable);
  const straceMissing = options.trace === null ? null : straceUnavailableReason();
  const traceable = options.trace !== null && straceMissing === null;
  const traced = traceable ? cells.filter((cell) => isTracedCell(cell, options.quick)) : [];

  const progress = new Progress();
  progress.plan(options.repetitions, ceilingCostSeconds);
  progress.plan(cells.length * options.repetitions, cellCostSeconds(options.timing));
  if (options.trace !== null) progress.plan(traced.length, cellCostSeconds(options.trace) + 1);
  if (options.randomGet !== null) progress.plan(1, 30);
  if (options.openTime != null) progress.plan(1, openTimeCostSeconds(options.openTime));
  if (options.follow != null) progress.plan(1, followCostSeconds(options));
  if (options.jetstream != null) progress.plan(1, jetstreamCellCostSeconds(options.jetstream));
  if (options.queue) progress.plan(1, queueCellCostSeconds(options.queue));
  if (options.bullmq) progress.plan(1, bullmqCellCostSeconds(options.bullmq));
  console.log(`seglog benchmark suite${options.quick ? ' (--quick)' : ''}`);
  console.log(describeHost(machine, sameFileSystemAsTmp(tempRoot)));
  for (const s of skipped) console.log(`skipped: ${s.engine}: ${s.reason}`);
  if (straceMissing !== null) console.log(`skipped: strace pass: ${straceMissing}`);
  console.log(`plan: ${cells.length} cells x ${options.repetitions} repetitions (${options.timing.warmupMillis} ms warm-up + ${options.timing.durationMillis / 1000} s), ${traced.length} traced runs; about ${formatDuration(progress.estimatedTotalSeconds())}\n`);

  const { runs, ceilings } = await runTimingPass(cells, options.repetitions, options.timing, ['--seconds', String(options.ceilingSeconds), '--sequential-mib', String(options.sequentialMiB)], progress);
  const traces = await runTracePass(traced, options, progress);
  const randomGet = await runRandomGetCell(options, progress);
  const openTime = await runOpenTimeCell(options, progress);
  const follow = await runFollowCell(options, progress);
  const jetstream = options.jetstream == null ? null : await runJetstreamCell(options.jetstream, progress);
  const queue = await runQueueCellStep(options, progress);
  const bullmq = await runBullmqCellStep(options, progress);

  const ceiling = summarizeCeilings(ceilings);
  const summaries: CellSummary[] = cells.map((cell) => {
    const trace = traces.get(cell.key);
    return summarizeCell(cell, engines[cell.engine].info.durable, runs, typeof trace === 'object' ? trace : null, typeof trace === 'string' ? trace : null);
  });
  const finishedAt = new Date();
  const environment = {
    machine: {
      ...machine,
      tempDirSameFileSystemAsTmp: sameFileSystemAsTmp(tempRoot),
      loadAverageAtEnd: describeMachine(tempRoot).loadAverage,
    },
    packages: packageVersions(),
    tools: toolVersions(),
  };
  const infos = options.engines.map((engine) => engines[engine].info);
  const outDir = options.outDir ?? join(resultsDir, `suite-${fileTimestamp(startedAt)}`);
  const raw: RawResults = { kind: 'suite', startedAt: startedAt.toISOString(), finishedAt: finishedAt.toISOString(), options, environment, engines: infos, skipped, straceMissing, ceilings, ceiling, runs, traces: Object.fromEntries(traces), summaries, randomGet, openTime, follow, jetstream, queue, bullmq };
  await mkdir(outDir, { recursive: true });
  progress.note(`\nfinished in ${formatDuration((finishedAt.getTime() - startedAt.getTime()) / 1000)}`);
  await writeOutputs(raw, outDir, options.docs);
}

/** Everything a run measured; results.json holds exactly this, plus the targets it implies. */
interface RawResults {
  readonly kind: 'suite';
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly options: SuiteOptions;
  readonly environment: ReportInput['environment'];
  readonly engines: readonly EngineInfo[];
  readonly skipped: readonly Skipped[];
  readonly straceMissing: string | null;
  readonly ceilings: readonly DeviceCeiling[];
  readonly ceiling: CeilingSummary | null;
  readonly runs: readonly TimingRun[];
  readonly traces: Record<string, TraceFigures | string>;
  readonly summaries: readonly CellSummary[];
  /** The random-get cell's figures, or why it did not run (absent in results from before it). */
  readonly randomGet?: RandomGetFigures | string | null;
  /** The open-time cell's figures, or why it did not run (absent in results from before it). */
  readonly openTime?: OpenTimeFigures | string | null;
  /** The follow-latency cell's figures, or why it did not run (absent in results from before it). */
  readonly follow?: FollowFigures | string | null;
  /** The JetStream shipping cell's figures, or why it did not run (absent in results from before it). */
  readonly jetstream?: ShipFigures | string | null;
  /** The queue end-to-end cell's figures and target, or why it did not run (absent in older results). */
  readonly queue?: QueueCellFigures | string | null;
  /** The BullMQ cell's figures, or why it did not run (absent in older results). */
  readonly bullmq?: BullmqFigures | string | null;
}

function followCostSeconds(options: SuiteOptions): number {
  const settings = options.follow;
  if (settings == null) return 0;
  const perRun = settings.warmupSeconds + settings.seconds + settings.idleSeconds + 1;
  return settings.rates.length * settings.wakes.length * perRun;
}

/** Fill at an assumed 100 MB/s on a loaded machine, plus about 2 s per timed open (warm, cache drop, cold). */
function openTimeCostSeconds(settings: OpenTimeSettings): number {
  const fillSeconds = (settings.gib * 1024) / 100;
  return settings.segmentMiB.length * (fillSeconds + 2 * (settings.rounds + 1));
}

/** One line for the progress log: each size's segment count and cold (else warm) open, then the slope. */
function summarizeOpenTime(figures: OpenTimeFigures): string {
  const cold = figures.rows.every((row) => row.coldMs !== null);
  const pick = (row: OpenTimeRow): number | null => (cold ? row.coldMs : row.warmMs);
  const sizes = figures.rows.map((row) => `${row.segments} x ${row.segmentMiB} MiB ${pick(row)!.toFixed(1)} ms`);
  const slope = slopeMicrosPerSegment(figures.rows, pick);
  const slopeText = slope === null ? '' : `, ${slope.toFixed(1)} us per sealed segment`;
  return `${cold ? 'cold' : 'warm'}: ${sizes.join(', ')}${slopeText}`;
}

/** The open-time cell (issue 11), after the random-get cell; a failure (no room for the log) is reported, not fatal. */
async function runOpenTimeCell(options: SuiteOptions, progress: Progress): Promise<OpenTimeFigures | string | null> {
  const settings = options.openTime;
  if (settings == null) return null;
  const sizes = settings.segmentMiB.join(' and ');
  progress.start(`open time: ${settings.gib} GiB log, ${sizes} MiB segments`, openTimeCostSeconds(settings));
  try {
    const figures = await runOpenTime(settings);
    progress.done(summarizeOpenTime(figures));
    return figures;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    progress.done(`FAILED: ${message}`);
    return message;
  }
}

/** The follow-latency cell (issue 12), after the random-get cell; a failure is reported, not fatal. */
async function runFollowCell(options: SuiteOptions, progress: Progress): Promise<FollowFigures | string | null> {
  const settings = options.follow;
  if (settings == null) return null;
  progress.start(`follow latency: ${settings.rates.join(' and ')} appends/s`, followCostSeconds(options));
  try {
    const figures = await runFollowLatency(settings);
    progress.done(figures.rows.map((row) => `${row.ratePerSecond}/s p99 ${row.p99Millis.toFixed(2)} ms`).join(', '));
    return figures;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    progress.done(`FAILED: ${message}`);
    return message;
  }
}

/** The queue end-to-end cell (issue 13), last: it starts its own Redis and PostgreSQL. */
async function runQueueCellStep(options: SuiteOptions, progress: Progress): Promise<QueueCellFigures | string | null> {
  const settings = options.queue;
  if (!settings) return null;
  progress.start('queue end to end: seglog vs BullMQ vs pg-boss', queueCellCostSeconds(settings));
  try {
    const figures = await runQueueCell(settings);
    const { target } = figures;
    progress.done(target.met === null ? 'no peer ran' : `${target.seglogRow}: ${target.ratio!.toFixed(1)}x ${target.fastestPeer}: ${target.met ? 'met' : 'NOT met'}`);
    return figures;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    progress.done(`FAILED: ${message}`);
    return message;
  }
}

/** The BullMQ cell (issue 14), after the queue cell: it starts its own Redis and PostgreSQL too. */
async function runBullmqCellStep(options: SuiteOptions, progress: Progress): Promise<BullmqFigures | string | null> {
  const settings = options.bullmq;
  if (!settings) return null;
  progress.start('BullMQ: on seglog vs on Redis (always, everysec) vs on PostgreSQL', bullmqCellCostSeconds(settings));
  try {
    const figures = await runBullmqCell(settings);
    progress.done(summarizeBullmqCell(figures));
    return figures;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    progress.done(`FAILED: ${message}`);
    return message;
  }
}

/** The random-get and reader-memory cell (issue 11), after the engine cells; a failure is reported, not fatal. */
async function runRandomGetCell(options: SuiteOptions, progress: Progress): Promise<RandomGetFigures | string | null> {
  const settings = options.randomGet;
  if (settings === null) return null;
  progress.start(`random get: ${settings.logMiB} MiB log, ${settings.gets} gets`, 30);
  try {
    const figures = await withTempDir((dir) => runRandomGet(dir, settings));
    progress.done(`warm p50 ${(figures.warm.p50Micros / 1000).toFixed(3)} ms`);
    return figures;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    progress.done(`FAILED: ${message}`);
    return message;
  }
}

/** Targets, durability checks, charts, Markdown; writes them (and results.json) into `outDir`. */
async function writeOutputs(raw: RawResults, outDir: string, docs: boolean): Promise<void> {
  const targets = [
    ...checkTargets(raw.summaries, raw.ceiling),
    ...checkOpenTimeTargets(raw.openTime ?? null, raw.options.openTime ?? null),
    ...checkFollowTargets(raw.follow ?? null),
    ...bullmqTargetChecks(raw.bullmq ?? null),
  ];
  const durability = checkDurability(raw.summaries, raw.engines);
  const charts = await drawCharts(raw.summaries, raw.ceiling);
  const markdown = renderReport({
    options: raw.options,
    startedAt: new Date(raw.startedAt),
    finishedAt: new Date(raw.finishedAt),
    environment: raw.environment,
    infos: raw.engines,
    skipped: raw.skipped,
    straceMissing: raw.straceMissing,
    ceiling: raw.ceiling,
    summaries: raw.summaries,
    targets,
    durability,
    charts,
    randomGet: raw.randomGet ?? null,
    openTime: raw.openTime ?? null,
    follow: raw.follow ?? null,
    jetstream: raw.jetstream ?? null,
    queue: raw.queue ?? null,
    bullmq: raw.bullmq ?? null,
  });
  await writeFile(join(outDir, 'results.json'), `${JSON.stringify({ ...raw, targets, durability }, null, 2)}\n`);
  await writeFile(join(outDir, 'results.md'), `${markdown}\n`);
  await writeCharts(outDir, charts);
  if (docs) {
    const docsDir = resolve(resultsDir, '../docs/benchmarks');
    await mkdir(docsDir, { recursive: true });
    await writeCharts(docsDir, charts);
    await writeFile(join(docsDir, 'results.md'), `${markdown}\n`);
  }
  console.log(`\n${markdown}\n`);
  console.log(`results: ${outDir} (results.md, results.json, ${charts.map((c) => c.name).join(', ')})${docs ? '; charts and results.md also in docs/benchmarks/' : ''}`);
}

/** --report FILE: render the tables, targets and charts again from a results.json, without running anything. */
async function reportAgain(path: string, outDir: string | null, docs: boolean): Promise<void> {
  const raw = JSON.parse(await readFile(path, 'utf8')) as RawResults;
  const dir = outDir ?? dirname(resolve(path));
  await mkdir(dir, { recursive: true });
  await writeOutputs(raw, dir, docs);
}
