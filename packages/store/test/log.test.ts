import test from 'ava';
import { openSync, writeSync, closeSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isSeglogError } from '@seglog/types';
import { openLog } from '../src/index.js';
import { payloadFor, readAll, tempDir } from './helpers/temp-log.js';

const small = { segmentBytes: 64 * 1024, maxBatchBytes: 8 * 1024, blockBytes: 512 } as const;

test('offsets are dense across segment rolls and reopen, and read back byte for byte', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const tiny = { segmentBytes: 16 * 1024, maxBatchBytes: 4096, blockBytes: 512 };
  let log = await openLog({ dir, ...tiny });
  const first = await Promise.all(Array.from({ length: 600 }, (_, i) => log.append(payloadFor(i))));
  t.deepEqual(first, Array.from({ length: 600 }, (_, i) => i));
  await log.close();
  log = await openLog({ dir, ...tiny });
  t.is(log.nextOffset, 600);
  for (let i = 600; i < 650; i++) t.is(await log.append(payloadFor(i)), i);
  t.true(log.metrics().segmentsCreated >= 1, 'appends after reopen rolled at least once');
  await log.close();
  const segments = readdirSync(dir).filter((name) => name.endsWith('.seg'));
  t.true(segments.length >= 3, `several segments (${segments.length})`);
  const records = await readAll(dir);
  t.is(records.length, 650);
  records.forEach((record, i) => {
    t.is(record.offset, i);
    t.deepEqual(record.payload, payloadFor(i));
  });
});

test('concurrent appends resolve with distinct dense offsets, and appendMany is contiguous', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const log = await openLog({ dir, ...small });
  const singles = Array.from({ length: 300 }, (_, i) => log.append(payloadFor(i, 40)));
  const run = log.appendMany(Array.from({ length: 50 }, (_, i) => payloadFor(1000 + i, 40)));
  const more = Array.from({ length: 100 }, (_, i) => log.append(payloadFor(2000 + i, 40)));
  const offsets = await Promise.all([...singles, ...more]);
  const runFirst = await run;
  const all = [...offsets, ...Array.from({ length: 50 }, (_, i) => runFirst + i)].sort((a, b) => a - b);
  t.deepEqual(all, Array.from({ length: 450 }, (_, i) => i));
  t.is(runFirst, 300, 'the run was admitted after the singles that came before it');
  const metrics = log.metrics();
  t.is(metrics.appends, 450);
  t.true(metrics.batches < 450, `appends were grouped (${metrics.batches} batches)`);
  t.is(metrics.flushes, metrics.batches + metrics.segmentsCreated, 'one fdatasync per batch plus one per new segment header');
  await log.close();
});

test('the caller may reuse its buffer as soon as append returns', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const log = await openLog({ dir, ...small });
  const buffer = new Uint8Array(8);
  const pending: Array<Promise<number>> = [];
  for (let i = 0; i < 20; i++) {
    buffer.fill(i);
    pending.push(log.append(buffer));
  }
  await Promise.all(pending);
  await log.close();
  const records = await readAll(dir);
  t.deepEqual(records.map((record) => record.payload[0]), Array.from({ length: 20 }, (_, i) => i));
});

test('a second writer gets SEGLOG_LOCKED until the first closes', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const log = await openLog({ dir });
  const error = await t.throwsAsync(openLog({ dir }));
  t.true(isSeglogError(error, 'SEGLOG_LOCKED'), String(error));
  await log.close();
  const again = await openLog({ dir });
  await again.close();
});

test('an oversize record is refused with SEGLOG_RECORD_TOO_LARGE and the log goes on', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const log = await openLog({ dir, ...small, maxRecordBytes: 1000 });
  const error = await t.throwsAsync(log.append(new Uint8Array(1001)));
  t.true(isSeglogError(error, 'SEGLOG_RECORD_TOO_LARGE'));
  t.regex(error.message, /1001.*1000/);
  const manyError = await t.throwsAsync(log.appendMany([new Uint8Array(1), new Uint8Array(5000)]));
  t.true(isSeglogError(manyError, 'SEGLOG_RECORD_TOO_LARGE'));
  t.is(await log.append(new Uint8Array(1000)), 0, 'nothing of the refused run was admitted');
  await log.close();
});

test('zero-length records and maximum-size records round trip', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const log = await openLog({ dir, ...small });
  const max = new Uint8Array(small.maxBatchBytes - 48 - 4 - 12).fill(9); // header, frame, one chunk entry
  t.is(await log.append(new Uint8Array(0)), 0);
  t.is(await log.append(max), 1);
  t.is(await log.append(new Uint8Array(0)), 2);
  await log.close();
  const records = await readAll(dir);
  t.deepEqual(records.map((record) => record.payload.length), [0, max.length, 0]);
  t.deepEqual(records[1]!.payload, max);
});

const badOptions: Array<[string, Record<string, unknown>]> = [
  ['blockBytes not a power of two', { blockBytes: 1000 }],
  ['blockBytes too small', { blockBytes: 256 }],
  ['segmentBytes not a block multiple', { segmentBytes: 100_000 }],
  ['maxBatchBytes larger than a segment', { segmentBytes: 64 * 1024, maxBatchBytes: 64 * 1024 }],
  ['maxRecordBytes larger than a batch', { maxBatchBytes: 8192, maxRecordBytes: 8192 }],
  ['negative commit window', { commitWindow: { fixedMicros: -1 } }],
  ['commit window of the wrong shape', { commitWindow: 5 }],
  ['unknown option', { segmentSize: 1 }],
  ['maxInFlightBytes below a batch', { maxInFlightBytes: 10 }],
  ['preallocate not a boolean', { preallocate: 'yes' }],
  ['syncMethod unknown', { syncMethod: 'fsync' }],
];
for (const [name, options] of badOptions) {
  test(`bad option is SEGLOG_INVALID_OPTION: ${name}`, async (t) => {
    const { dir, cleanup } = tempDir();
    t.teardown(cleanup);
    const error = await t.throwsAsync(openLog({ dir, ...options }));
    t.true(isSeglogError(error, 'SEGLOG_INVALID_OPTION'), String(error));
  });
}

test('a directory that is a file is SEGLOG_INVALID_OPTION', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const file = join(dir, 'plain-file');
  closeSync(openSync(file, 'w'));
  const error = await t.throwsAsync(openLog({ dir: file }));
  t.true(isSeglogError(error, 'SEGLOG_INVALID_OPTION'), String(error));
});

test('an explicit blockBytes that differs from the existing log is refused', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  await (await openLog({ dir, ...small })).close();
  const error = await t.throwsAsync(openLog({ dir, ...small, blockBytes: 4096 }));
  t.true(isSeglogError(error, 'SEGLOG_INVALID_OPTION'));
  const adopted = await openLog({ dir, segmentBytes: small.segmentBytes, maxBatchBytes: small.maxBatchBytes });
  t.is(await adopted.append(new Uint8Array(3)), 0, 'without blockBytes the log keeps its own');
  await adopted.close();
});

test('close lets pending appends finish, then refuses with SEGLOG_CLOSED', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const log = await openLog({ dir, ...small });
  const pending = Array.from({ length: 200 }, (_, i) => log.append(payloadFor(i)));
  const closing = log.close();
  const late = await t.throwsAsync(log.append(new Uint8Array(1)));
  t.true(isSeglogError(late, 'SEGLOG_CLOSED'));
  t.deepEqual(await Promise.all(pending), Array.from({ length: 200 }, (_, i) => i));
  await closing;
  t.is(log.close(), closing, 'close is idempotent');
  t.true(isSeglogError(await t.throwsAsync(log.appendMany([new Uint8Array(1)])), 'SEGLOG_CLOSED'));
  t.is((await readAll(dir)).length, 200);
});

test('the pool stops allocating in steady state', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const log = await openLog({ dir, segmentBytes: 1024 * 1024, maxBatchBytes: 16 * 1024, blockBytes: 512 });
  const appender = async (count: number, id: number): Promise<void> => {
    for (let i = 0; i < count; i++) await log.append(payloadFor(id * 1000 + i, 64));
  };
  await Promise.all(Array.from({ length: 16 }, (_, id) => appender(20, id)));
  const warm = log.metrics().pool;
  await Promise.all(Array.from({ length: 16 }, (_, id) => appender(60, id)));
  const steady = log.metrics().pool;
  t.is(steady.misses, warm.misses, 'no new buffer after warm-up');
  t.true(steady.hits > warm.hits, 'buffers were reused');
  t.true(steady.buffersAllocated * steady.bufferBytes <= steady.bytesCap);
  await log.close();
});

test('backpressure holds in-flight bytes at the cap while appends keep coming', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const maxInFlightBytes = 16 * 1024;
  const log = await openLog({
    dir,
    segmentBytes: 1024 * 1024,
    maxBatchBytes: 8 * 1024,
    maxInFlightBytes,
    blockBytes: 512,
  });
  let peak = 0;
  const pending: Array<Promise<number>> = [];
  for (let i = 0; i < 400; i++) {
    pending.push(log.append(payloadFor(i, 200)));
    peak = Math.max(peak, log.metrics().inFlightBytes);
  }
  const offsets = await Promise.all(pending);
  t.deepEqual(offsets, Array.from({ length: 400 }, (_, i) => i));
  t.true(peak <= maxInFlightBytes, `peak in-flight ${peak} <= ${maxInFlightBytes}`);
  t.true(log.metrics().backpressureWaits > 0);
  await log.close();
  t.is((await readAll(dir)).length, 400);
});

test('reopen after a torn tail keeps every acknowledged record and drops the torn batch', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const log = await openLog({ dir, ...small, preallocate: false });
  for (let i = 0; i < 30; i++) await log.append(payloadFor(i));
  await log.close();
  const tail = readdirSync(dir).filter((name) => name.endsWith('.seg')).sort().at(-1)!;
  const path = join(dir, tail);
  // A batch header claiming a body that never made it to disk: what a torn writev leaves.
  const end = statSync(path).size;
  const torn = new Uint8Array(512);
  torn.set([0x53, 0x47, 0x42, 0x31]);
  torn.fill(0xab, 8, 300);
  const fd = openSync(path, 'r+');
  writeSync(fd, torn, 0, torn.length, end);
  closeSync(fd);
  const reopened = await openLog({ dir, ...small });
  t.is(reopened.nextOffset, 30);
  t.is(reopened.recovery.tornTailAt, end);
  t.is(await reopened.append(payloadFor(30)), 30);
  await reopened.close();
  const records = await readAll(dir);
  t.is(records.length, 31);
  records.forEach((record, i) => t.deepEqual(record.payload, payloadFor(i)));
});

test('damage in the middle of acknowledged data is SEGLOG_CORRUPT naming file and position', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const log = await openLog({ dir, ...small, preallocate: false });
  for (let i = 0; i < 10; i++) await log.append(payloadFor(i));
  await log.close();
  const path = join(dir, '00000000000000000000.seg');
  // Block 3 holds the third acknowledged batch (blocks 1..10 hold one small batch each).
  const fd = openSync(path, 'r+');
  writeSync(fd, new Uint8Array([0xff, 0xff]), 0, 2, 3 * 512 + 40);
  closeSync(fd);
  const error = await t.throwsAsync(openLog({ dir, ...small }));
  t.true(isSeglogError(error, 'SEGLOG_CORRUPT'), String(error));
  t.is((error as { file?: string }).file, path);
  t.is((error as { positionBytes?: number }).positionBytes, 3 * 512);
  const retry = await t.throwsAsync(openLog({ dir, ...small }));
  t.true(isSeglogError(retry, 'SEGLOG_CORRUPT'), 'refusal released the lock and is repeatable');
});

test("preallocate 'auto' zero-fills segments for small batches and stops for large ones", async (t) => {
  const segmentBytes = 1024 * 1024;
  const options = {
    segmentBytes,
    blockBytes: 4096,
    maxBatchBytes: 512 * 1024,
    commitWindow: { fixedMicros: 0 },
  } as const;
  const segmentSizes = (dir: string): number[] =>
    readdirSync(dir)
      .filter((name) => name.endsWith('.seg'))
      .sort()
      .map((name) => statSync(join(dir, name)).size);

  const small = tempDir();
  t.teardown(small.cleanup);
  const smallLog = await openLog({ dir: small.dir, ...options });
  // One 4 KiB block per batch: 600 batches fill more than two 1 MiB segments.
  for (let i = 0; i < 600; i++) await smallLog.append(payloadFor(i, 100));
  const smallMetrics = smallLog.metrics();
  await smallLog.close();
  t.true(smallMetrics.segmentsCreated >= 3, `${smallMetrics.segmentsCreated} segments`);
  t.is(smallMetrics.segmentsPreallocated, smallMetrics.segmentsCreated, 'every segment zero-filled');
  t.true(segmentSizes(small.dir).every((size) => size === segmentBytes), 'zero-filled segments have their full size');

  const large = tempDir();
  t.teardown(large.cleanup);
  const largeLog = await openLog({ dir: large.dir, ...options });
  // About 300 KiB per batch: past limits.autoZeroFillBatchBytesMax from the first batch on.
  for (let i = 0; i < 12; i++) await largeLog.append(payloadFor(i, 300 * 1024));
  const largeMetrics = largeLog.metrics();
  await largeLog.close();
  t.true(largeMetrics.segmentsCreated >= 4, `${largeMetrics.segmentsCreated} segments`);
  t.is(largeMetrics.segmentsPreallocated, 1, 'only the first segment, made before any batch, is zero-filled');
  const sizes = segmentSizes(large.dir);
  t.is(sizes[0], segmentBytes);
  t.true(sizes.slice(1).every((size) => size < segmentBytes), `later segments grow by their writes: ${sizes.join(', ')}`);

  // Both kinds of segment read back and recover alike.
  const reopened = await openLog({ dir: large.dir, ...options });
  t.is(reopened.nextOffset, 12);
  await reopened.close();
  const records = await readAll(large.dir);
  t.is(records.length, 12);
  records.forEach((record, i) => t.deepEqual(record.payload, payloadFor(i, 300 * 1024)));
});

test("syncMethod 'open_datasync' writes each batch with one durable writev, across rolls and reopens", async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const options = { segmentBytes: 64 * 1024, blockBytes: 512, maxBatchBytes: 4096, syncMethod: 'open_datasync' } as const;
  const log = await openLog({ dir, ...options });
  for (let i = 0; i < 300; i++) await log.append(payloadFor(i));
  await Promise.all(Array.from({ length: 200 }, (_, i) => log.append(payloadFor(300 + i))));
  const metrics = log.metrics();
  await log.close();
  t.true(metrics.segmentsCreated >= 2, `rolled: ${metrics.segmentsCreated} segments`);
  t.is(metrics.writeMicros.max, 0, 'no separate write time: the write is the flush');
  t.true(metrics.flushMicros.count === metrics.batches && metrics.flushMicros.max > 0);
  // Reopen with the other method: the log is the same log.
  const reopened = await openLog({ dir, ...options, syncMethod: 'fdatasync' });
  t.is(reopened.nextOffset, 500);
  await reopened.append(payloadFor(500));
  await reopened.close();
  const records = await readAll(dir);
  t.is(records.length, 501);
  records.forEach((record, i) => t.deepEqual(record.payload, payloadFor(i)));
});
