/**
 * The suite's follow-latency targets (issue 12): median <= 2 ms and p99 <= 10 ms at 1,000 and
 * 100,000 appends/s with the writer's push wake-up, idle follower < 1% of a core. Known figures
 * in, verdicts out; no disk and no timing.
 */
import test from 'ava';
import type { FollowRow } from '../src/lib/follow-latency.js';
import { checkFollowTargets } from '../src/suite/targets.js';

const row = (ratePerSecond: number, p50Millis: number, p99Millis: number, idleCpuPercent: number): FollowRow => ({
  wake: 'push',
  ratePerSecond,
  records: ratePerSecond,
  p50Millis,
  p99Millis,
  maxMillis: p99Millis * 2,
  idleCpuPercent,
  followCpuMicrosPerRecord: 1,
});

test('each rate gets a median and a p99 verdict, and the idle CPU is the worst idle row', (t) => {
  const checks = checkFollowTargets({ rows: [row(1000, 0.5, 3, 0.2), row(100_000, 1.5, 12, 0.4)] });
  t.deepEqual(
    checks.map((check) => check.status),
    ['PASS', 'PASS', 'PASS', 'MISS', 'PASS'],
  );
  t.is(checks[3]!.measured, '12.00 ms');
  t.is(checks[4]!.measured, '0.400%');
});

test('rows of other wake-up modes do not count; a failed cell is n/a; no cell, no rows', (t) => {
  const watchOnly = checkFollowTargets({ rows: [{ ...row(1000, 0.5, 3, 0.2), wake: 'watch' }] });
  t.true(watchOnly.every((check) => check.status === 'n/a'));
  t.true(checkFollowTargets('follow-reader exited with 1').every((check) => check.status === 'n/a'));
  t.deepEqual(checkFollowTargets(null), []);
});
