/**
 * One job: reading beside a live writer (appends, writes in progress, rolls), the durable clamp,
 * close, and the handle cache under concurrent reads.
 */
import test from 'ava';
import { encodeBatch } from '@seglog/format';
import { ErrorCodes, isSeglogError } from '@seglog/types';
import type { LogRecord } from '@seglog/types';
import { openReader } from '../src/index.js';
import { CountingIO, writeAt } from './helpers/counting-io.js';
import {
  appendBatch,
  batchesFrom,
  buildLog,
  collect,
  expectedRecords,
  lastSegment,
  payloadFor,
  rollSegment,
} from './helpers/build-log.js';

test('batches a writer appends to the last segment become visible once complete', async (t) => {
  const io = new CountingIO();
  const log = await buildLog(io, { segments: [{ batches: batchesFrom(0, 3, 2) }] });
  const reader = await openReader({ dir: log.dir, io });
  t.is(await reader.endOffset(), 6);
  await appendBatch(log, [payloadFor(6), payloadFor(7)]);
  t.is(await reader.endOffset(), 8);
  t.deepEqual(await reader.get(7), log.payloads.get(7));

  // A write in progress: only the first 100 bytes of the next batch are in the file.
  const segment = lastSegment(log);
  const pending = encodeBatch(log.logId, 8, [payloadFor(8, 5000)], log.blockBytes);
  await writeAt(io, segment.path, segment.nextBlock * log.blockBytes, pending.subarray(0, 100));
  t.is(await reader.endOffset(), 8);
  await t.throwsAsync(reader.get(8), { code: ErrorCodes.OUT_OF_RANGE } as never);
  await writeAt(io, segment.path, segment.nextBlock * log.blockBytes, pending);
  t.is(await reader.endOffset(), 9);
  t.deepEqual(await reader.get(8), payloadFor(8, 5000));
  await reader.close();
});

test('a roll is seen: the old segment\'s last batches, then the new segment', async (t) => {
  const io = new CountingIO();
  const log = await buildLog(io, { segments: [{ batches: batchesFrom(0, 3, 2) }] });
  const reader = await openReader({ dir: log.dir, io });
  t.is(await reader.endOffset(), 6);
  t.deepEqual(await collect(reader.read({ from: 0 })), expectedRecords(log, 0, 6));
  await appendBatch(log, batchesFrom(6, 1, 3)[0]!);
  await rollSegment(log);
  await appendBatch(log, batchesFrom(9, 1, 2)[0]!);
  await rollSegment(log, 'none');
  await appendBatch(log, batchesFrom(11, 1, 4)[0]!);
  t.deepEqual(await reader.get(10), log.payloads.get(10));
  t.is(await reader.endOffset(), 15);
  t.deepEqual(await collect(reader.read({ from: 4 })), expectedRecords(log, 4, 15));
  await reader.close();
});

test('an iteration without `to` returns records appended while it runs, across a roll', async (t) => {
  const io = new CountingIO();
  const log = await buildLog(io, { segments: [{ batches: batchesFrom(0, 2, 2) }] });
  const reader = await openReader({ dir: log.dir, io });
  const seen: number[] = [];
  for await (const record of reader.read({ from: 0 })) {
    t.deepEqual(record.payload, log.payloads.get(record.offset));
    seen.push(record.offset);
    if (record.offset === 1) await appendBatch(log, batchesFrom(4, 1, 2)[0]!);
    if (record.offset === 4) {
      await rollSegment(log);
      await appendBatch(log, batchesFrom(6, 1, 3)[0]!);
    }
  }
  t.deepEqual(seen, [0, 1, 2, 3, 4, 5, 6, 7, 8]);
  await reader.close();
});

test('durable clamps what is visible, and more becomes visible as it grows', async (t) => {
  const io = new CountingIO();
  const log = await buildLog(io, { segments: [{ batches: batchesFrom(0, 4, 3) }, { batches: batchesFrom(12, 2, 3) }] });
  const durable = { durableOffset: 5 };
  const reader = await openReader({ dir: log.dir, io, durable });
  t.is(await reader.endOffset(), 5);
  t.deepEqual(await reader.get(4), log.payloads.get(4));
  const error = await t.throwsAsync(reader.get(5));
  t.true(isSeglogError(error, ErrorCodes.OUT_OF_RANGE));
  t.deepEqual(await collect(reader.read({ from: 0 })), expectedRecords(log, 0, 5));
  await t.throwsAsync(collect(reader.read({ from: 2, to: 8 })), { code: ErrorCodes.OUT_OF_RANGE } as never);
  await t.throwsAsync(collect(reader.read({ from: 6 })), { code: ErrorCodes.OUT_OF_RANGE } as never);
  durable.durableOffset = 14;
  t.is(await reader.endOffset(), 14);
  t.deepEqual(await collect(reader.read({ from: 3 })), expectedRecords(log, 3, 14));
  durable.durableOffset = 18;
  t.is(await reader.endOffset(), 18);
  t.deepEqual(await reader.get(17), log.payloads.get(17));
  await reader.close();
});

test('close closes every handle; later calls reject SEGLOG_CLOSED', async (t) => {
  const io = new CountingIO();
  const log = await buildLog(io, { segments: [{ batches: batchesFrom(0, 2, 2) }, { batches: batchesFrom(4, 2, 2) }] });
  const reader = await openReader({ dir: log.dir, io });
  const iterator = reader.read({ from: 0 })[Symbol.asyncIterator]();
  // The iterator's return value is typed `any`; a finished iterator has none.
  const first: IteratorResult<LogRecord, undefined> = await iterator.next();
  t.is(first.value?.offset, 0);
  t.true(io.openHandles > 0);
  await reader.close();
  await reader.close();
  t.is(io.openHandles, 0);
  const calls = [
    () => reader.get(0),
    () => reader.firstOffset(),
    () => reader.endOffset(),
    () => iterator.next(),
    () => collect(reader.read({ from: 0 })),
  ];
  for (const call of calls) {
    const error = await t.throwsAsync(call());
    t.true(isSeglogError(error, ErrorCodes.CLOSED), String(error));
  }
});

test('reads in flight when close is called finish or reject SEGLOG_CLOSED, and leak no handle', async (t) => {
  const io = new CountingIO();
  const log = await buildLog(io, { segments: [0, 1, 2, 3].map((s) => ({ batches: batchesFrom(s * 20, 5, 4), index: 'none' as const })) });
  const reader = await openReader({ dir: log.dir, io, cacheHandles: 2 });
  const reads = Array.from({ length: 80 }, (_, offset) => reader.get(offset));
  await reader.close();
  const settled = await Promise.allSettled(reads);
  settled.forEach((result, offset) => {
    if (result.status === 'fulfilled') t.deepEqual(result.value, log.payloads.get(offset));
    else t.true(isSeglogError(result.reason, ErrorCodes.CLOSED), String(result.reason));
  });
  t.is(io.openHandles, 0);
});

test('with one cached handle, concurrent reads across segments are all right and handles get closed', async (t) => {
  const io = new CountingIO();
  const log = await buildLog(io, { segments: [0, 1, 2, 3].map((s) => ({ batches: batchesFrom(s * 20, 5, 4) })) });
  const reader = await openReader({ dir: log.dir, io, cacheHandles: 1, cacheBatches: 1 });
  const offsets = Array.from({ length: 80 }, (_, i) => (i * 37) % 80);
  const payloads = await Promise.all(offsets.map((offset) => reader.get(offset)));
  payloads.forEach((payload, i) => t.deepEqual(payload, log.payloads.get(offsets[i]!)));
  t.deepEqual(await collect(reader.read({ from: 0 })), expectedRecords(log, 0, 80));
  t.is(io.openHandles, 1, 'evicted handles were closed once their reads ended');
  await reader.close();
  t.is(io.openHandles, 0);
});

test('readers polling while a writer appends in pieces and rolls see only whole, right records', async (t) => {
  const io = new CountingIO();
  const log = await buildLog(io, { segments: [{ batches: batchesFrom(0, 1, 2) }] });
  const reader = await openReader({ dir: log.dir, io, cacheBatches: 4 });
  let written = 2;
  let writerDone = false;
  const writer = (async () => {
    for (let b = 0; b < 60; b++) {
      if (b % 15 === 14) await rollSegment(log, b % 2 === 0 ? 'every' : 'none');
      const segment = lastSegment(log);
      const payloads = Array.from({ length: 1 + (b % 4) }, (_, i) => payloadFor(written + i, 100 + ((b * 977) % 6000)));
      const bytes = encodeBatch(log.logId, written, payloads, log.blockBytes);
      const atBytes = segment.nextBlock * log.blockBytes;
      payloads.forEach((payload, i) => log.payloads.set(written + i, payload));
      // One writev, seen half-done by readers: three pieces with turns in between.
      const cuts = [0, Math.floor(bytes.length / 3), Math.floor((2 * bytes.length) / 3), bytes.length];
      for (let piece = 0; piece < 3; piece++) {
        await writeAt(io, segment.path, atBytes + cuts[piece]!, bytes.subarray(cuts[piece], cuts[piece + 1]));
        await new Promise((resolve) => setImmediate(resolve));
      }
      segment.batches.push({ firstOffset: written, blockNumber: segment.nextBlock, positionBytes: atBytes, bytes });
      segment.nextBlock += bytes.length / log.blockBytes;
      segment.endOffset += payloads.length;
      written += payloads.length;
    }
    writerDone = true;
  })();
  let lastEnd = 0;
  let polls = 0;
  while (!writerDone) {
    const end = await reader.endOffset();
    t.true(end >= lastEnd && end <= written + 4, `end ${end} after ${lastEnd}, ${written} written`);
    if (end > 0) t.deepEqual(await reader.get(end - 1), log.payloads.get(end - 1));
    lastEnd = end;
    polls++;
  }
  await writer;
  t.true(polls > 10);
  t.is(await reader.endOffset(), written);
  t.deepEqual(await collect(reader.read({ from: 0 })), expectedRecords(log, 0, written));
  await reader.close();
});
