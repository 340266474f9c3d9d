/**
 * One job: render the suite's Markdown: per scenario, a speed table (throughput, latency, ratios to
 * seglog and to the device ceiling) and a cost table (CPU, flushes, syscalls, bytes written).
 */
import type { EngineName } from '../lib/cell.js';
import { formatCount, formatMicros, renderMarkdownTable, type Column } from '../report/table.js';
import { describeWorkload } from '../lib/workload.js';
import { spreadPercent, type Spread } from '../report/stats.js';
import type { CeilingSummary, CellSummary } from './aggregate.js';
import { defaultEngines, scenarioTitles, workloadKey, type ScenarioName } from './plan.js';

const speedColumns: readonly Column[] = [
  { title: 'engine', align: 'left' },
  { title: 'durable', align: 'left' },
  { title: 'appenders', align: 'right' },
  { title: 'workload', align: 'left' },
  { title: 'appends/s', align: 'right' },
  { title: 'spread', align: 'right' },
  { title: 'MB/s', align: 'right' },
  { title: 'p50 µs', align: 'right' },
  { title: 'p99 µs', align: 'right' },
  { title: 'p999 µs', align: 'right' },
  { title: 'max µs', align: 'right' },
  { title: 'seglog ÷ this', align: 'right' },
  { title: '× device sync rate', align: 'right' },
  { title: '% seq. bandwidth', align: 'right' },
];

const costColumns: readonly Column[] = [
  { title: 'engine', align: 'left' },
  { title: 'appenders', align: 'right' },
  { title: 'workload', align: 'left' },
  { title: 'CPU µs/append', align: 'right' },
  { title: 'appends/fsync', align: 'right' },
  { title: 'syscalls/append', align: 'right' },
  { title: 'fsyncs/append', align: 'right' },
  { title: 'file bytes/byte', align: 'right' },
  { title: 'device bytes/byte', align: 'right' },
];

/** The rows of one scenario, in plan order (workload, appenders), engines in the default order. */
export function scenarioRows(summaries: readonly CellSummary[], scenario: ScenarioName): CellSummary[] {
  const rows = summaries.filter((s) => s.cell.scenarios.includes(scenario));
  const groupOrder = new Map<string, number>();
  for (const row of rows) {
    const group = `${workloadKey(row.cell.workload)}/${row.cell.concurrency}`;
    if (!groupOrder.has(group)) groupOrder.set(group, groupOrder.size);
  }
  const rank = (s: CellSummary): number => groupOrder.get(`${workloadKey(s.cell.workload)}/${s.cell.concurrency}`) ?? 0;
  return [...rows].sort((a, b) => rank(a) - rank(b) || engineRank(a.cell.engine) - engineRank(b.cell.engine));
}

function engineRank(engine: EngineName): number {
  return defaultEngines.indexOf(engine);
}

/** The seglog summary of the same workload and concurrency as `row`. */
export function seglogTwin(summaries: readonly CellSummary[], row: CellSummary): CellSummary | undefined {
  return summaries.find(
    (s) => s.cell.engine === 'seglog' && s.cell.concurrency === row.cell.concurrency && workloadKey(s.cell.workload) === workloadKey(row.cell.workload),
  );
}

export function renderScenario(
  summaries: readonly CellSummary[],
  scenario: ScenarioName,
  ceiling: CeilingSummary | null,
): string {
  const rows = scenarioRows(summaries, scenario);
  if (rows.length === 0) return '';
  const speed = rows.map((row) => speedRow(row, seglogTwin(summaries, row), ceiling));
  const cost = rows.map(costRow);
  return [
    `### ${scenarioTitles[scenario]}`,
    '',
    renderMarkdownTable(speedColumns, speed),
    '',
    renderMarkdownTable(costColumns, cost),
  ].join('\n');
}

function speedRow(row: CellSummary, seglog: CellSummary | undefined, ceiling: CeilingSummary | null): string[] {
  const head = [row.cell.engine, row.durable ? 'yes' : '**no**', String(row.cell.concurrency), describeWorkload(row.cell.workload)];
  if (row.appendsPerSecond === null) return [...head, failedText(row), '', '', '', '', '', '', '', '', ''];
  const rate = row.appendsPerSecond.median;
  const seglogRate = seglog?.appendsPerSecond?.median;
  return [
    ...head,
    formatCount(rate),
    `±${spreadPercent(row.appendsPerSecond).toFixed(0)}%`,
    formatDecimal(row.megabytesPerSecond?.median),
    micros(row.p50Micros),
    micros(row.p99Micros),
    micros(row.p999Micros),
    micros(row.maxMicros),
    row.cell.engine === 'seglog' || seglogRate === undefined || rate === 0 ? '' : `${(seglogRate / rate).toFixed(2)}x`,
    ceiling === null ? '' : `${(rate / ceiling.syncedWritesPerSecond.median).toFixed(2)}x`,
    ceiling === null || row.megabytesPerSecond === null ? '' : `${((row.megabytesPerSecond.median / ceiling.sequentialMegabytesPerSecond.median) * 100).toFixed(1)}%`,
  ];
}

function costRow(row: CellSummary): string[] {
  const trace = row.trace;
  const apf = row.appendsPerFlush;
  return [
    row.cell.engine,
    String(row.cell.concurrency),
    describeWorkload(row.cell.workload),
    row.cpuMicrosPerAppend === null ? '' : formatDecimal(row.cpuMicrosPerAppend.median),
    apf === null ? (trace === null ? '' : 'none') : `${formatDecimal(apf.value)}${apf.source === 'strace' ? '†' : ''}`,
    trace === null ? (row.traceError === null ? '' : 'trace failed') : trace.syscallsPerAppend.toFixed(4),
    trace === null ? '' : trace.syncsPerAppend.toFixed(4),
    trace === null ? '' : formatDecimal(trace.fileBytesPerPayloadByte),
    row.deviceBytesPerPayloadByte === null ? '' : formatDecimal(row.deviceBytesPerPayloadByte.median),
  ];
}

function failedText(row: CellSummary): string {
  return `failed: ${row.errors[0] ?? 'no result'}`.slice(0, 120).replace(/\|/g, '/');
}

/** "–" when no operation fit inside the window (an engine slower than the window is long). */
function micros(spread: Spread | null): string {
  return spread === null ? '–' : formatMicros(spread.median);
}

/** Three significant figures, at least one decimal below 10 (0.0123, 1.25, 12.3, 1,234). */
export function formatDecimal(value: number | undefined | null): string {
  if (value === undefined || value === null || !Number.isFinite(value)) return '';
  if (value >= 1000) return formatCount(value);
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1);
  if (value >= 1) return value.toFixed(2);
  return value.toPrecision(3);
}

export function renderCeiling(ceiling: CeilingSummary | null): string {
  if (ceiling === null) return 'Device ceiling: not measured.';
  const c = ceiling;
  return [
    '### Device ceiling (same disk, same run)',
    '',
    renderMarkdownTable(
      [
        { title: 'measurement', align: 'left' },
        { title: 'median', align: 'right' },
        { title: 'min', align: 'right' },
        { title: 'max', align: 'right' },
      ],
      [
        ['preallocated 4 KiB write + fdatasync, QD1 (writes/s)', ...triple(c.syncedWritesPerSecond, formatCount)],
        ['  latency p50 (µs)', ...triple(c.syncedP50Micros, formatMicros)],
        ['  latency p99 (µs)', ...triple(c.syncedP99Micros, formatMicros)],
        ...(c.syncedCpuMicros === null ? [] : [['  CPU per write + fdatasync (µs, user + system)', ...triple(c.syncedCpuMicros, formatMicros)]]),
        ['appending 4 KiB write + fdatasync, QD1 (writes/s)', ...triple(c.appendingWritesPerSecond, formatCount)],
        ['sequential 1 MiB buffered writes + one fsync (MB/s)', ...triple(c.sequentialMegabytesPerSecond, (v) => v.toFixed(0))],
        ...(c.asyncDsyncWritesPerSecond === null
          ? []
          : [['bare async loop: 4 KiB pwrite on O_DSYNC, QD1 (writes/s)', ...triple(c.asyncDsyncWritesPerSecond, formatCount)]]),
        ...(c.asyncDsyncP99Micros === null ? [] : [['  latency p99 (µs)', ...triple(c.asyncDsyncP99Micros, formatMicros)]]),
        ...(c.asyncDsyncDepth2WritesPerSecond === null
          ? []
          : [['  the same, 2 writes in flight (writes/s, both together)', ...triple(c.asyncDsyncDepth2WritesPerSecond, formatCount)]]),
      ],
    ),
  ].join('\n');
}

function triple(spread: Spread, format: (value: number) => string): [string, string, string] {
  return [format(spread.median), format(spread.min), format(spread.max)];
}
