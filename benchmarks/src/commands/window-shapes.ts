/**
 * One job: test the adaptive commit window against fixed windows on real load shapes.
 *
 * For each load shape it runs the adaptive window and fixed windows of 0, 50, 200, 1000 and 5000
 * µs, each on a fresh temporary log on this disk, and reports durable appends/s, latency
 * percentiles (from the moment an append was due to its acknowledgement), flushes/s and syscalls
 * per append (write-family + sync calls the log issued, from its metrics). Then it checks the
 * issue's targets: adaptive within 10% of the best fixed window (in hindsight) on throughput and
 * p99, and fewer flushes/s than fixed 0 under moderate load without losing >10% p99.
 *
 * Every run is a cell of the one cell runner (lib/run-cell.ts) on seglog with that window; open-loop
 * shapes are its open-loop workload (Poisson arrivals on a schedule, lib/drive.ts), and the
 * latency HDR histogram gives the percentiles.
 *
 * Each window runs --reps times per shape, in a rotated order so drift of the shared disk falls on
 * every window alike, and the table reports the median of each figure over the repetitions.
 */
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { CommitWindow } from '@seglog/types';
import type { TopLevelSpec } from 'vega-lite';
import { seglogEngineWith } from '../engines/seglog.js';
import { positiveInteger, positiveNumber } from '../lib/args.js';
import type { CellResult } from '../lib/cell.js';
import { runCellOn } from '../lib/run-cell.js';
import { withTempDir } from '../lib/tmpdir.js';
import type { RateSchedule, Workload } from '../lib/workload.js';
import { renderChart, vegaLiteSchema, writeCharts, type ChartFile } from '../report/chart.js';
import { median, rotate } from '../report/stats.js';
import { renderMarkdownTable, type Column } from '../report/table.js';
import type { Command } from './command.js';

interface Shape {
  readonly name: string;
  readonly description: string;
  /** An open loop at this rate, or `closedAppenders` awaiting their appends in turn. */
  readonly rate?: RateSchedule;
  readonly closedAppenders?: number;
  /** Start a competing writer on the same disk for the second half. */
  readonly competingWriter?: boolean;
  /** The shape the flushes/s target is judged on. */
  readonly moderate?: boolean;
}

const shapes: readonly Shape[] = [
  { name: 'steady-light', description: 'open loop, 200 appends/s', rate: { kind: 'steady', perSecond: 200 } },
  { name: 'steady-moderate', description: 'open loop, 3000 appends/s', rate: { kind: 'steady', perSecond: 3000 }, moderate: true },
  { name: 'steady-heavy', description: 'closed loop, 64 appenders', closedAppenders: 64 },
  { name: 'on-off-bursts', description: 'open loop, 8000/s for 200 ms then silent 300 ms', rate: { kind: 'on-off', perSecond: 8000, onMillis: 200, periodMillis: 500 } },
  { name: 'ramp', description: 'open loop, 0 -> 10000/s -> 0 linearly', rate: { kind: 'ramp', peakPerSecond: 10_000 } },
  { name: 'fsync-shift', description: 'open loop 3000/s; a competing writer on the disk in the second half', rate: { kind: 'steady', perSecond: 3000 }, competingWriter: true },
];

const windows: ReadonlyArray<{ readonly label: string; readonly window: CommitWindow }> = [
  { label: 'adaptive', window: 'adaptive' },
  { label: 'fixed 0', window: { fixedMicros: 0 } },
  { label: 'fixed 50', window: { fixedMicros: 50 } },
  { label: 'fixed 200', window: { fixedMicros: 200 } },
  { label: 'fixed 1000', window: { fixedMicros: 1000 } },
  { label: 'fixed 5000', window: { fixedMicros: 5000 } },
];

export interface WindowResult {
  readonly shape: string;
  readonly window: string;
  readonly appendsPerSecond: number;
  readonly p50Micros: number;
  readonly p99Micros: number;
  readonly p999Micros: number;
  readonly flushesPerSecond: number;
  readonly syscallsPerAppend: number;
  readonly meanWindowMicros: number;
}

type Figure = keyof Omit<WindowResult, 'shape' | 'window'>;

export const windowShapesCommand: Command = {
  name: 'window-shapes',
  summary: 'the adaptive commit window against fixed windows on steady, bursty, ramping and fsync-shifting loads',
  usage: `usage: main.js window-shapes [--seconds 4] [--reps 3] [--shapes a,b] [--json out.json] [--charts DIR]
       main.js window-shapes --report window-shapes.json --charts DIR     (charts again, nothing run)
  --shapes LIST   from: ${shapes.map((s) => s.name).join(', ')}
  --charts DIR    write window-p99.svg and window-flushes.svg there`,
  async run(argv) {
    const { values } = parseArgs({
      args: [...argv],
      options: { seconds: { type: 'string' }, reps: { type: 'string' }, shapes: { type: 'string' }, json: { type: 'string' }, charts: { type: 'string' }, report: { type: 'string' } },
    });
    if (values.report !== undefined) {
      const { results } = JSON.parse(await readFile(values.report, 'utf8')) as { results: StoredResult[] };
      await saveCharts(results.map(fromStored), values.charts ?? '.');
      return;
    }
    const seconds = positiveNumber(values.seconds, '--seconds', 4);
    const reps = positiveInteger(values.reps, '--reps', 3);
    const only = values.shapes?.split(',');
    const chosen = shapes.filter((shape) => only === undefined || only.includes(shape.name));
    const { results, raw, verdicts } = await runShapes(chosen, seconds, reps);
    console.log(`Medians of ${reps} repetitions of ${seconds} s per cell.\n`);
    console.log(renderWindowTable(results));
    console.log('\nTargets:');
    for (const line of verdicts) console.log(`- ${line}`);
    if (values.json !== undefined) {
      const shapesRun = chosen.map((s) => ({ name: s.name, description: s.description }));
      const saved = { seconds, reps, raw, shapes: shapesRun, results, verdicts };
      await writeFile(values.json, JSON.stringify(saved, null, 2));
    }
    if (values.charts !== undefined) await saveCharts(results, values.charts);
  },
};

interface ShapesRun {
  readonly results: WindowResult[];
  readonly raw: WindowResult[];
  readonly verdicts: string[];
}

async function runShapes(chosen: readonly Shape[], seconds: number, reps: number): Promise<ShapesRun> {
  const results: WindowResult[] = [];
  const raw: WindowResult[] = [];
  const verdicts: string[] = [];
  for (const shape of chosen) {
    const runs = new Map<string, WindowResult[]>(windows.map(({ label }) => [label, []]));
    for (let rep = 0; rep < reps; rep += 1) {
      for (const { label, window } of rotate(windows, rep)) {
        runs.get(label)!.push(await runWindow(shape, label, window, seconds));
        process.stderr.write(`  ${shape.name} rep ${rep + 1}/${reps} ${label} done\n`);
      }
    }
    const rows = windows.map(({ label }) => medianRow(runs.get(label)!));
    results.push(...rows);
    raw.push(...[...runs.values()].flat());
    verdicts.push(...checkWindowTargets(shape, rows));
  }
  return { results, raw, verdicts };
}

function startCompetingWriter(dir: string): () => void {
  // Sequential 1 MiB writes with an fsync every 8 MiB: what a backup or compaction does to a disk.
  const code = `const fs=require('fs');const fd=fs.openSync(${JSON.stringify(join(dir, 'competitor.bin'))},'w');const b=Buffer.alloc(1<<20,7);let i=0;for(;;){fs.writeSync(fd,b,0,b.length,(i%256)<<20);if(++i%8===0)fs.fsyncSync(fd);}`;
  const child = spawn(process.execPath, ['-e', code], { stdio: 'ignore' });
  return () => child.kill('SIGKILL');
}

/** One shape under one window: the one cell runner, no warm-up (the shapes start from an idle log). */
function runWindow(shape: Shape, label: string, window: CommitWindow, seconds: number): Promise<WindowResult> {
  const recordBytes = 128;
  const workload: Workload = shape.rate === undefined ? { kind: 'uniform', recordBytes } : { kind: 'open', recordBytes, rate: shape.rate };
  return withTempDir(async (dir) => {
    let stopCompetitor: (() => void) | null = null;
    const startCompetitor = (): void => {
      stopCompetitor = startCompetingWriter(dir);
    };
    const competitorTimer = shape.competingWriter === true ? setTimeout(startCompetitor, (seconds * 1000) / 2) : null;
    try {
      const engine = seglogEngineWith({ commitWindow: window }, `seglog, commit window ${label}`);
      const concurrency = shape.closedAppenders ?? 1;
      const durationMillis = seconds * 1000;
      const options = { dir, recordBytes, concurrency, warmupMillis: 0, durationMillis, workload };
      const cell = await runCellOn(engine, options);
      return windowResult(shape.name, label, cell);
    } finally {
      if (competitorTimer !== null) clearTimeout(competitorTimer);
      (stopCompetitor as (() => void) | null)?.();
    }
  });
}

export function windowResult(shape: string, window: string, cell: CellResult): WindowResult {
  return {
    shape,
    window,
    appendsPerSecond: cell.appendsPerSecond,
    p50Micros: cell.latencyMicros.p50,
    p99Micros: cell.latencyMicros.p99,
    p999Micros: cell.latencyMicros.p999,
    flushesPerSecond: (cell.windowFlushes ?? 0) / cell.measuredSeconds,
    syscallsPerAppend: cell.windowAppends === 0 ? 0 : (cell.windowSyscalls ?? 0) / cell.windowAppends,
    meanWindowMicros: cell.gaugeMeans.commitWindowMicros ?? 0,
  };
}

const figureNames: readonly Figure[] = ['appendsPerSecond', 'p50Micros', 'p99Micros', 'p999Micros', 'flushesPerSecond', 'syscallsPerAppend', 'meanWindowMicros'];

/** One row per window: the median of every figure over its repetitions. */
export function medianRow(rows: readonly WindowResult[]): WindowResult {
  const medians = figureNames.map((key) => [key, median(rows.map((row) => row[key]))]);
  const figures = Object.fromEntries(medians) as Record<Figure, number>;
  return { shape: rows[0]!.shape, window: rows[0]!.window, ...figures };
}

function fmt(value: number, digits = 0): string {
  return value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

const tableColumns: ReadonlyArray<Column & { readonly figure?: Figure; readonly digits?: number }> = [
  { title: 'shape', align: 'left' },
  { title: 'window', align: 'left' },
  { title: 'appends/s', align: 'right', figure: 'appendsPerSecond' },
  { title: 'p50 µs', align: 'right', figure: 'p50Micros' },
  { title: 'p99 µs', align: 'right', figure: 'p99Micros' },
  { title: 'p999 µs', align: 'right', figure: 'p999Micros' },
  { title: 'flushes/s', align: 'right', figure: 'flushesPerSecond' },
  { title: 'syscalls/append', align: 'right', figure: 'syscallsPerAppend', digits: 3 },
  { title: 'mean window µs', align: 'right', figure: 'meanWindowMicros', digits: 1 },
];

export function renderWindowTable(rows: readonly WindowResult[]): string {
  return renderMarkdownTable(
    tableColumns,
    rows.map((row) => tableColumns.map((c) => (c.figure === undefined ? (c.title === 'shape' ? row.shape : row.window) : fmt(row[c.figure], c.digits)))),
  );
}

/** The targets for one shape, from its median rows (one of them 'adaptive'). */
export function checkWindowTargets(shape: Pick<Shape, 'name' | 'moderate'>, rows: readonly WindowResult[]): string[] {
  const adaptive = rows.find((row) => row.window === 'adaptive')!;
  const fixed = rows.filter((row) => row.window !== 'adaptive');
  const bestThroughput = fixed.reduce((a, b) => (b.appendsPerSecond > a.appendsPerSecond ? b : a));
  const bestP99 = fixed.reduce((a, b) => (b.p99Micros < a.p99Micros ? b : a));
  const out = [
    `${shape.name}: throughput ${adaptive.appendsPerSecond >= 0.9 * bestThroughput.appendsPerSecond ? 'PASS' : 'MISS'} (adaptive ${fmt(adaptive.appendsPerSecond)}/s vs best ${bestThroughput.window} ${fmt(bestThroughput.appendsPerSecond)}/s)`,
    `${shape.name}: p99 ${adaptive.p99Micros <= 1.1 * bestP99.p99Micros ? 'PASS' : 'MISS'} (adaptive ${fmt(adaptive.p99Micros)} µs vs best ${bestP99.window} ${fmt(bestP99.p99Micros)} µs)`,
  ];
  if (shape.moderate === true) {
    const zero = rows.find((row) => row.window === 'fixed 0')!;
    const fewer = adaptive.flushesPerSecond < zero.flushesPerSecond;
    const p99Ok = adaptive.p99Micros <= 1.1 * zero.p99Micros;
    out.push(`${shape.name}: fewer flushes/s than fixed 0 without >10% p99 ${fewer && p99Ok ? 'PASS' : 'MISS'} (${fmt(adaptive.flushesPerSecond)} vs ${fmt(zero.flushesPerSecond)} /s; p99 ${fmt(adaptive.p99Micros)} vs ${fmt(zero.p99Micros)} µs)`);
  }
  return out;
}

/** Results saved before the rename call flushes/s `fdatasyncsPerSecond` (docs/benchmarks/window-shapes.json). */
type StoredResult = WindowResult | (Omit<WindowResult, 'flushesPerSecond'> & { readonly fdatasyncsPerSecond: number });

function fromStored(row: StoredResult): WindowResult {
  return 'flushesPerSecond' in row ? row : { ...row, flushesPerSecond: row.fdatasyncsPerSecond };
}

function barSpec(rows: readonly WindowResult[], field: 'p99Micros' | 'flushesPerSecond', title: string, yTitle: string): TopLevelSpec {
  return {
    $schema: vegaLiteSchema,
    title,
    data: { values: rows.map((row) => ({ shape: row.shape, window: row.window, value: row[field] })) },
    facet: { column: { field: 'shape', type: 'nominal', title: null } },
    spec: {
      width: 110,
      height: 180,
      mark: 'bar',
      encoding: {
        x: { field: 'window', type: 'nominal', sort: windows.map((w) => w.label), title: null, axis: { labelAngle: -60 } },
        y: { field: 'value', type: 'quantitative', title: yTitle },
        color: { condition: { test: "datum.window === 'adaptive'", value: '#d62728' }, value: '#9e9e9e' },
      },
    },
    resolve: { scale: { y: 'independent' } },
    config: { background: 'white' },
  };
}

async function saveCharts(rows: readonly WindowResult[], dir: string): Promise<void> {
  const p99Title = 'p99 append latency by commit window (median of repetitions)';
  const flushTitle = 'flushes per second by commit window';
  const charts: ChartFile[] = [
    await renderChart('window-p99.svg', p99Title, barSpec(rows, 'p99Micros', p99Title, 'p99 µs')),
    await renderChart('window-flushes.svg', flushTitle, barSpec(rows, 'flushesPerSecond', flushTitle, 'flushes/s')),
  ];
  for (const path of await writeCharts(dir, charts)) console.log(path);
}
