/**
 * The suite's BullMQ cell (issue 14): its target rows (>= 3x Redis always, > Redis everysec, at
 * each concurrency), skipped peers named in the table, and a failed cell reported as not
 * measured. Known figures in, verdicts out; no server and no timing.
 */
import test from 'ava';
import { bullmqBenchDefaults, concurrencyOneCeiling, renderBullmqBench } from '../src/commands/bullmq-bench.js';
import type { BullmqFigures } from '../src/commands/bullmq-bench.js';
import { bullmqCellSettings, bullmqTargetChecks, renderBullmqCell } from '../src/bullmq/suite-cell.js';

const run = (jobsPerSecond: number) => ({ jobsPerSecond, seconds: 1, clientCpuMicrosPerJob: 100 });

const figures: BullmqFigures = {
  settings: { ...bullmqBenchDefaults, runs: 1, concurrencies: [1, 64] },
  cells: [
    { peer: 'seglog', concurrency: 1, runs: [run(2000)] },
    { peer: 'redis-always', concurrency: 1, runs: [run(1000)] },
    { peer: 'redis-everysec', concurrency: 1, runs: [run(2500)] },
    { peer: 'seglog', concurrency: 64, runs: [run(9000)] },
    { peer: 'redis-always', concurrency: 64, runs: [run(3000)] },
    { peer: 'redis-everysec', concurrency: 64, runs: [run(4000)] },
  ],
  skipped: { postgres: 'PostgreSQL 15 not found (apt-get install -y postgresql-15)' },
  durability: { seglog: 'durable', 'redis-always': 'durable', 'redis-everysec': 'NOT durable' },
};

test('two target rows per concurrency, judged on medians from the same run', (t) => {
  const checks = bullmqTargetChecks(figures);
  t.deepEqual(
    checks.map((check) => [check.measured, check.status]),
    [['2.00x', 'MISS'], ['0.80x', 'MISS'], ['3.00x', 'PASS'], ['2.25x', 'PASS']],
  );
  t.true(checks[0]!.target.includes('concurrency 1') && checks[0]!.required === '>= 3x');
});

test('a peer that did not run leaves its rows unjudged, a skipped peer is named, a failed cell is not measured', (t) => {
  const noRedis: BullmqFigures = { ...figures, cells: figures.cells.filter((cell) => cell.peer === 'seglog') };
  t.true(bullmqTargetChecks(noRedis).every((check) => check.status === 'n/a'));
  t.true(renderBullmqBench(figures).includes('postgres: skipped: PostgreSQL 15 not found'));
  t.deepEqual(bullmqTargetChecks('redis-server exited with 1').map((check) => check.status), ['n/a']);
  t.true(renderBullmqCell('redis-server exited with 1').includes('not measured: redis-server exited with 1'));
  t.deepEqual(bullmqTargetChecks(null), []);
});

test('--quick runs one short round; the standard cell is the command defaults', (t) => {
  t.is(bullmqCellSettings(true).runs, 1);
  t.deepEqual(bullmqCellSettings(false), bullmqBenchDefaults);
});

test('the owner-process peer gets its own rows beside the embedded ones, with the owner CPU counted', (t) => {
  const socketRun = { jobsPerSecond: 4000, seconds: 1, clientCpuMicrosPerJob: 60, serverCpuMicrosPerJob: 90 };
  const withSocket: BullmqFigures = {
    ...figures,
    cells: [...figures.cells, { peer: 'seglog-socket', concurrency: 1, runs: [run(1500)] }, { peer: 'seglog-socket', concurrency: 64, runs: [socketRun] }],
  };
  const checks = bullmqTargetChecks(withSocket);
  t.deepEqual(
    checks.filter((check) => check.target.includes('over the socket')).map((check) => [check.measured, check.status]),
    [['1.50x', 'MISS'], ['0.60x', 'MISS'], ['1.33x', 'MISS'], ['1.00x', 'MISS']],
  );
  const table = renderBullmqBench(withSocket);
  t.true(table.includes('4000 (60 + 90 µs)'), 'client + owner CPU per job');
  t.true(table.includes('seglog-socket / redis-always'));
});

test('the concurrency-1 ceiling: one flush plus the serial CPU of a job, printed beside the c=1 rows', (t) => {
  const probe = { writesPerSecond: 2500, meanMicros: 400, p50Micros: 380, cpuMicros: 20 };
  const measured: BullmqFigures = { ...figures, flushProbe: { before: probe, after: { ...probe, meanMicros: 600 } } };
  const ceiling = concurrencyOneCeiling(measured);
  t.is(ceiling?.flushMicros, 500, 'the mean of the probes before and after');
  t.is(ceiling?.cpuMicros, 80, "seglog's CPU per job at c=1 (100) less the flush's own CPU (20)");
  t.is(ceiling?.serialJobsPerSecond, 1e6 / 580);
  t.is(ceiling?.boundJobsPerSecond, 1e6 / 500);
  const lines = renderBullmqBench(measured).split('\n');
  const at = lines.findIndex((line) => line.includes('concurrency 1 ceiling'));
  t.true(at > 0 && lines[at]!.includes('1724 jobs/s = 1.72x redis-always') && lines[at]!.includes('NOT reachable'));
  t.true(lines[at - 1]!.includes('concurrency 1:') && lines[at + 1]!.includes('concurrency 64:'), 'beside the c=1 rows');
  t.is(concurrencyOneCeiling(figures), null, 'no probe, no ceiling');
});
