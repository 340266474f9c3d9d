/**
 * One job: the `.idx` file is only a hint. Missing, torn, garbage, stale or wrong indexes give the
 * same records as a good one; a good one (or entries built by a scan) makes a cold get one read.
 */
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { encodeIndexEntries } from '@seglog/format';
import { openReader } from '../src/index.js';
import { CountingIO, writeAt } from './helpers/counting-io.js';
import { batchesFrom, buildLog, collect, expectedRecords, type BuiltLog, type IndexLayout } from './helpers/build-log.js';

const RECORDS = 4 * 200;

/** Two segments of 200 one-block batches each (4 records of 500 bytes), indexed as `index` says. */
async function twoSegments(io: CountingIO, index: (log: 'first' | 'second') => IndexLayout): Promise<BuiltLog> {
  return buildLog(io, {
    segments: [
      { batches: batchesFrom(0, 200, 4, 500), index: index('first') },
      { batches: batchesFrom(RECORDS, 200, 4, 500), index: index('second') },
    ],
  });
}

async function readsEverything(t: ExecutionContext, io: CountingIO, log: BuiltLog): Promise<void> {
  const reader = await openReader({ dir: log.dir, io });
  t.is(await reader.endOffset(), 2 * RECORDS);
  for (const offset of [0, 1, 399, 400, 799, 800, 801, 1203, 1599]) {
    t.deepEqual(await reader.get(offset), log.payloads.get(offset), `offset ${offset}`);
  }
  t.deepEqual(await collect(reader.read({ from: 0 })), expectedRecords(log, 0, 2 * RECORDS));
  await reader.close();
}

const hostileIndexes: Array<[string, (log: BuiltLog) => Promise<void>]> = [
  ['missing', async (log) => { for (const segment of log.segments) await log.io.unlink(segment.indexPath); }],
  ['truncated mid-entry', async (log) => truncateIndexes(log, 16 * 5 + 9)],
  ['empty', async (log) => truncateIndexes(log, 0)],
  ['garbage', async (log) => overwriteIndexes(log, () => Uint8Array.from({ length: 400 }, (_, i) => (i * 89 + 3) & 0xff))],
  ['pointing at wrong blocks', async (log) => overwriteIndexes(log, (segment) => encodeIndexEntries([
    { firstOffset: segment.baseOffset, blockNumber: 1 },
    { firstOffset: segment.baseOffset + 40, blockNumber: 12 }, // the batch with offset +40 is at block 11
    { firstOffset: segment.baseOffset + 81, blockNumber: 21 }, // inside a batch, not its start
    { firstOffset: segment.baseOffset + 400, blockNumber: 150 },
  ]))],
  ['swapped between segments', async (log) => {
    const io = log.io as CountingIO;
    const [first, second] = log.segments;
    const firstBytes = io.readFileSync(first!.indexPath);
    await writeAt(io, first!.indexPath, 0, io.readFileSync(second!.indexPath));
    await writeAt(io, second!.indexPath, 0, firstBytes);
  }],
  ['claiming records past the end', async (log) => overwriteIndexes(log, (segment) => encodeIndexEntries([
    { firstOffset: segment.baseOffset, blockNumber: 1 },
    { firstOffset: segment.baseOffset + 4 * 150, blockNumber: 151 },
    { firstOffset: segment.baseOffset + 4 * 250, blockNumber: 251 },
    { firstOffset: segment.baseOffset + 4 * 300, blockNumber: 400 },
  ]))],
];

for (const [name, spoil] of hostileIndexes) {
  test(`an index that is ${name} gives the same records as a good one`, async (t) => {
    const io = new CountingIO();
    const log = await twoSegments(io, () => 'every');
    await spoil(log);
    await readsEverything(t, io, log);
  });
}

test('with the writer\'s sparse index, a cold get costs one segment read', async (t) => {
  const io = new CountingIO();
  const log = await twoSegments(io, () => ({ intervalBytes: 16 * 1024 }));
  const reader = await openReader({ dir: log.dir, io });
  for (const offset of [703, 90, 1555, 801]) {
    const before = io.counters.segmentReads;
    t.deepEqual(await reader.get(offset), log.payloads.get(offset));
    t.is(io.counters.segmentReads - before, 1, `offset ${offset}`);
  }
  const before = io.counters.segmentReads;
  await reader.get(703);
  t.is(io.counters.segmentReads - before, 0, 'a cached batch costs no read');
  await reader.close();
});

test('without an index, one scan builds entries so later gets cost one read', async (t) => {
  const io = new CountingIO();
  const log = await twoSegments(io, () => 'none');
  const reader = await openReader({ dir: log.dir, io, cacheBatches: 4 });
  let before = io.counters.segmentReads;
  t.deepEqual(await reader.get(RECORDS - 1), log.payloads.get(RECORDS - 1));
  t.true(io.counters.segmentReads - before > 5, 'the first lookup scans');
  for (const offset of [13, 402, 250, 799, 9]) {
    before = io.counters.segmentReads;
    t.deepEqual(await reader.get(offset), log.payloads.get(offset));
    t.is(io.counters.segmentReads - before, 1, `offset ${offset}`);
  }
  await reader.close();
});

async function truncateIndexes(log: BuiltLog, keepBytes: number): Promise<void> {
  for (const segment of log.segments) {
    const handle = await log.io.open(segment.indexPath, 'write');
    await handle.truncate(keepBytes);
    await handle.close();
  }
}

async function overwriteIndexes(log: BuiltLog, bytesFor: (segment: BuiltLog['segments'][number]) => Uint8Array): Promise<void> {
  for (const segment of log.segments) {
    const handle = await log.io.open(segment.indexPath, 'truncate');
    await handle.writev([bytesFor(segment)], 0);
    await handle.close();
  }
}
