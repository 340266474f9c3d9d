/**
 * The suite's open-time cell (issue 11), without running it: its options, the slope per sealed
 * segment, the target verdicts (cold <= 200 ms at each segment size, <= 0.1 ms per sealed segment)
 * and the report's rendering. Known figures in, verdicts and text out; no log is written.
 */
import test from 'ava';
import { checkRoom, renderOpenTime, slopeMicrosPerSegment, type OpenTimeFigures, type OpenTimeRow } from '../src/lib/open-time.js';
import { parseSuiteOptions } from '../src/suite/options.js';
import { renderOpenTimeSection } from '../src/suite/report.js';
import { checkOpenTimeTargets } from '../src/suite/targets.js';

const row = (segmentMiB: number, segments: number, warmMs: number, coldMs: number | null): OpenTimeRow => ({
  segmentMiB,
  segments,
  warmMs,
  coldMs,
});

const figures = (rows: readonly OpenTimeRow[], coldSkipped: string | null = null): OpenTimeFigures => ({
  gib: 10,
  rows,
  coldSkipped,
});

test('the standard cell is the target 10 GiB log at 64 and 16 MiB segments; --quick is 1 GiB; --no-open-time drops it', (t) => {
  t.deepEqual(parseSuiteOptions([]).openTime, { gib: 10, segmentMiB: [64, 16], rounds: 3 });
  t.deepEqual(parseSuiteOptions(['--quick']).openTime, { gib: 1, segmentMiB: [64, 8], rounds: 1 });
  t.is(parseSuiteOptions(['--no-open-time']).openTime, null);
  t.like(parseSuiteOptions(['--quick', '--open-time-gib', '0.5']).openTime, { gib: 0.5, rounds: 1 });
  const error = t.throws(() => parseSuiteOptions(['--open-time-gib', '0']));
  t.is((error as Error & { code?: string }).code, 'SEGLOG_INVALID_OPTION');
});

test('the slope runs from the row with the fewest segments to the one with the most, in microseconds', (t) => {
  const rows = [row(16, 683, 55, 58.4), row(64, 163, 37, 42.6)];
  t.is(slopeMicrosPerSegment(rows, (r) => r.coldMs)!.toFixed(1), '30.4');
  t.is(slopeMicrosPerSegment([row(64, 163, 37, 42.6)], (r) => r.coldMs), null);
  t.is(slopeMicrosPerSegment([row(64, 10, 1, 1), row(16, 10, 2, 2)], (r) => r.warmMs), null);
  t.is(slopeMicrosPerSegment([row(64, 10, 1, null), row(16, 40, 2, 2)], (r) => r.coldMs), null);
});

test('cold open at each size and the cold slope get verdicts', (t) => {
  const met = checkOpenTimeTargets(figures([row(64, 163, 37, 42.6), row(16, 683, 55, 58.4)]), null);
  t.deepEqual(met.map((c) => c.status), ['PASS', 'PASS', 'PASS']);
  t.is(met[0]!.target, 'openLog after SIGKILL, 10 GiB log, 64 MiB segments (163 segments): cold');
  t.is(met[2]!.measured, '0.030 ms');
  // 120 ms more over 520 more segments: 0.23 ms each, so open time depends on the segment count.
  const missed = checkOpenTimeTargets(figures([row(64, 163, 37, 80), row(16, 683, 55, 201)]), null);
  t.deepEqual(missed.map((c) => c.status), ['PASS', 'MISS', 'MISS']);
});

test('without cold opens the sizes are n/a and the slope is judged warm, said in its label', (t) => {
  const checks = checkOpenTimeTargets(figures([row(64, 163, 37, null), row(16, 683, 40, null)], 'not root'), null);
  t.deepEqual(checks.map((c) => c.status), ['n/a', 'n/a', 'PASS']);
  t.regex(checks[2]!.target, /warm/);
});

test('a failed cell gives n/a rows for the sizes it was asked for; no cell, no rows', (t) => {
  const settings = { gib: 10, segmentMiB: [64, 16] };
  const checks = checkOpenTimeTargets('a 10 GiB log needs 11.0 GiB free under /tmp, which has 2.3 GiB', settings);
  t.is(checks.length, 3);
  t.true(checks.every((c) => c.status === 'n/a' && c.measured === 'not measured'));
  t.deepEqual(checkOpenTimeTargets(null, settings), []);
});

test('the report shows the table, the slope and why there are no cold opens, or why the cell did not run', (t) => {
  const text = renderOpenTime(figures([row(64, 163, 37.1, 42.6), row(16, 683, 55.2, 58.4)]));
  t.regex(text, /^\s+64\s+163\s+37\.1\s+42\.6$/m);
  t.regex(text, /slope per sealed segment: warm 34\.8 us, cold 30\.4 us/);
  t.regex(renderOpenTime(figures([row(64, 16, 5, null)], 'cannot drop the page cache: EACCES')), /no cold opens: cannot drop/);
  const failed = renderOpenTimeSection('no room');
  t.is(failed[0], '### Open time (issue 11)');
  t.is(failed[failed.length - 1], 'not measured: no room');
  t.is(renderOpenTimeSection(figures([row(64, 16, 5, 6)]))[0], '### Open time (issue 11): 10 GiB log');
});

test('the fill refuses to start when the temp dir cannot hold the log and a GiB to spare', async (t) => {
  await t.throwsAsync(checkRoom(1_000_000), { message: /a 1000000 GiB log needs .* free under/ });
  await t.notThrowsAsync(checkRoom(0.000_001, '/'));
});
