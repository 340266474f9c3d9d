/**
 * One job: `seglog bench` and `seglog bench --probe`, the benchmarks package's own quickstart and
 * flush probe (`runQuickstart`, `probeFlush`), never a second copy of them that could drift.
 *
 * - `bench`: group commit (seglog, defaults) against one write + fdatasync per record, at 1, 16
 *   and 256 concurrent appenders, 128 B and 1 KiB records, each cell on a fresh temporary log.
 * - `bench --probe`: this disk's flush latency (a preallocated 4 KiB write + fdatasync at queue
 *   depth 1), the commit window the adaptive policy would pick for it, and PASS/FAIL against a
 *   stated threshold on the p99 (etcd's 10 ms guidance by default), as `etcdctl check perf` does.
 *   FAIL exits 2 (a warning: the disk is slow, no data is at risk).
 *
 * `--dir` picks the disk: the temporary logs and the probe's file go in fresh directories inside
 * it (as with TMPDIR), removed after. The benchmarks are loaded only here (a dynamic import), so the other commands
 * never load them. SIGINT stops `bench` after the cell in progress (exit 32); the probe's
 * synchronous loop runs its seconds out first.
 */
import type { CellResult, ProbeResult, QuickstartSettings } from '@seglog/benchmarks';
import { CliError } from '../cli-error.js';
import type { Context } from '../context.js';
import { Exit } from '../exit-codes.js';
import { io } from '../durable-files.js';

export interface BenchFlags {
  readonly probe: boolean;
  readonly quick: boolean;
  /** Measured seconds per cell (bench) or of the probe. */
  readonly seconds: number | undefined;
  readonly warmupMs: number | undefined;
  readonly dir: string | undefined;
  readonly thresholdMicros: number | undefined;
}

export async function bench(ctx: Context, flags: BenchFlags): Promise<number> {
  if (!flags.probe && flags.thresholdMicros !== undefined) throw CliError.usage('--threshold-us goes with --probe');
  if (flags.probe && (flags.quick || flags.warmupMs !== undefined)) throw CliError.usage('--quick and --warmup-ms go with bench, not --probe');
  if (flags.dir !== undefined) {
    await checkDirectory(flags.dir);
    // Both make (and remove) their temporary directories under os.tmpdir(), which reads TMPDIR.
    process.env.TMPDIR = flags.dir;
  }
  return flags.probe ? probe(ctx, flags) : quickstart(ctx, flags);
}

async function checkDirectory(dir: string): Promise<void> {
  const found = await io.stat(dir);
  if (found === null || found.isFile) {
    throw new CliError('SEGLOG_NOT_A_DIRECTORY', `--dir ${dir}: ${found === null ? 'it does not exist' : 'it is not a directory'}`, Exit.operational);
  }
}

async function quickstart(ctx: Context, flags: BenchFlags): Promise<number> {
  const benchmarks = await import('@seglog/benchmarks');
  const defaults = benchmarks.quickstartSettings(flags.quick);
  const settings: QuickstartSettings = {
    durationMillis: flags.seconds === undefined ? defaults.durationMillis : Math.round(flags.seconds * 1000),
    warmupMillis: flags.warmupMs ?? defaults.warmupMillis,
  };
  ctx.out.note(`seglog bench: group commit vs one write + fdatasync per record, ${settings.durationMillis / 1000} s per cell after ${settings.warmupMillis} ms of warm-up`);
  const run = await benchmarks.runQuickstart(settings, (cell) => {
    ctx.out.note(describeCell(cell));
    // Between cells is the one place the run can stop without leaving a temporary log behind.
    ctx.signal.throwIfAborted();
  });
  if (ctx.out.format === 'text') {
    await ctx.out.line(run.table);
    return Exit.clean;
  }
  await ctx.out.document({
    tool: 'seglog bench',
    startedAt: run.startedAt.toISOString(),
    finishedAt: run.finishedAt.toISOString(),
    settings: run.settings,
    machine: run.machine,
    cells: run.cells,
    ratios: run.ratios,
    table: run.table,
  });
  return Exit.clean;
}

function describeCell(cell: CellResult): string {
  const rate = Math.round(cell.appendsPerSecond).toLocaleString('en-US');
  return `  ${cell.engine.padEnd(15)} ${String(cell.recordBytes).padStart(5)} B x ${String(cell.concurrency).padStart(3)}: ${rate} appends/s`;
}

async function probe(ctx: Context, flags: BenchFlags): Promise<number> {
  const benchmarks = await import('@seglog/benchmarks');
  const seconds = flags.seconds ?? benchmarks.probeDefaults.seconds;
  ctx.out.note(`seglog bench --probe: 4 KiB write + fdatasync at queue depth 1 for ${seconds} s`);
  const result: ProbeResult = await benchmarks.probeFlush({
    seconds,
    thresholdP99Micros: flags.thresholdMicros ?? benchmarks.probeDefaults.thresholdP99Micros,
  });
  ctx.signal.throwIfAborted();
  const exitCode = result.pass ? Exit.clean : Exit.warnings;
  if (ctx.out.format === 'text') await ctx.out.line(benchmarks.describeProbe(result));
  else await ctx.out.document({ tool: 'seglog bench --probe', ...result, verdict: result.pass ? 'PASS' : 'FAIL', exitCode });
  return exitCode;
}
