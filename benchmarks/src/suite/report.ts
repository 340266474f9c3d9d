/**
 * One job: assemble the suite's Markdown report: what ran where, the engines and their durability
 * settings, the device ceiling, one speed and one cost table per scenario, the targets, the
 * durability checks, the charts, and what each column means.
 */
import type { ShipFigures } from '../lib/jetstream-ship.js';
import { renderJetstreamCell } from './jetstream-cell.js';
import type { EngineInfo, EngineName } from '../lib/cell.js';
import type { MachineInfo } from '../report/machine.js';
import { renderMarkdownTable } from '../report/table.js';
import type { CeilingSummary, CellSummary } from './aggregate.js';
import type { ChartFile } from '../report/chart.js';
import type { SuiteOptions } from './options.js';
import type { RandomGetFigures } from '../lib/random-get.js';
import { renderRandomGet } from '../commands/random-get.js';
import { renderFollowRows, type FollowFigures } from '../lib/follow-latency.js';
import { renderOpenTime, type OpenTimeFigures } from '../lib/open-time.js';
import { renderQueueCell, type QueueCellFigures } from '../queue/suite-cell.js';
import { renderBullmqCell } from '../bullmq/suite-cell.js';
import type { BullmqFigures } from '../commands/bullmq-bench.js';
import { scenarioNames } from './plan.js';
import { renderCeiling, renderScenario } from './tables.js';
import { checkExpectations, renderDurability, renderExpectations, renderTargets, type DurabilityCheck, type TargetCheck } from './targets.js';

export interface ReportInput {
  readonly options: SuiteOptions;
  readonly startedAt: Date;
  readonly finishedAt: Date;
  readonly environment: {
    readonly machine: MachineInfo & { readonly loadAverageAtEnd: readonly number[] };
    readonly packages: Record<string, string>;
    readonly tools: Record<string, string>;
  };
  readonly infos: readonly EngineInfo[];
  readonly skipped: ReadonlyArray<{ readonly engine: EngineName; readonly reason: string }>;
  readonly straceMissing: string | null;
  readonly ceiling: CeilingSummary | null;
  readonly summaries: readonly CellSummary[];
  readonly targets: readonly TargetCheck[];
  readonly durability: readonly DurabilityCheck[];
  readonly charts: readonly ChartFile[];
  /** The random-get cell: figures, why it failed, or null when not run. */
  readonly randomGet: RandomGetFigures | string | null;
  /** The open-time cell: figures, why it failed, or null when not run. */
  readonly openTime?: OpenTimeFigures | string | null;
  /** The follow-latency cell: figures, why it failed, or null when not run. */
  readonly follow?: FollowFigures | string | null;
  /** The JetStream shipping cell: figures, why it did not run, or null when not asked for. */
  readonly jetstream?: ShipFigures | string | null;
  /** The queue end-to-end cell: figures, why it failed, or null when not run. */
  readonly queue?: QueueCellFigures | string | null;
  /** The BullMQ cell: figures, why it failed, or null when not run. */
  readonly bullmq?: BullmqFigures | string | null;
}

const columnNotes = `Columns: **appends/s** durable appends per second in the measured window (median of the repetitions; **spread** = (max - min) / median); **MB/s** payload megabytes per second; **p50 ... max** latency of one operation (one append, or one whole appendMany) from call to resolve, HDR histogram; **seglog ÷ this** seglog's appends/s in the same cell divided by this engine's; **× device sync rate** appends/s divided by the device's preallocated 4 KiB write + fdatasync rate at queue depth 1 (above 1x means more than one append per flush); **% seq. bandwidth** MB/s as a share of the device's sequential write bandwidth. Cost: **CPU µs/append** user + system CPU of the benchmark process and of the engine's server process over the window, per append; **appends/fsync** appends per flush, from the engine's own counter (seglog, plain), else (†) from the strace pass; **syscalls/append** write-family calls on files and sockets plus fsync-family calls, per append, strace pass, counting only calls inside the measured window (libuv's eventfd wake-ups excluded; the engine's server included); **fsyncs/append** flushes per append: fsync/fdatasync/msync/sync_file_range calls, plus writes to files opened with O_DSYNC or O_SYNC (each such write is also counted once in syscalls/append); **file bytes/byte** bytes written to files by write calls per payload byte (strace); **device bytes/byte** bytes the block device wrote during the window per payload byte (machine-wide counter: includes the file system journal and any other process on the machine, so an upper bound).`;

function header(input: ReportInput): string {
  const { machine, packages, tools } = input.environment;
  const o = input.options;
  const minutes = ((input.finishedAt.getTime() - input.startedAt.getTime()) / 60000).toFixed(1);
  return [
    `## Results${o.quick ? ' (--quick: short windows, one repetition, indicative only)' : ''}`,
    '',
    `Run ${input.startedAt.toISOString()} (${minutes} min): ${o.repetitions} repetition(s) of every cell, ${o.timing.warmupMillis} ms warm-up + ${o.timing.durationMillis / 1000} s measured window, each cell in its own process.`,
    `Machine: ${machine.cpuModel}, ${machine.cores} cores, ${(machine.totalMemoryBytes / 2 ** 30).toFixed(0)} GiB, Linux ${machine.kernel}, Node ${machine.node}.`,
    `Disk: ${machine.tempDir} on ${machine.mount?.device ?? '?'} (${machine.mount?.fsType ?? machine.statfsType ?? '?'}, ${machine.mount?.options ?? ''}).`,
    `Load average at start ${machine.loadAverage.map((l) => l.toFixed(2)).join(' ')}, at end ${machine.loadAverageAtEnd.map((l) => l.toFixed(2)).join(' ')} (the machine may be shared).`,
    `Versions: ${Object.entries({ ...packages, ...tools }).map(([k, v]) => `${k} ${v}`).join('; ')}.`,
  ].join('\n');
}

function engineTable(input: ReportInput): string {
  const skipped = new Map(input.skipped.map((s) => [s.engine, s.reason]));
  return renderMarkdownTable(
    [
      { title: 'engine', align: 'left' },
      { title: 'what', align: 'left' },
      { title: 'durable', align: 'left' },
      { title: 'durability setting', align: 'left' },
    ],
    input.infos.map((info) => [
      info.name,
      info.label,
      skipped.has(info.name) ? `skipped: ${skipped.get(info.name)}` : info.durable ? 'yes' : '**no**',
      info.durability,
    ]),
  );
}

export function renderReport(input: ReportInput): string {
  const sections = [header(input), '', '### Engines', '', engineTable(input)];
  if (input.straceMissing !== null) sections.push('', `strace pass skipped: ${input.straceMissing}`);
  sections.push('', renderCeiling(input.ceiling));
  for (const scenario of scenarioNames) {
    const table = renderScenario(input.summaries, scenario, input.ceiling);
    if (table !== '') sections.push('', table);
  }
  sections.push('', columnNotes);
  if (input.randomGet !== null) {
    const settings = input.options.randomGet;
    const figures = input.randomGet;
    const body =
      typeof figures === 'string' ? `not measured: ${figures}` : settings === null ? '' : renderRandomGet(figures, settings);
    sections.push('', '### Random get and reader memory (issue 11)', '', `\`main.js random-get\` in the suite (lib/random-get.ts): ${body}`);
  }
  if (input.openTime != null) sections.push('', ...renderOpenTimeSection(input.openTime));
  if (input.follow != null) {
    const body = typeof input.follow === 'string' ? `not measured: ${input.follow}` : renderFollowRows(input.follow.rows);
    sections.push('', '### Follow latency (issue 12)', '', '`main.js follow` in the suite (lib/follow-latency.ts): a follower in another process, latency from the append\'s acknowledgement to the record\'s arrival.', '', body);
  }
  if (input.jetstream != null) sections.push('', '### JetStream shipping (issue 16)', '', ...renderJetstreamCell(input.jetstream));
  if (input.queue !== undefined && input.queue !== null) sections.push('', renderQueueCell(input.queue, input.options.queue ?? null));
  if (input.bullmq !== undefined && input.bullmq !== null) sections.push('', renderBullmqCell(input.bullmq));
  sections.push('', '### Targets', '', 'Ratios from this run only: seglog against the best durable peer of the same cell and against the device ceiling measured in the same invocation.', '', renderTargets(input.targets));
  sections.push('', 'What the issue expected of this machine (informational):', '', renderExpectations(checkExpectations(input.summaries, input.ceiling)));
  sections.push('', '### Durability checks (strace pass)', '', 'With one appender every acknowledged append is its own commit, so a durable engine must issue at least one flush per append: an fsync-family call, or a write to a file opened with O_DSYNC or O_SYNC (the strace pass follows opens).', '', renderDurability(input.durability));
  if (input.charts.length > 0) {
    sections.push('', '### Charts', '', ...input.charts.map((chart) => `![${chart.title}](${chart.name})`));
  }
  return sections.join('\n');
}

/** The open-time cell's section: the figures as `main.js open-time` prints them, or why it did not run. */
export function renderOpenTimeSection(openTime: OpenTimeFigures | string): string[] {
  const intro =
    '`main.js open-time` in the suite (lib/open-time.ts): `openLog` timed in a child process after the writer was SIGKILLed ' +
    'mid-append, warm and cold (page cache dropped), medians of the rounds; the slope is per sealed segment.';
  if (typeof openTime === 'string') return ['### Open time (issue 11)', '', intro, '', `not measured: ${openTime}`];
  const title = `### Open time (issue 11): ${openTime.gib} GiB log`;
  return [title, '', intro, '', '```', renderOpenTime(openTime), '```'];
}
