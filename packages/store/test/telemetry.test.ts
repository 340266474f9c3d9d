import test from 'ava';
import diagnosticsChannel from 'node:diagnostics_channel';
import { limits } from '@seglog/types';
import type { BatchEvent } from '@seglog/types';
import { BATCH_CHANNEL, openLog } from '../src/index.js';
import { payloadFor, tempDir } from './helpers/temp-log.js';

test('metrics separate queueing from service and account for every byte', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const log = await openLog({
    dir,
    segmentBytes: 1024 * 1024,
    maxBatchBytes: 16 * 1024,
    blockBytes: 512,
    preallocate: false,
  });
  await Promise.all(Array.from({ length: 200 }, (_, i) => log.append(payloadFor(i, 100))));
  const m = log.metrics();
  t.is(m.appends, 200);
  t.is(m.bytesAppended, 200 * 100);
  // written = frames + batch headers (48) + chunk tables (12 per chunk) + padding. A 16 KiB chunk
  // holds 157 frames of 104 bytes, so each batch has one chunk entry plus one per 157 records.
  const tableBytes = m.bytesWritten - m.paddingBytes - 200 * (100 + 4) - m.batches * 48;
  t.is(tableBytes % 12, 0, 'written = frames + batch headers + chunk tables + padding');
  t.true(tableBytes >= m.batches * 12 && tableBytes <= (m.batches + Math.ceil(200 / 157)) * 12, `${tableBytes} bytes of chunk tables`);
  t.is(m.bytesWritten % 512, 0);
  t.is(m.sealReasons.full + m.sealReasons.window + m.sealReasons.idle, m.batches);
  t.is(m.batchRecords.count, m.batches);
  t.is(m.submitLatencyMicros.count, 200, 'one submit latency per append call');
  t.is(m.appendLatencyMicros.count, 200);
  t.true(m.appendLatencyMicros.p50 >= m.submitLatencyMicros.p50, 'completion includes submission');
  t.true(m.batchFullnessPercent.max <= 100);
  t.is(m.recent.batchRecords.count, m.batches, 'everything happened within the recent interval');
  t.is(m.recent.flushMicros.count, m.batches);
  t.is(m.errors, 0);
  t.is(m.queueDepth, 0);
  t.is(m.inFlightBytes, 0);
  await log.close();
});

test('every durable batch is published on the seglog:batch channel, and only for subscribers', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const events: BatchEvent[] = [];
  const listener = (message: unknown): void => {
    if ((message as BatchEvent).dir === dir) events.push(message as BatchEvent);
  };
  diagnosticsChannel.subscribe(BATCH_CHANNEL, listener);
  t.teardown(() => diagnosticsChannel.unsubscribe(BATCH_CHANNEL, listener));
  const log = await openLog({
    dir,
    segmentBytes: 1024 * 1024,
    maxBatchBytes: 8 * 1024,
    blockBytes: 512,
    preallocate: false,
  });
  await Promise.all(Array.from({ length: 100 }, (_, i) => log.append(payloadFor(i, 200))));
  const m = log.metrics();
  t.is(events.length, m.batches);
  t.is(events.reduce((sum, event) => sum + event.records, 0), 100);
  const firstOffsets = events.map((event) => event.firstOffset);
  t.deepEqual(firstOffsets, [...firstOffsets].sort((a, b) => a - b));
  t.true(events.every((event) => event.spanBytes % 512 === 0 && event.flushMicros >= 0));
  t.true(events.some((event) => event.sealReason === 'full'), 'a 100 x 200 B burst overflows 8 KiB batches');
  await log.close();
});

test('a closed-loop lone appender never waits for a window', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const log = await openLog({ dir, blockBytes: 512, segmentBytes: 1024 * 1024, preallocate: false });
  for (let i = 0; i < 60; i++) await log.append(payloadFor(i, 64));
  const m = log.metrics();
  t.is(m.commitWindow.mode, 'adaptive');
  t.is(m.commitWindow.micros, 0);
  t.is(m.sealReasons.window, 0, 'no batch was held back');
  const load = (m.commitWindow.independentArrivalsPerSecond * m.commitWindow.flushEstimateMicros) / 1e6;
  t.true(load < limits.windowReleaseLoadRatio, `only the first append arrived on its own, so the load estimate (${load}) stays below the release threshold`);
  await log.close();
});

test('a fixed window holds a batch open for company until it runs out', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  // A clock the test moves by hand, so the window's expiry does not depend on machine load.
  let nowMicros = 1_000_000;
  const clock = { nowMicros: () => nowMicros };
  const log = await openLog({
    dir,
    clock,
    blockBytes: 512,
    segmentBytes: 1024 * 1024,
    preallocate: false,
    commitWindow: { fixedMicros: 20_000 },
  });
  const first = log.append(payloadFor(0, 10));
  for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve));
  t.is(log.metrics().batches, 0, 'the window has not run out, so nothing was sealed');
  nowMicros += 5_000;
  const second = log.append(payloadFor(1, 10));
  nowMicros += 15_001;
  t.deepEqual(await Promise.all([first, second]), [0, 1]);
  const m = log.metrics();
  t.is(m.batches, 1, 'both appends shared one batch');
  t.is(m.sealReasons.window, 1);
  t.is(m.commitWindow.mode, 'fixed');
  t.is(m.commitWindowMicros, 20_000);
  await log.close();
});

test('a flood of large records cannot starve a small appender', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const maxBatchBytes = 64 * 1024;
  const log = await openLog({
    dir,
    blockBytes: 512,
    segmentBytes: 4 * 1024 * 1024,
    maxBatchBytes,
    maxInFlightBytes: maxBatchBytes,
    preallocate: false,
  });
  const large = new Uint8Array(30 * 1024).fill(1);
  const order: string[] = [];
  const flood = Array.from({ length: 40 }, (_, i) => log.append(large).then(() => order.push(`large-${i}`)));
  const small = log.append(new Uint8Array(16)).then((offset) => {
    order.push('small');
    return offset;
  });
  await Promise.all([...flood, small]);
  const smallAt = order.indexOf('small');
  t.true(smallAt >= 0);
  t.true(smallAt <= 4, `the small append was acknowledged after ${smallAt} large ones, not behind the whole flood`);
  t.true(log.metrics().backpressureWaits > 0, 'the flood really was waiting');
  await log.close();
});

test('maxBatchRecords caps records per batch', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const log = await openLog({
    dir,
    blockBytes: 512,
    segmentBytes: 1024 * 1024,
    preallocate: false,
    maxBatchRecords: 10,
  });
  await Promise.all(Array.from({ length: 95 }, (_, i) => log.append(payloadFor(i, 8))));
  const m = log.metrics();
  t.is(m.batchRecords.max, 10);
  t.true(m.batches >= 10);
  await log.close();
});
