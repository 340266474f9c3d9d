/**
 * One job: torn tails are the end; damage that something proves is not the end is SEGLOG_CORRUPT,
 * naming the file and byte position; foreign or misnamed segments are refused.
 */
import test, { type ExecutionContext } from 'ava';
import { join } from 'node:path';
import { encodeBatch, encodeIndexEntries, encodeSegmentHeader, segmentFileName } from '@seglog/format';
import { ErrorCodes, isSeglogError, type SeglogError } from '@seglog/types';
import { openReader } from '../src/index.js';
import { CountingIO, writeAt } from './helpers/counting-io.js';
import { batchesFrom, buildLog, collect, expectedRecords, logId, payloadFor, type BuiltLog } from './helpers/build-log.js';

/** Two segments: 0..39 in 10 batches of 4, then 40..69 in 10 batches of 3. */
async function twoSegments(io: CountingIO, index: 'every' | 'none' = 'every'): Promise<BuiltLog> {
  return buildLog(io, {
    segments: [
      { batches: batchesFrom(0, 10, 4), index },
      { batches: batchesFrom(40, 10, 3), index },
    ],
  });
}

async function flipByte(io: CountingIO, path: string, positionBytes: number): Promise<void> {
  const [byte] = io.readFileSync(path).subarray(positionBytes, positionBytes + 1);
  await writeAt(io, path, positionBytes, Uint8Array.of(byte! ^ 0x5a));
}

async function corruptError(t: ExecutionContext, promise: Promise<unknown>): Promise<SeglogError> {
  const error = await t.throwsAsync(promise);
  t.true(isSeglogError(error, ErrorCodes.CORRUPT), String(error));
  return error as SeglogError;
}

for (const [name, spoil] of [
  ['half-written', async (io: CountingIO, log: BuiltLog) => {
    const last = log.segments[1]!.batches.at(-1)!;
    await writeAt(io, log.segments[1]!.path, last.positionBytes + 40, new Uint8Array(last.bytes.length - 40));
  }],
  ['zeroed', async (io: CountingIO, log: BuiltLog) => {
    const last = log.segments[1]!.batches.at(-1)!;
    await writeAt(io, log.segments[1]!.path, last.positionBytes, new Uint8Array(last.bytes.length));
  }],
  ['cut short by the end of the file', async (io: CountingIO, log: BuiltLog) => {
    const last = log.segments[1]!.batches.at(-1)!;
    const handle = await io.open(log.segments[1]!.path, 'write');
    await handle.truncate(last.positionBytes + 20);
    await handle.close();
  }],
] as const) {
  test(`a torn tail (${name}) is the end: the records before it are all there`, async (t) => {
    const io = new CountingIO();
    const log = await twoSegments(io);
    await spoil(io, log);
    const reader = await openReader({ dir: log.dir, io });
    t.is(await reader.endOffset(), 67);
    t.deepEqual(await collect(reader.read({ from: 0 })), expectedRecords(log, 0, 67));
    t.deepEqual(await reader.get(66), log.payloads.get(66));
    await t.throwsAsync(reader.get(67), { code: ErrorCodes.OUT_OF_RANGE } as never);
    await reader.close();
  });
}

for (const index of ['every', 'none'] as const) {
  test(`a bad batch header inside a non-last segment is SEGLOG_CORRUPT at its byte (index: ${index})`, async (t) => {
    const io = new CountingIO();
    const log = await twoSegments(io, index);
    const [first] = log.segments;
    const bad = first!.batches[3]!;
    await flipByte(io, first!.path, bad.positionBytes + 32); // the append time: the header CRC fails
    const reader = await openReader({ dir: log.dir, io });
    if (index === 'none') await corruptError(t, reader.get(30)); // a scan to 30 must cross the damage
    else t.deepEqual(await reader.get(30), log.payloads.get(30)); // a verified index entry skips it
    const error = await corruptError(t, reader.get(13));
    t.is(error.file, first!.path);
    t.is(error.positionBytes, bad.positionBytes);
    t.is(error.offset, 12);
    t.regex(error.message, /\(crc-mismatch\)/, 'the message names the break class');
    const streamed: number[] = [];
    await corruptError(t, (async () => {
      for await (const record of reader.read({ from: 0 })) streamed.push(record.offset);
    })());
    t.deepEqual(streamed, Array.from({ length: 12 }, (_, i) => i), 'every record before the damage, then the error');
    t.deepEqual(await reader.get(45), log.payloads.get(45), 'the next segment is still readable');
    await reader.close();
  });

  // A get verifies only what it returns (the header and chunk table on its way, then its chunk), so
  // payload damage is reported by the gets of the records in the damaged chunk, and by a read.
  test(`a bad payload inside a non-last segment fails the gets of its chunk and any read across it (index: ${index})`, async (t) => {
    const io = new CountingIO();
    const log = await twoSegments(io, index);
    const [first] = log.segments;
    const bad = first!.batches[3]!;
    await flipByte(io, first!.path, bad.positionBytes + 56); // the second word of the first payload
    const reader = await openReader({ dir: log.dir, io });
    t.deepEqual(await reader.get(30), log.payloads.get(30), 'the headers on the way verify');
    for (const offset of [12, 13, 14, 15]) {
      const error = await corruptError(t, reader.get(offset));
      t.is(error.file, first!.path);
      t.is(error.positionBytes, bad.positionBytes + 48, 'the byte where the damaged chunk starts');
      t.is(error.offset, offset);
      t.regex(error.message, /chunk 0 \(offsets 12\.\.15, \d+ bytes\) at byte \d+ fails its CRC/);
    }
    t.deepEqual(await reader.get(11), log.payloads.get(11));
    const streamed: number[] = [];
    const error = await corruptError(t, (async () => {
      for await (const record of reader.read({ from: 0 })) streamed.push(record.offset);
    })());
    t.regex(error.message, /\(crc-mismatch\)/);
    t.deepEqual(streamed, Array.from({ length: 12 }, (_, i) => i), 'every record before the damage, then the error');
    await reader.close();
  });
}

test('a damaged last batch of a non-last segment is SEGLOG_CORRUPT, not an end', async (t) => {
  const io = new CountingIO();
  const log = await twoSegments(io, 'none');
  const last = log.segments[0]!.batches.at(-1)!;
  await flipByte(io, log.segments[0]!.path, last.positionBytes + 33);
  const reader = await openReader({ dir: log.dir, io });
  const error = await corruptError(t, reader.get(37));
  t.regex(error.message, /next segment .*00000000000000000040\.seg starts at offset 40/);
  await corruptError(t, collect(reader.read({ from: 30 })));
  await reader.close();
});

test('a next segment that does not continue the offsets is SEGLOG_CORRUPT', async (t) => {
  const io = new CountingIO();
  const gap = await buildLog(io, {
    segments: [
      { batches: batchesFrom(0, 10, 4) },
      { baseOffset: 45, batches: batchesFrom(45, 2, 2) },
    ],
  });
  let reader = await openReader({ dir: gap.dir, io });
  const error = await corruptError(t, collect(reader.read({ from: 0 })));
  t.is(error.file, gap.segments[0]!.path);
  t.is(error.offset, 40);
  await corruptError(t, reader.get(42));
  t.deepEqual(await reader.get(46), gap.payloads.get(46));
  await reader.close();

  const io2 = new CountingIO();
  const overlap = await buildLog(io2, {
    segments: [
      { batches: batchesFrom(0, 10, 4) },
      { baseOffset: 38, batches: batchesFrom(38, 2, 2) },
    ],
  });
  reader = await openReader({ dir: overlap.dir, io: io2 });
  await corruptError(t, collect(reader.read({ from: 30 })));
  await reader.close();
});

test('a segment of the same log with another block size is SEGLOG_CORRUPT naming it, as recovery says', async (t) => {
  const io = new CountingIO();
  const log = await buildLog(io, { segments: [{ batches: batchesFrom(0, 3, 2) }] });
  const odd = join(log.dir, segmentFileName(6));
  await writeAt(io, odd, 0, encodeSegmentHeader({ blockBytes: 512, baseOffset: 6, logId: log.logId }));
  await writeAt(io, odd, 512, encodeBatch(log.logId, 6, [payloadFor(6)], 512));
  const error = await corruptError(t, openReader({ dir: log.dir, io }));
  t.is(error.file, odd);
  t.regex(error.message, /block size 512 differs from the log's 4096/);
  t.is(io.openHandles, 0, 'a failed open leaves no handle behind');
});

test('a segment from another log is SEGLOG_CORRUPT naming it, at open or when it appears', async (t) => {
  const io = new CountingIO();
  const log = await buildLog(io, {
    segments: [
      { batches: batchesFrom(0, 3, 2) },
      { logId: logId(2), batches: batchesFrom(6, 3, 2) },
    ],
  });
  const error = await corruptError(t, openReader({ dir: log.dir, io }));
  t.is(error.file, log.segments[1]!.path);
  t.is(io.openHandles, 0, 'a failed open leaves no handle behind');

  const io2 = new CountingIO();
  const live = await buildLog(io2, { segments: [{ batches: batchesFrom(0, 3, 2) }] });
  const reader = await openReader({ dir: live.dir, io: io2 });
  t.is(await reader.endOffset(), 6);
  const foreign = join(live.dir, segmentFileName(6));
  await writeAt(io2, foreign, 0, encodeSegmentHeader({ blockBytes: 4096, baseOffset: 6, logId: logId(3) }));
  await writeAt(io2, foreign, 4096, encodeBatch(logId(3), 6, [payloadFor(6)], 4096));
  const late = await corruptError(t, reader.endOffset());
  t.is(late.file, foreign);
  await reader.close();
});

test('a segment whose header disagrees with its name, or fails its checksum, is SEGLOG_CORRUPT', async (t) => {
  const io = new CountingIO();
  const log = await buildLog(io, { segments: [{ batches: batchesFrom(0, 3, 2) }] });
  const misnamed = join(log.dir, segmentFileName(6));
  await writeAt(io, misnamed, 0, encodeSegmentHeader({ blockBytes: 4096, baseOffset: 7, logId: log.logId }));
  t.is((await corruptError(t, openReader({ dir: log.dir, io }))).file, misnamed);
  await io.unlink(misnamed);
  await flipByte(io, log.segments[0]!.path, 30);
  t.is((await corruptError(t, openReader({ dir: log.dir, io }))).file, log.segments[0]!.path);
});

test('damage in the last segment before a batch that an index entry proves is SEGLOG_CORRUPT', async (t) => {
  const io = new CountingIO();
  const log = await buildLog(io, { segments: [{ batches: batchesFrom(0, 10, 4), index: 'none' }] });
  const [segment] = log.segments;
  await flipByte(io, segment!.path, segment!.batches[4]!.positionBytes + 20); // the body size: header CRC fails
  const entry = { firstOffset: 32, blockNumber: segment!.batches[8]!.blockNumber };
  await writeAt(io, segment!.indexPath, 0, encodeIndexEntries([entry]));
  const reader = await openReader({ dir: log.dir, io });
  t.is(await reader.endOffset(), 40, 'the end is found from the verified entry, past the damage');
  const error = await corruptError(t, reader.get(17));
  t.is(error.positionBytes, segment!.batches[4]!.positionBytes);
  t.regex(error.message, /a verified batch follows/);
  await corruptError(t, collect(reader.read({ from: 0 })));
  t.deepEqual(await reader.get(33), log.payloads.get(33), 'records the index proves stay readable');
  await reader.close();
});

test('known limit: damage in the last segment with nothing after it that proves it looks like the end', async (t) => {
  const io = new CountingIO();
  const log = await buildLog(io, { segments: [{ batches: batchesFrom(0, 10, 4), index: 'none' }] });
  await flipByte(io, log.segments[0]!.path, log.segments[0]!.batches[4]!.positionBytes + 50);
  const reader = await openReader({ dir: log.dir, io });
  t.is(await reader.endOffset(), 16);
  t.deepEqual(await collect(reader.read({ from: 0 })), expectedRecords(log, 0, 16));
  await reader.close();
});

test('a durable source reporting more than the disk holds is SEGLOG_CORRUPT', async (t) => {
  const io = new CountingIO();
  const log = await twoSegments(io, 'none');
  const last = log.segments[1]!.batches[5]!;
  await writeAt(io, log.segments[1]!.path, last.positionBytes, new Uint8Array(last.bytes.length));
  const reader = await openReader({ dir: log.dir, io, durable: { durableOffset: 70 } });
  const error = await corruptError(t, reader.endOffset());
  t.regex(error.message, /writer reports offsets below 70 durable/);
  await corruptError(t, reader.get(60));
  t.deepEqual(await reader.get(50), log.payloads.get(50));
  await reader.close();
});
