/**
 * Injected faults on the simulated disk (design invariants 1, 4, 5, 6): EIO on writev and
 * fdatasync, ENOSPC while writing a batch, while preallocating and at a roll, slow fdatasync under
 * thousands of appenders, fsyncgate, and an I/O error at every step of openLog. Each failure must
 * reject the batch and every pending append with one SEGLOG_IO error (cause: the system error),
 * refuse later appends with it, let close work, lose nothing acknowledged, and let the log append
 * again after a reopen. Seeds are fixed; the random parts come from the simulator's PRNG.
 */
import test from 'ava';
import { openLog } from '@seglog/store';
import type { Log } from '@seglog/store';
import { errorCode, waitTurns } from '@seglog/testkit';
import { isSeglogError } from '@seglog/types';
import type { FileIO, LogOptions } from '@seglog/types';
import { LOG_DIR, payloadOf, readAll, settle, simMachine, usedBytes } from './helpers/sim-fault-fixtures.js';
import { NthCallFailingIO } from './helpers/sim-faulty-io.js';
import { SegmentFlushIO } from './helpers/segment-flush-io.js';

function optionsFor(io: FileIO, extra: Partial<LogOptions> = {}): LogOptions {
  return {
    dir: LOG_DIR,
    io,
    blockBytes: 512,
    segmentBytes: 32 * 1024,
    maxBatchBytes: 4096,
    commitWindow: { fixedMicros: 0 },
    preallocate: false,
    ...extra,
  };
}

/** A segment file under either of its names: `<base>.seg`, or next.seg.tmp from its creation. */
const SEGMENT_PATH = /\.seg(\.tmp)?$/;

function range(count: number, from = 0): number[] {
  return Array.from({ length: count }, (_, i) => from + i);
}

async function appendAll(log: Log, indexes: readonly number[]): Promise<number[]> {
  return Promise.all(indexes.map((index) => log.append(payloadOf(index))));
}

/** Appends one record at a time until one rejects; returns the acknowledged indexes and the error. */
async function appendUntilFailure(
  log: Log,
  fromIndex: number,
  limit: number,
): Promise<{ acked: number[]; error: unknown }> {
  const acked: number[] = [];
  for (let index = fromIndex; index < fromIndex + limit; index++) {
    try {
      await log.append(payloadOf(index, 300));
      acked.push(index);
    } catch (error) {
      return { acked, error };
    }
  }
  throw new Error(`no append failed in ${limit} tries`);
}

for (const op of ['writev', 'datasync'] as const) {
  test(`EIO on ${op}: the batch and every pending append reject with one SEGLOG_IO, later appends too; reopen keeps every acknowledged record`, async (t) => {
    const { sim, io } = await simMachine(11);
    const options = optionsFor(io);
    const log = await openLog(options);
    t.deepEqual(await appendAll(log, range(60)), range(60));
    // The active segment's handle may still carry its creation name, next.seg.tmp.
    sim.faults.failNext(op, { code: 'EIO', path: SEGMENT_PATH });
    // Many batches' worth at once: the first fails and takes every other pending append with it.
    const doomed = range(300, 60).map((index) => log.append(payloadOf(index)));
    const run = log.appendMany(range(5, 360).map((index) => payloadOf(index)));
    const { offsets, errors } = await settle([...doomed, run]);
    t.is(offsets.size, 0, 'nothing after the fault is acknowledged');
    const distinct = new Set(errors.values());
    t.is(distinct.size, 1, 'one error object for the whole failure');
    const [error] = distinct;
    t.true(isSeglogError(error, 'SEGLOG_IO'), String(error));
    t.is(errorCode((error as Error).cause), 'EIO');
    t.is(await log.append(payloadOf(0)).catch((later: unknown) => later), error, 'a later append rejects with the same error');
    t.is(await log.appendMany([payloadOf(0)]).catch((later: unknown) => later), error);
    t.is(log.durableOffset, 60);
    await log.close();

    const reopened = await openLog(options);
    const start = reopened.nextOffset;
    t.true(start >= 60, `reopened at ${start}`);
    t.deepEqual(await appendAll(reopened, range(20, 1000)), range(20, start));
    await reopened.close();
    const records = await readAll(io);
    t.is(records.length, start + 20);
    // A rejected append may have reached the disk; if it survived, it is the one submitted there.
    for (let offset = 0; offset < start; offset++) t.deepEqual(records[offset], payloadOf(offset), `offset ${offset}`);
    for (let i = 0; i < 20; i++) t.deepEqual(records[start + i], payloadOf(1000 + i));
  });
}

test('fsyncgate: after a failed fdatasync the log never calls fdatasync again and never acknowledges that data', async (t) => {
  const { sim, io } = await simMachine(12);
  // Segment flushes only: HEAD's timed flush (at most once a second) would blur the count.
  const flushes = new SegmentFlushIO(io);
  // One batch in flight, so exactly one flush can have been issued when the failure comes back; no
  // roll: a roll's flushes (HEAD, the trailer, the next header) run side by side, so a fault landing
  // on one of them would count the others, which are not retries.
  const log = await openLog(optionsFor(flushes.io, { maxBatchesInFlight: 1, segmentBytes: 256 * 1024 }));
  await appendAll(log, range(20));
  const callsBefore = flushes.calls;
  sim.faults.failNext('datasync', { code: 'EIO', path: SEGMENT_PATH });
  const { offsets, errors } = await settle(range(50, 20).map((index) => log.append(payloadOf(index))));
  t.is(offsets.size, 0);
  t.is(errors.size, 50);
  t.is(flushes.calls, callsBefore + 1, 'exactly one fdatasync: the one that failed');
  await settle(range(10, 70).map((index) => log.append(payloadOf(index))));
  await waitTurns(50);
  await log.close();
  t.is(flushes.calls, callsBefore + 1, 'no fdatasync after the failure, close included');
  t.is(log.durableOffset, 20);
  t.is(log.metrics().appends, 20, 'only what was durable before the fault was acknowledged');
});

for (const syncMethod of ['fdatasync', 'open_datasync'] as const) {
  test(`fsyncgate with 4 batches in flight (${syncMethod}): flushes already issued may finish, none is issued after the failure, nothing later is acknowledged`, async (t) => {
    const { sim, io } = await simMachine(14);
    const flushes = new SegmentFlushIO(io);
    const log = await openLog(optionsFor(flushes.io, { maxBatchesInFlight: 4, syncMethod, segmentBytes: 256 * 1024 }));
    await appendAll(log, range(20));
    const callsBefore = flushes.calls;
    sim.faults.failNext('datasync', { code: 'EIO', path: SEGMENT_PATH });
    // Many small appends in separate turns, so several batches are in flight when the flush fails.
    const pending: Promise<number>[] = [];
    for (let turn = 0; turn < 40; turn++) {
      pending.push(log.append(payloadOf(20 + turn)));
      await waitTurns(1);
    }
    const { offsets, errors } = await settle(pending);
    const callsAtFailure = flushes.calls;
    t.true(callsAtFailure - callsBefore <= 4, `at most one flush per batch in flight (${callsAtFailure - callsBefore})`);
    t.true(errors.size > 0, 'the failed flush failed appends');
    for (const offset of offsets.values()) t.true(offset < log.durableOffset);
    await settle(range(10, 70).map((index) => log.append(payloadOf(index))));
    await waitTurns(50);
    await log.close();
    t.is(flushes.calls, callsAtFailure, 'no flush after the failure was seen, close included');
    t.is(log.metrics().appends, log.durableOffset, 'every acknowledged append is below the durable end');
  });
}

test('ENOSPC while writing a batch: SEGLOG_IO, nothing acknowledged lost, appends continue after reopen once space returns', async (t) => {
  const { sim, io } = await simMachine(13);
  const options = optionsFor(io);
  const log = await openLog(options);
  await appendAll(log, range(30));
  sim.faults.spaceBytes = usedBytes(sim) + 3000;
  const { acked, error } = await appendUntilFailure(log, 30, 100);
  t.true(isSeglogError(error, 'SEGLOG_IO'), String(error));
  t.is(errorCode((error as Error).cause), 'ENOSPC');
  t.is(await log.append(payloadOf(0)).catch((later: unknown) => later), error);
  await log.close();
  const ackedCount = 30 + acked.length;
  const whileFull = await readAll(io);
  t.true(whileFull.length >= ackedCount, 'the reader reads everything acknowledged while the disk is full');
  for (let offset = 0; offset < ackedCount; offset++) {
    t.deepEqual(whileFull[offset], offset < 30 ? payloadOf(offset) : payloadOf(offset, 300));
  }

  sim.faults.spaceBytes = Number.POSITIVE_INFINITY;
  const reopened = await openLog(options);
  const start = reopened.nextOffset;
  t.deepEqual(await appendAll(reopened, range(200, 2000)), range(200, start), 'appends continue, across rolls');
  await reopened.close();
  const records = await readAll(io);
  t.is(records.length, start + 200);
  for (let i = 0; i < 200; i++) t.deepEqual(records[start + i], payloadOf(2000 + i));
});

test('ENOSPC while preallocating the next segment: the roll fails with SEGLOG_IO, nothing acknowledged lost', async (t) => {
  const { sim, io } = await simMachine(14);
  const options = optionsFor(io, { preallocate: true, segmentBytes: 16 * 1024 });
  const log = await openLog(options);
  await appendAll(log, range(5));
  // Room for batches in the preallocated segment, not for zero-filling the next one.
  sim.faults.spaceBytes = usedBytes(sim) + 4096;
  const { acked, error } = await appendUntilFailure(log, 5, 200);
  t.true(isSeglogError(error, 'SEGLOG_IO'), String(error));
  t.is(errorCode((error as Error).cause), 'ENOSPC');
  t.true(acked.length > 10, `appends went on into preallocated space (${acked.length}) until the roll`);
  await log.close();
  const ackedCount = 5 + acked.length;
  t.true((await readAll(io)).length >= ackedCount);

  sim.faults.spaceBytes = Number.POSITIVE_INFINITY;
  const reopened = await openLog(options);
  const start = reopened.nextOffset;
  t.true(start >= ackedCount);
  t.deepEqual(await appendAll(reopened, range(150, 3000)), range(150, start));
  t.true(reopened.metrics().segmentsCreated >= 2, 'the log rolled again');
  await reopened.close();
  const records = await readAll(io);
  for (let offset = 0; offset < ackedCount; offset++) {
    t.deepEqual(records[offset], offset < 5 ? payloadOf(offset) : payloadOf(offset, 300));
  }
  for (let i = 0; i < 150; i++) t.deepEqual(records[start + i], payloadOf(3000 + i));
});

test('ENOSPC writing the next segment header at a roll: SEGLOG_IO, nothing acknowledged lost, reopen rolls again', async (t) => {
  const { sim, io } = await simMachine(15);
  const options = optionsFor(io, { segmentBytes: 8 * 1024 });
  // Reopened, the active segment is written through its .seg name: the next write to
  // next.seg.tmp is the header of the next segment, at the roll.
  await (await openLog(options)).close();
  const log = await openLog(options);
  sim.faults.failNext('writev', { code: 'ENOSPC', path: /next\.seg\.tmp$/ });
  const { acked, error } = await appendUntilFailure(log, 0, 200);
  t.true(isSeglogError(error, 'SEGLOG_IO'), String(error));
  t.is(errorCode((error as Error).cause), 'ENOSPC');
  await log.close();
  const reopened = await openLog(options);
  t.is(reopened.nextOffset, acked.length, 'the batch that needed the roll was never written');
  t.deepEqual(await appendAll(reopened, range(40, 500)), range(40, acked.length));
  await reopened.close();
  const records = await readAll(io);
  for (const index of acked) t.deepEqual(records[index], payloadOf(index, 300));
  t.true(sim.listDir(LOG_DIR).filter((name) => name.endsWith('.seg')).length >= 2);
});

test('slow fdatasync under 5,000 concurrent appends: in-flight bytes and the pool stay under their caps, offsets dense', async (t) => {
  const { io } = await simMachine(16, { datasyncDelayMs: 20 });
  const maxInFlightBytes = 256 * 1024;
  const log = await openLog({
    dir: LOG_DIR,
    io,
    blockBytes: 512,
    segmentBytes: 1024 * 1024,
    maxBatchBytes: 64 * 1024,
    maxInFlightBytes,
    commitWindow: { fixedMicros: 0 },
  });
  let done = false;
  let inFlightMaxBytes = 0;
  let samples = 0;
  let poolOk = true;
  const sampler = (async () => {
    while (!done) {
      const metrics = log.metrics();
      inFlightMaxBytes = Math.max(inFlightMaxBytes, metrics.inFlightBytes);
      poolOk &&= metrics.pool.buffersAllocated * metrics.pool.bufferBytes <= metrics.pool.bytesCap;
      samples++;
      await waitTurns(1);
    }
  })();
  const payload = new Uint8Array(1024).fill(7);
  const offsets = await Promise.all(range(5000).map(() => log.append(payload)));
  done = true;
  await sampler;
  t.true(samples > 50, `sampled ${samples} times`);
  t.true(inFlightMaxBytes > 0 && inFlightMaxBytes <= maxInFlightBytes, `in-flight peak ${inFlightMaxBytes} bytes, cap ${maxInFlightBytes}`);
  t.true(poolOk, 'the pool never held more than its cap');
  t.true(log.metrics().backpressureWaits > 0, 'the cap was reached: appends waited');
  t.deepEqual([...offsets].sort((a, b) => a - b), range(5000));
  await log.close();
  t.is((await readAll(io)).length, 5000);
});

test('batches of one record exhaust the buffer pool before the byte cap: pool.waits counts it and appends still all land', async (t) => {
  const { io } = await simMachine(18);
  // Pool: 2 x ceil(8 KiB / 4 KiB) + 2 = 6 buffers, while 100 records of 10 bytes are far under the
  // in-flight byte cap: only the pool can make these appends wait.
  const log = await openLog({
    dir: LOG_DIR,
    io,
    blockBytes: 512,
    maxBatchBytes: 4096,
    maxInFlightBytes: 8192,
    maxBatchRecords: 1,
    commitWindow: { fixedMicros: 0 },
  });
  const offsets = await Promise.all(range(100).map((index) => log.append(payloadOf(index, 10))));
  const { pool, backpressureWaits } = log.metrics();
  t.true(pool.waits > 0, `the pool was at its cap (${pool.buffersAllocated} buffers) and refused requests`);
  t.true(backpressureWaits > 0, 'the appends behind a refused request waited');
  t.true(pool.buffersAllocated * pool.bufferBytes <= pool.bytesCap);
  t.deepEqual(offsets, range(100));
  await log.close();
  t.deepEqual(await readAll(io), range(100).map((index) => payloadOf(index, 10)));
});

test('an I/O error at any step of openLog is SEGLOG_IO with that error as cause, and a later open recovers everything', async (t) => {
  const { io } = await simMachine(17);
  const options = optionsFor(io, { segmentBytes: 8 * 1024, indexIntervalBytes: 512 });
  const log = await openLog(options);
  await appendAll(log, range(120));
  await log.close();
  const counting = new NthCallFailingIO(io, 0);
  await (await openLog({ ...options, io: counting })).close();
  t.true(counting.calls > 20, `a clean open and close make ${counting.calls} calls`);
  for (let failAt = 1; failAt <= counting.calls; failAt++) {
    const faulty = new NthCallFailingIO(io, failAt);
    try {
      const opened = await openLog({ ...options, io: faulty });
      await opened.close().catch(() => undefined);
    } catch (error) {
      t.true(isSeglogError(error, 'SEGLOG_IO'), `failing call ${failAt} (${faulty.failedCall}) gave ${String(error)}`);
      t.is((error as Error).cause, faulty.injected, `failing call ${failAt}: the cause is the injected error`);
    }
    const clean = await openLog(options);
    t.is(clean.nextOffset, 120, `after failing call ${failAt} (${faulty.failedCall})`);
    await clean.close();
  }
  const records = await readAll(io);
  t.deepEqual(records, range(120).map((index) => payloadOf(index)));
});

/** Fails one fdatasync, reopens in the same boot, appends, cuts the power; what went wrong, or null. */
async function fsyncgateReopenCase(seed: number): Promise<string | null> {
  const { sim, io } = await simMachine(seed);
  const options = optionsFor(io);
  const log = await openLog(options);
  await appendAll(log, range(20));
  sim.faults.failNext('datasync', { code: 'EIO', path: SEGMENT_PATH });
  await settle(range(5, 20).map((index) => log.append(payloadOf(index))));
  await log.close();
  const reopened = await openLog(options);
  const start = reopened.nextOffset;
  await appendAll(reopened, range(10, 1000));
  sim.crash();
  const afterCrash = sim.boot();
  try {
    const recovered = await openLog(optionsFor(afterCrash));
    await recovered.close();
    const records = await readAll(afterCrash);
    if (records.length < start + 10) return `seed ${seed}: the log ends at ${records.length}, acknowledged up to ${start + 9}`;
    return null;
  } catch (error) {
    return `seed ${seed}: reopen after the power cut failed: ${String(error)}`;
  }
}

/**
 * Regression (fixed in SegmentWriter.resume: recovery rewrites the last batch). After a failed fdatasync, Linux
 * marks the pages clean: reads still show the batch, the disk may not hold it, and no later fsync
 * writes it. A reopen in the same boot (no reboot) recovers from the page cache, keeps the failed
 * batch, and acknowledges new batches after it; after a power cut the failed batch is gone and the
 * acknowledged ones behind it are refused as SEGLOG_CORRUPT (seed 101) or lost. Recovery must make
 * durable what it builds on, e.g. rewrite the last batch of the last segment and fdatasync it.
 */
test('fsyncgate: after a failed fdatasync, reopen without a reboot, append, lose power: every acknowledged record survives', async (t) => {
  const failures: string[] = [];
  for (let seed = 100; seed < 130; seed++) {
    const failure = await fsyncgateReopenCase(seed);
    if (failure !== null) failures.push(failure);
  }
  t.deepEqual(failures, [], failures.join('\n'));
});

test('a failed directory fsync at a roll: reopen without a reboot, append, lose power: every acknowledged record survives', async (t) => {
  const { sim, io } = await simMachine(21);
  const options = optionsFor(io, { segmentBytes: 8 * 1024 });
  const log = await openLog(options);
  sim.faults.failNext('syncDir', { code: 'EIO', path: LOG_DIR });
  const { acked, error } = await appendUntilFailure(log, 0, 200);
  t.true(isSeglogError(error, 'SEGLOG_IO'), String(error));
  await log.close();
  const reopened = await openLog(options);
  const start = reopened.nextOffset;
  t.is(start, acked.length);
  await appendAll(reopened, range(10, 1000));
  sim.crash();
  const afterCrash = sim.boot();
  const recovered = await openLog(optionsFor(afterCrash));
  t.true(recovered.nextOffset >= start + 10, `log ends at ${recovered.nextOffset}, acknowledged up to ${start + 9}`);
  await recovered.close();
});

// A full disk can cut a batch write inside its zero padding: the batch verifies (the CRC covers
// header and records, not padding) but the file ends before the batch's padded span does.
test('ENOSPC inside a batch padding: the batch is kept, and after space returns the log goes on past its span', async (t) => {
  const { sim, io } = await simMachine(22);
  const options = optionsFor(io);
  const log = await openLog(options);
  await appendAll(log, range(10));
  // 100-byte payload: 32 + 4 + 100 = 136 bytes of batch in a 512-byte span; room for 200.
  sim.faults.spaceBytes = usedBytes(sim) + 200;
  const error = await log.append(payloadOf(10, 100)).catch((failure: unknown) => failure);
  t.true(isSeglogError(error, 'SEGLOG_IO'), String(error));
  t.is(errorCode((error as Error).cause), 'ENOSPC');
  await log.close();
  sim.faults.spaceBytes = Number.POSITIVE_INFINITY;
  const reopened = await openLog(options);
  t.is(reopened.nextOffset, 11, 'the cut batch verifies and is kept (its append had an unknown outcome)');
  t.deepEqual(await appendAll(reopened, range(5, 20)), range(5, 11));
  await reopened.close();
  const records = await readAll(io);
  t.deepEqual(records[10], payloadOf(10, 100));
  for (let i = 0; i < 5; i++) t.deepEqual(records[11 + i], payloadOf(20 + i));
  sim.crash();
  t.is((await readAll(sim.boot())).length, 16, 'all of it durable');
});
