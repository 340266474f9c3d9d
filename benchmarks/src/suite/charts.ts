/**
 * One job: draw the suite's charts as SVG with vega-lite (compiled to a vega spec and rendered
 * headless in Node): throughput, p99 latency and syscalls per append against concurrency, one line
 * per engine, and bandwidth against record size. The device ceiling is drawn as a dashed rule, so
 * every line reads against what the disk itself can do. Engines that are not durable are drawn
 * dashed and named "(not durable)".
 */
import type { TopLevelSpec } from 'vega-lite';
import type { EngineName } from '../lib/cell.js';
import { renderChart, vegaLiteSchema, type ChartFile } from '../report/chart.js';
import type { CeilingSummary, CellSummary } from './aggregate.js';
import { defaultEngines } from './plan.js';

interface Point {
  readonly engineName: EngineName;
  readonly engine: string;
  readonly x: number;
  readonly y: number;
  readonly durable: string;
}

interface ChartSpec {
  readonly name: string;
  readonly title: string;
  readonly xTitle: string;
  readonly yTitle: string;
  readonly points: readonly Point[];
  readonly rule?: { readonly y: number; readonly label: string };
  readonly xLog2?: boolean;
}

/** One fixed colour per engine, so every chart reads the same; seglog in the strongest one. */
const engineColors: Record<EngineName, string> = {
  seglog: '#d62728',
  'plain-fdatasync': '#7f7f7f',
  sqlite: '#1f77b4',
  lmdb: '#ff7f0e',
  'lmdb-overlap': '#ffbb78',
  level: '#2ca02c',
  redis: '#9467bd',
  nats: '#8c564b',
};

function colorScale(points: readonly Point[]): { domain: string[]; range: string[] } {
  const present = defaultEngines.flatMap((engine) => {
    const label = points.find((p) => p.engineName === engine)?.engine;
    return label === undefined ? [] : [{ label, color: engineColors[engine] }];
  });
  return { domain: present.map((p) => p.label), range: present.map((p) => p.color) };
}

function engineLabel(s: CellSummary): string {
  return s.durable ? s.cell.engine : `${s.cell.engine} (not durable)`;
}

function pointsOf(
  rows: readonly CellSummary[],
  x: (s: CellSummary) => number,
  y: (s: CellSummary) => number | null | undefined,
): Point[] {
  return rows.flatMap((s) => {
    const value = y(s);
    return value === null || value === undefined || !(value > 0) ? [] : [{ engineName: s.cell.engine, engine: engineLabel(s), x: x(s), y: value, durable: s.durable ? 'durable' : 'not durable' }];
  });
}

function vegaLiteSpec(chart: ChartSpec): TopLevelSpec {
  const xScale = chart.xLog2 === true ? { type: 'log' as const, base: 2 } : { type: 'log' as const, base: 4 };
  const layers: object[] = [
    {
      data: { values: chart.points },
      mark: { type: 'line', point: true, strokeWidth: 2 },
      encoding: {
        x: { field: 'x', type: 'quantitative', scale: xScale, title: chart.xTitle, axis: { values: [...new Set(chart.points.map((p) => p.x))] } },
        y: { field: 'y', type: 'quantitative', scale: { type: 'log' }, title: chart.yTitle },
        color: { field: 'engine', type: 'nominal', title: 'engine', scale: colorScale(chart.points), sort: null, legend: { labelLimit: 400 } },
        strokeDash: { field: 'durable', type: 'nominal', title: null, scale: { domain: ['durable', 'not durable'], range: [[1, 0], [6, 4]] }, legend: null },
      },
    },
  ];
  if (chart.rule !== undefined) {
    layers.push(
      { data: { values: [chart.rule] }, mark: { type: 'rule', strokeDash: [3, 3], color: '#555' }, encoding: { y: { field: 'y', type: 'quantitative' } } },
      {
        data: { values: [chart.rule] },
        mark: { type: 'text', align: 'left', dx: 4, dy: -6, color: '#555', fontSize: 10 },
        encoding: { y: { field: 'y', type: 'quantitative' }, x: { value: 0 }, text: { field: 'label' } },
      },
    );
  }
  return {
    $schema: vegaLiteSchema,
    title: chart.title,
    width: 560,
    height: 320,
    layer: layers,
  } as TopLevelSpec;
}

export async function drawCharts(
  summaries: readonly CellSummary[],
  ceiling: CeilingSummary | null,
): Promise<ChartFile[]> {
  const sweep = summaries.filter((s) => s.cell.scenarios.includes('concurrency'));
  const sizes = summaries.filter((s) => s.cell.scenarios.includes('size') && s.cell.workload.kind === 'uniform');
  const charts: ChartSpec[] = [];
  if (sweep.length > 0) {
    charts.push(
      {
        name: 'throughput-vs-concurrency.svg',
        title: 'Durable appends/s vs concurrent appenders (128 B records)',
        xTitle: 'concurrent appenders',
        yTitle: 'appends/s (median)',
        points: pointsOf(sweep, (s) => s.cell.concurrency, (s) => s.appendsPerSecond?.median),
        ...(ceiling === null ? {} : { rule: { y: ceiling.syncedWritesPerSecond.median, label: 'device: 4 KiB write+fdatasync at QD1' } }),
      },
      {
        name: 'p99-vs-concurrency.svg',
        title: 'p99 append latency vs concurrent appenders (128 B records)',
        xTitle: 'concurrent appenders',
        yTitle: 'p99 latency, µs',
        points: pointsOf(sweep, (s) => s.cell.concurrency, (s) => s.p99Micros?.median),
        ...(ceiling === null ? {} : { rule: { y: ceiling.syncedP99Micros.median, label: 'device: p99 of one 4 KiB write+fdatasync' } }),
      },
      {
        name: 'syscalls-per-append.svg',
        title: 'Write-family + sync syscalls per durable append (strace, 128 B records)',
        xTitle: 'concurrent appenders',
        yTitle: 'syscalls per append',
        points: pointsOf(sweep, (s) => s.cell.concurrency, (s) => s.trace?.syscallsPerAppend),
      },
    );
  }
  if (sizes.length > 0) {
    charts.push({
      name: 'bandwidth-vs-record-size.svg',
      title: 'Durable MB/s vs record size (256 concurrent appenders)',
      xTitle: 'record size, bytes',
      yTitle: 'payload MB/s (median)',
      xLog2: true,
      points: pointsOf(sizes, (s) => (s.cell.workload.kind === 'uniform' ? s.cell.workload.recordBytes : 0), (s) => s.megabytesPerSecond?.median),
      ...(ceiling === null ? {} : { rule: { y: ceiling.sequentialMegabytesPerSecond.median, label: 'device: sequential buffered write + fsync' } }),
    });
  }
  const files: ChartFile[] = [];
  for (const chart of charts) {
    if (chart.points.length > 0) files.push(await renderChart(chart.name, chart.title, vegaLiteSpec(chart)));
  }
  return files;
}
