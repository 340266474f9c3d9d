/**
 * The commit pipeline (commit-pipeline.ts) on the simulated disk: with several batches in flight
 * and writes and flushes completing in any order, appends resolve strictly in offset order; under
 * `fdatasync` one flush runs at a time and covers several batches; under `open_datasync` a batch
 * whose write returned clean is not acknowledged while a write issued before it returned may still
 * report the writeback error (the error gate); a failure fails every batch in flight.
 */
import test from 'ava';
import { openLog } from '@seglog/store';
import type { Log } from '@seglog/store';
import { waitTurns } from '@seglog/testkit';
import { isSeglogError } from '@seglog/types';
import type { FileIO, LogOptions, SyncMethod } from '@seglog/types';
import { LOG_DIR, payloadOf, readAll, settle, simMachine } from './helpers/sim-fault-fixtures.js';
import { SegmentFlushIO } from './helpers/segment-flush-io.js';

function optionsFor(io: FileIO, syncMethod: SyncMethod, extra: Partial<LogOptions> = {}): LogOptions {
  return {
    dir: LOG_DIR,
    io,
    blockBytes: 512,
    segmentBytes: 16 * 1024,
    maxBatchBytes: 2048,
    commitWindow: { fixedMicros: 0 },
    preallocate: false,
    syncMethod,
    maxBatchesInFlight: 4,
    ...extra,
  };
}

/** Appends `count` records, a few per turn, and returns the offsets in the order they resolved. */
async function appendStaggered(log: Log, count: number, from = 0): Promise<number[]> {
  const resolved: number[] = [];
  const pending: Promise<unknown>[] = [];
  for (let index = from; index < from + count; index++) {
    pending.push(log.append(payloadOf(index)).then((offset) => resolved.push(offset)));
    if (index % 3 === 0) await waitTurns(1);
  }
  await Promise.all(pending);
  return resolved;
}

for (const syncMethod of ['fdatasync', 'open_datasync'] as const) {
  test(`${syncMethod}: with writes and flushes completing out of order, appends resolve in offset order`, async (t) => {
    const { sim, io } = await simMachine(51);
    sim.faults.completionJitterTurns = 4;
    const log = await openLog(optionsFor(io, syncMethod));
    const resolved = await appendStaggered(log, 400);
    t.deepEqual(resolved, Array.from({ length: 400 }, (_, i) => i));
    const metrics = log.metrics();
    await log.close();
    t.true(sim.counters.reorderedCompletions > 0, 'calls did complete out of order');
    t.true(metrics.segmentsCreated > 3, 'segments rolled with batches in flight');
    t.true(metrics.batches > 40, `many batches (${metrics.batches})`);
    const records = await readAll(io);
    t.is(records.length, 400);
    for (let offset = 0; offset < 400; offset++) t.deepEqual(records[offset], payloadOf(offset));
  });
}

test('fdatasync: one flush at a time, and one flush often covers several batches', async (t) => {
  const { sim, io } = await simMachine(52, { datasyncDelayMs: 2 });
  const overlap = new SegmentFlushIO(io);
  const log = await openLog(optionsFor(overlap.io, 'fdatasync'));
  await appendStaggered(log, 300);
  const metrics = log.metrics();
  await log.close();
  t.is(overlap.mostInFlight, 1, 'never two fdatasyncs of a segment at once');
  const batchFlushes = metrics.flushes - metrics.segmentsCreated;
  t.true(batchFlushes < metrics.batches, `fewer flushes (${batchFlushes}) than batches (${metrics.batches})`);
  t.true(sim.counters.datasyncs > 0);
});

test('open_datasync error gate: a batch whose write returned clean is not acknowledged when a write issued before it returned fails', async (t) => {
  const { sim, io } = await simMachine(53, { datasyncDelayMs: 4 });
  const log = await openLog(optionsFor(io, 'open_datasync'));
  await log.append(payloadOf(0));
  const first = log.append(payloadOf(1));
  // The first batch's O_DSYNC write is in flight (its flush takes 4 ms); the second write's flush
  // fails, and returns after the first one has returned clean.
  await waitTurns(2);
  sim.faults.failNext('datasync', { code: 'EIO', path: /\.seg(\.tmp)?$/ });
  const second = log.append(payloadOf(2));
  const [a, b] = await Promise.allSettled([first, second]);
  t.is(b.status, 'rejected');
  t.is(a.status, 'rejected', 'the earlier batch waited for the later write, which may have taken its error');
  if (a.status === 'rejected') t.true(isSeglogError(a.reason, 'SEGLOG_IO'), String(a.reason));
  t.is(log.durableOffset, 1);
  await log.close();
});

test('a failure fails every batch in flight; nothing after it is acknowledged, and the log reopens with everything acknowledged', async (t) => {
  const { sim, io } = await simMachine(54);
  sim.faults.completionJitterTurns = 3;
  const options = optionsFor(io, 'fdatasync');
  const log = await openLog(options);
  await appendStaggered(log, 50);
  sim.faults.failNext('writev', { code: 'EIO', path: /\.seg(\.tmp)?$/ });
  const pending: Promise<number>[] = [];
  for (let index = 50; index < 120; index++) {
    pending.push(log.append(payloadOf(index)));
    if (index % 5 === 0) await waitTurns(1);
  }
  const { offsets, errors } = await settle(pending);
  t.true(errors.size > 0);
  const acked = [...offsets.values()].sort((x, y) => x - y);
  t.deepEqual(acked, Array.from({ length: acked.length }, (_, i) => 50 + i), 'acknowledged offsets are a prefix');
  const durable = log.durableOffset;
  await log.close();
  const reopened = await openLog(options);
  t.true(reopened.nextOffset >= durable);
  await reopened.close();
  const records = await readAll(io);
  for (let offset = 0; offset < durable; offset++) t.deepEqual(records[offset], payloadOf(offset));
});
