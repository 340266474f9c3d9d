/**
 * The parts that turn measurements into the figures the tables print: ratios, medians over
 * repetitions, syscalls per append, target and durability verdicts, the probe's verdict and window.
 * Known inputs in, exact figures out; no disk and no timing.
 */
import test from 'ava';
import { medianFigure, figures, type ComparisonRow } from '../src/lib/compare.js';
import type { CellResult, EngineInfo, EngineName } from '../src/lib/cell.js';
import type { SyncedWriteFigures } from '../src/lib/device-ceiling.js';
import { judgeProbe } from '../src/lib/probe.js';
import { countCalls } from '../src/lib/strace-lines.js';
import { renderResultsTable, speedRatios } from '../src/report/quickstart-table.js';
import { spreadOf } from '../src/report/stats.js';
import { summarizeCell, type CeilingSummary, type CellSummary } from '../src/suite/aggregate.js';
import { cellKey, type CellSpec } from '../src/suite/plan.js';
import type { TimingRun } from '../src/suite/run-cells.js';
import { bestDurablePeer, checkDurability, checkTargets } from '../src/suite/targets.js';
import { figuresOf } from '../src/suite/trace.js';
import { checkWindowTargets, medianRow, type WindowResult } from '../src/commands/window-shapes.js';

function result(engine: EngineName, concurrency: number, rate: number, extra: Partial<CellResult> = {}): CellResult {
  const appendsPerSecond = rate;
  return {
    engine,
    durable: true,
    recordBytes: 128,
    concurrency,
    workload: { kind: 'uniform', recordBytes: 128 },
    appendsPerSecond,
    megabytesPerSecond: (appendsPerSecond * 128) / 1e6,
    appends: appendsPerSecond,
    latencyMicros: { count: 10, mean: 100, p50: 100, p99: 400, p999: 900, max: 1000 },
    appendsPerFlush: null,
    cpuMicrosPerAppend: 2,
    cost: { selfCpuMicros: 2 * appendsPerSecond, selfSystemMicros: appendsPerSecond, serverCpuMicros: 0, device: null },
    ...extra,
  } as CellResult;
}

test('quickstart ratios pair each seglog cell with plain of the same size and appenders', (t) => {
  const cells = [result('plain-fdatasync', 16, 1000), result('seglog', 16, 25_000), result('seglog', 256, 90_000)];
  t.deepEqual(speedRatios(cells), [{ recordBytes: 128, concurrency: 16, seglogOverPlain: 25 }], 'no plain at 256: no ratio');
  const table = renderResultsTable(cells);
  t.regex(table, /\| seglog +\| +128 \| +16 \| +25,000 \|.*\| +25\.00x \|/);
  t.is(table.split('\n').length, 5, 'header, rule and one row per cell');
});

function spec(engine: EngineName, concurrency: number): CellSpec {
  const workload = { kind: 'uniform', recordBytes: 128 } as const;
  return { key: cellKey(engine, workload, concurrency), engine, workload, concurrency, scenarios: ['concurrency'] };
}

test('a cell summary is the median of its repetitions, failed ones counted apart', (t) => {
  const cell = spec('seglog', 256);
  const runs: TimingRun[] = [
    { key: cell.key, repetition: 0, result: result('seglog', 256, 100, { appendsPerFlush: 200 }) },
    { key: cell.key, repetition: 1, result: result('seglog', 256, 300, { appendsPerFlush: 256 }) },
    { key: cell.key, repetition: 2, result: result('seglog', 256, 200, { appendsPerFlush: 250 }) },
    { key: cell.key, repetition: 3, error: 'timed out' },
    { key: 'other', repetition: 0, result: result('seglog', 1, 5) },
  ];
  const summary = summarizeCell(cell, true, runs, null, null);
  t.is(summary.repetitions, 3);
  t.deepEqual(summary.errors, ['timed out']);
  t.deepEqual(summary.appendsPerSecond, { median: 200, min: 100, max: 300, samples: 3 });
  t.deepEqual(summary.appendsPerFlush, { value: 250, source: 'engine' });
});

type Extra = Partial<CellSummary>;

function summary(engine: EngineName, concurrency: number, rate: number, p99: number, extra: Extra = {}): CellSummary {
  return {
    cell: spec(engine, concurrency),
    durable: engine !== 'nats',
    repetitions: 1,
    errors: [],
    appendsPerSecond: spreadOf([rate]),
    megabytesPerSecond: spreadOf([(rate * 128) / 1e6]),
    p50Micros: spreadOf([p99 / 2]),
    p99Micros: spreadOf([p99]),
    p999Micros: null,
    maxMicros: null,
    cpuMicrosPerAppend: spreadOf([1]),
    appendsPerFlush: null,
    deviceBytesPerPayloadByte: null,
    trace: null,
    traceError: null,
    ...extra,
  };
}

const ceiling: CeilingSummary = {
  syncedWritesPerSecond: spreadOf([4000])!,
  syncedP50Micros: spreadOf([240])!,
  syncedP99Micros: spreadOf([500])!,
  syncedCpuMicros: null,
  appendingWritesPerSecond: spreadOf([2000])!,
  sequentialMegabytesPerSecond: spreadOf([400])!,
  asyncDsyncWritesPerSecond: spreadOf([4200])!,
  asyncDsyncP99Micros: spreadOf([520])!,
  asyncDsyncDepth2WritesPerSecond: spreadOf([5000])!,
};

test('targets compare seglog with the best durable peer, leaving out engines that are not durable', (t) => {
  const summaries = [
    summary('seglog', 256, 300_000, 1000),
    summary('lmdb', 256, 100_000, 2000),
    summary('redis', 256, 120_000, 900),
    summary('nats', 256, 900_000, 100),
    summary('seglog', 1, 3900, 600),
  ];
  t.is(bestDurablePeer(summaries, 128, 256)?.cell.engine, 'redis');
  const checks = checkTargets(summaries, ceiling);
  const byStart = (prefix: string) => checks.find((c) => c.target.startsWith(prefix))!;
  t.deepEqual(byStart('256 x 128 B: appends/s'), { target: '256 x 128 B: appends/s vs best durable peer (redis)', required: '>= 2.5x', measured: '2.50x', status: 'PASS' });
  t.is(byStart('256 x 128 B: p99').measured, '1.11x');
  t.is(byStart('256 x 128 B: p99').status, 'MISS');
  t.is(byStart('256 x 128 B: syscalls').status, 'n/a', 'no strace pass: not measured');
  t.is(byStart('1 appender: appends/s').target, '1 appender: appends/s vs a bare async O_DSYNC write loop');
  t.is(byStart('1 appender: appends/s').measured, '92.9%');
  t.is(byStart('1 appender: appends/s').status, 'PASS');
  t.is(byStart("1 appender: p99").measured, '1.20x');
  t.is(byStart('16 x 128 B').status, 'n/a');
  t.is(byStart('64 x 128 B: worst latency').status, 'n/a', 'no max latency in these summaries');
});

test("the worst-latency targets divide seglog's max by LMDB's at 64 and 256 appenders", (t) => {
  const summaries = [
    summary('seglog', 64, 50_000, 1000, { maxMicros: spreadOf([30_000]) }),
    summary('lmdb', 64, 9_000, 2000, { maxMicros: spreadOf([12_000]) }),
    summary('seglog', 256, 90_000, 1000, { maxMicros: spreadOf([15_000]) }),
    summary('lmdb', 256, 40_000, 2000, { maxMicros: spreadOf([12_000]) }),
  ];
  const checks = checkTargets(summaries, ceiling);
  const byStart = (prefix: string) => checks.find((c) => c.target.startsWith(prefix))!;
  t.like(byStart('64 x 128 B: worst latency'), { required: '<= 1.5x', measured: '2.50x', status: 'MISS' });
  t.like(byStart('256 x 128 B: worst latency'), { measured: '1.25x', status: 'PASS' });
});

test('durability verdicts come from flushes per append at one appender', (t) => {
  const trace = (syncsPerAppend: number) => figuresOf(
    { ...countCalls(''), syncs: Math.round(syncsPerAppend * 1000), syncCalls: Math.round(syncsPerAppend * 1000) },
    countCalls(''),
    { appends: 1000, payloadBytes: 128_000, lifetimeRecords: 1000, lifetimePayloadBytes: 128_000 },
  );
  const infos: EngineInfo[] = [
    { name: 'sqlite', label: '', durable: true, durability: 'synchronous=FULL' },
    { name: 'level', label: '', durable: true, durability: 'sync: true' },
    { name: 'nats', label: '', durable: false, durability: 'sync on a timer' },
  ];
  const summaries = [
    summary('sqlite', 1, 3000, 500, { trace: trace(1) }),
    summary('level', 1, 3000, 500, { trace: trace(0.5) }),
    summary('nats', 1, 3000, 500, { trace: trace(0) }),
  ];
  const verdicts = Object.fromEntries(checkDurability(summaries, infos).map((c) => [c.engine, c.verdict]));
  t.is(verdicts.sqlite, 'durable: >= 1 flush per acknowledged append');
  t.is(verdicts.level, 'CHECK FAILED: fewer flushes than acknowledged appends');
  t.is(verdicts.nats, 'NOT durable: acknowledges without flushing');
});

test('syscalls per append count window calls on files and sockets, O_DSYNC writes as flushes', (t) => {
  const trace = [
    '100  1.000000 openat(AT_FDCWD</d>, "/d/0.seg", O_RDWR|O_DSYNC|O_CLOEXEC) = 21</d/0.seg>',
    '100  2.000000 pwritev(21</d/0.seg>, [...], 2, 0) = 4096',
    '100  2.100000 pwritev(21</d/0.seg>, [...], 2, 4096) = 4096',
    '100  2.200000 write(5<anon_inode:[eventfd]>, ""..., 8) = 8',
    '100  2.300000 sendto(9<socket:[123]>, ""..., 64, 0, NULL, 0) = 64',
    '100  9.000000 fdatasync(21</d/0.seg>) = 0',
  ].join('\n');
  const window = countCalls(trace, { startMicros: 2_000_000, endMicros: 3_000_000 });
  const whole = countCalls(trace);
  const run = { appends: 300, payloadBytes: 4096, lifetimeRecords: 400, lifetimePayloadBytes: 8192 };
  const figures = figuresOf(window, whole, run);
  t.is(figures.syscallsPerAppend, 3 / 300, 'two segment writes and one socket write; the wake-up is not I/O');
  t.is(figures.syncsPerAppend, 2 / 300);
  t.is(figures.appendsPerSync, 150);
  t.is(figures.fileBytesPerPayloadByte, 2);
  t.is(figures.allCallsPerAppend, 4 / 300);
  t.is(figures.lifetime.syscallsPerAppend, 4 / 400, 'the fdatasync outside the window counts for the whole process');
  t.is(figures.lifetime.syncsPerAppend, 3 / 400);
});

test('a comparison row reports the median of each figure over its rounds, skipping runs without it', (t) => {
  const row: ComparisonRow = {
    cell: { concurrency: 16, recordBytes: 128 },
    variant: 'x',
    samples: [
      result('seglog', 16, 10, { appendsPerFlush: 4 }),
      result('seglog', 16, 30, { appendsPerFlush: null }),
      result('seglog', 16, 20, { appendsPerFlush: 8, latencyMicros: { count: 0, mean: 0, p50: 0, p99: 0, p999: 0, max: 0 } }),
    ],
  };
  t.is(medianFigure(row, figures.appendsPerSecond), 20);
  t.is(medianFigure(row, figures.appendsPerFlush), 6);
  t.is(medianFigure(row, figures.p99), 400, 'the run with no latency sample is left out, not read as 0');
  t.is(medianFigure(row, figures.systemMicrosPerAppend), 1);
  t.is(medianFigure(row, figures.flushP99), null);
});

function windowRow(window: string, appendsPerSecond: number, p99Micros: number, flushesPerSecond: number) {
  const rest = { p50Micros: 1, p999Micros: 1, syscallsPerAppend: 1, meanWindowMicros: 0 };
  const row: WindowResult = { shape: 's', window, appendsPerSecond, p99Micros, flushesPerSecond, ...rest };
  return row;
}

test('window targets: adaptive within 10% of the best fixed window, and fewer flushes than fixed 0', (t) => {
  const rows = [windowRow('adaptive', 2800, 540, 2000), windowRow('fixed 0', 3000, 500, 3000), windowRow('fixed 50', 2900, 520, 2500)];
  const verdicts = checkWindowTargets({ name: 's', moderate: true }, rows);
  t.regex(verdicts[0]!, /^s: throughput PASS/);
  t.regex(verdicts[1]!, /^s: p99 PASS/, '540 <= 1.1 x 500');
  t.regex(verdicts[2]!, /fewer flushes\/s than fixed 0 without >10% p99 PASS/);
  const slow = checkWindowTargets({ name: 's' }, [windowRow('adaptive', 2000, 600, 1), ...rows.slice(1)]);
  t.is(slow.length, 2, 'the flush target is judged on the moderate shape only');
  t.regex(slow[0]!, /throughput MISS/);
  t.regex(slow[1]!, /p99 MISS/);
  t.deepEqual(medianRow([windowRow('adaptive', 1, 9, 5), windowRow('adaptive', 3, 1, 6), windowRow('adaptive', 2, 5, 4)]), windowRow('adaptive', 2, 5, 5));
});

function flushes(p50: number, p99: number): SyncedWriteFigures {
  const latencyMicros = { count: 100, mean: p50, p50, p99, p999: p99, max: p99 };
  const cpu = { cpuMicrosPerWrite: 5, systemMicrosPerWrite: 4 };
  return { blockBytes: 4096, seconds: 1, writes: 100, writesPerSecond: 100, latencyMicros, ...cpu };
}

test('the probe passes at or under its p99 threshold and picks a tenth of the median flush as window', (t) => {
  const fast = judgeProbe(flushes(300, 800), 10_000, 2000);
  t.true(fast.pass);
  t.true(Math.abs(fast.adaptiveWindowMicros - 30) < 0.01, `window ${fast.adaptiveWindowMicros}`);
  const slow = judgeProbe(flushes(8000, 20_000), 10_000, 2000);
  t.false(slow.pass);
  t.true(Math.abs(slow.adaptiveWindowMicros - 800) < 0.01, 'a tenth of 8 ms, under the 2 ms maximum');
  t.true(Math.abs(judgeProbe(flushes(30_000, 40_000), 50_000, 2000).adaptiveWindowMicros - 2000) < 0.01, 'capped by maxMicros');
  t.false(judgeProbe({ ...flushes(1, 1), writes: 0 }, 10_000, 2000).pass, 'no flush measured is no pass');
});
