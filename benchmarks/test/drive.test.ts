/**
 * The driver's bookkeeping against an in-memory target whose appends complete on the next turn of
 * the event loop (as append-cpu's instant segments do; one that never yields would starve the
 * timers): what the driver counts must agree with what the target saw. No assertion depends on how
 * fast anything ran.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import test from 'ava';
import { driveAppenders, type AppendTarget } from '../src/lib/drive.js';

class CountingTarget implements AppendTarget {
  appended = 0;
  readonly #failAfter: number;

  constructor(failAfter = Number.POSITIVE_INFINITY) {
    this.#failAfter = failAfter;
  }

  async append(): Promise<void> {
    await nextTurn();
    if (this.appended >= this.#failAfter) throw new Error('disk full');
    this.appended += 1;
  }

  counters() {
    return { appends: this.appended, flushes: this.appended, syscalls: 2 * this.appended };
  }

  gauges() {
    return { windowMicros: 7 };
  }
}

const open = { kind: 'open', recordBytes: 8, rate: { kind: 'steady', perSecond: 2000 } } as const;

test('an open loop completes every append it issued, and the window figures come from the counters', async (t) => {
  const target = new CountingTarget();
  const options = { recordBytes: 8, concurrency: 1, warmupMillis: 0, durationMillis: 60, workload: open };
  const result = await driveAppenders(target, options);
  t.is(result.lifetimeRecords, target.appended, 'every issued append was awaited before the driver returned');
  t.is(result.lifetimePayloadBytes, 8 * target.appended);
  t.true(result.appends <= result.lifetimeRecords);
  t.is(result.windowSyscalls, 2 * result.windowAppends);
  t.is(result.windowFlushes, result.windowAppends);
  t.deepEqual(result.gaugeMeans, { windowMicros: 7 }, 'a constant gauge averages to itself');
});

test('an open loop whose append fails rejects with that error instead of running out the clock', async (t) => {
  const target = new CountingTarget(5);
  await t.throwsAsync(driveAppenders(target, { recordBytes: 8, concurrency: 1, warmupMillis: 0, durationMillis: 60_000, workload: open }), { message: 'disk full' });
});

test('closed loops without timing count appends but record no latency', async (t) => {
  const target = new CountingTarget();
  const options = { recordBytes: 8, concurrency: 4, warmupMillis: 0, durationMillis: 30, timeOperations: false };
  const result = await driveAppenders(target, options);
  t.is(result.lifetimeRecords, target.appended);
  t.is(result.latencyMicros.count, 0);
  t.true(result.lifetimeRecords >= 4, 'each appender finishes the append it started before it stops');
});
