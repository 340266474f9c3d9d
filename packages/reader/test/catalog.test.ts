/**
 * One job: opening a reader costs the same whatever the number of segments (issue 11): the catalog
 * reads the first and the last segment header only, and checks any other segment's header before
 * the first read of it (segment-catalog.ts).
 */
import test from 'ava';
import { encodeSegmentHeader, segmentFileName } from '@seglog/format';
import { ErrorCodes, isSeglogError } from '@seglog/types';
import { openReader } from '../src/index.js';
import { CountingIO, writeAt } from './helpers/counting-io.js';
import { batchesFrom, buildLog, collect, expectedRecords, logId } from './helpers/build-log.js';

/** `count` segments of 3 batches of 2 records each. */
async function segments(io: CountingIO, count: number): Promise<Awaited<ReturnType<typeof buildLog>>> {
  return buildLog(io, {
    segments: Array.from({ length: count }, (_, i) => ({ batches: batchesFrom(i * 6, 3, 2) })),
  });
}

test('openReader reads two segment headers, for 3 segments as for 40', async (t) => {
  for (const count of [3, 40]) {
    const io = new CountingIO();
    const log = await segments(io, count);
    const before = io.counters.segmentReads;
    const reader = await openReader({ dir: log.dir, io });
    t.is(io.counters.segmentReads - before, 2, `${count} segments`);
    t.is(await reader.firstOffset(), 0);
    t.deepEqual(await collect(reader.read({ from: 0 })), expectedRecords(log, 0, count * 6), 'and every record reads');
    await reader.close();
  }
});

test('a middle segment from another log is SEGLOG_CORRUPT naming it on the first read that reaches it', async (t) => {
  const io = new CountingIO();
  const log = await segments(io, 5);
  const middle = log.segments[2]!.path;
  await writeAt(io, middle, 0, encodeSegmentHeader({ blockBytes: 4096, baseOffset: 12, logId: logId(99) }));
  const reader = await openReader({ dir: log.dir, io });
  t.deepEqual(await reader.get(5), log.payloads.get(5), 'segments before it read');
  for (const attempt of [reader.get(13), collect(reader.read({ from: 0 }))]) {
    const error = await t.throwsAsync(attempt);
    t.true(isSeglogError(error, ErrorCodes.CORRUPT), String(error));
    t.is((error as { file?: string }).file, middle);
  }
  t.true(middle.endsWith(segmentFileName(12)), 'the segment of offset 12');
  await reader.close();
});
