/**
 * One job: a get of a format-v2 batch reads and verifies only a bounded range around its record
 * (the header and chunk table once, then the record's chunk), records carry their append time, the
 * reader's cache stays within `cacheBytes`, and the golden v1 log still reads (docs/format.md,
 * "Reading one record"; docs/tuning.md, `cacheBytes`).
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { limits } from '@seglog/types';
import { openLog } from '@seglog/store';
import { V1_LOG_FIXTURE, v1FixturePayload } from '@seglog/testkit';
import { openReader } from '../src/index.js';
import { CountingIO } from './helpers/counting-io.js';

const KiB = 1024;
const RECORDS = 2000;
const RECORD_BYTES = 1000;
const WALL_MS = 1_765_999_000_000;

function payloadOf(offset: number): Uint8Array {
  return Uint8Array.from({ length: RECORD_BYTES }, (_, i) => (offset * 7 + i) & 0xff);
}

/** One log of one ~2 MiB batch of 1000-byte records, written by the store on the simulated disk. */
async function bigBatchLog(io: CountingIO): Promise<string> {
  const dir = '/big';
  const clock = { nowMicros: () => performance.now() * 1000, wallMillis: () => WALL_MS };
  const log = await openLog({ dir, io: io.sim, preallocate: false, clock });
  await log.appendMany(Array.from({ length: RECORDS }, (_, i) => payloadOf(i)));
  const { batches } = log.metrics();
  await log.close();
  if (batches !== 1) throw new Error(`expected one batch, got ${batches}`);
  return dir;
}

test('a get in a 2 MiB batch reads its header, table and one chunk, not the batch', async (t) => {
  const io = new CountingIO();
  const dir = await bigBatchLog(io);
  const reader = await openReader({ dir, io });
  let before = io.counters.segmentReadBytes;
  t.deepEqual(await reader.get(1234), payloadOf(1234));
  const firstGet = io.counters.segmentReadBytes - before;
  // A 64 KiB read at the header, the table (12 bytes per 16 KiB chunk) and one chunk of at most 16 KiB.
  t.true(firstGet <= 64 * KiB + 2 * KiB + limits.batchChunkBytes, `first get read ${firstGet} bytes`);
  for (const offset of [3, 999, 1999, 1500, 640]) {
    before = io.counters.segmentReadBytes;
    t.deepEqual(await reader.get(offset), payloadOf(offset));
    const read = io.counters.segmentReadBytes - before;
    t.true(read <= limits.batchChunkBytes, `get ${offset} read ${read} bytes, at most one chunk`);
  }
  await reader.close();
});

test('records carry the append time of their batch', async (t) => {
  const io = new CountingIO();
  const dir = await bigBatchLog(io);
  const reader = await openReader({ dir, io });
  let seen = 0;
  for await (const record of reader.read({ from: 1990, to: RECORDS })) {
    t.is(record.appendTimeMs, WALL_MS);
    t.deepEqual(record.payload, payloadOf(record.offset));
    seen++;
  }
  t.is(seen, 10);
  await reader.close();
});

/** Segment reads that `get(offset)` costs. */
async function readsOfGet(
  io: CountingIO,
  get: (offset: number) => Promise<Uint8Array>,
  offset: number,
): Promise<number> {
  const before = io.counters.segmentReads;
  await get(offset);
  return io.counters.segmentReads - before;
}

// 16 frames of 1004 bytes fill a 16 KiB chunk, so offsets 0, 80 and 160 lie in chunks 0, 5 and 10.
test('the cache holds what cacheBytes allows and no more', async (t) => {
  const io = new CountingIO();
  const dir = await bigBatchLog(io);
  for (const [cacheBytes, evicted] of [[40 * KiB, true], [undefined, false]] as const) {
    const reader = await openReader({ dir, io, ...(cacheBytes === undefined ? {} : { cacheBytes }) });
    const get = (offset: number): Promise<Uint8Array> => reader.get(offset);
    for (const offset of [0, 80, 160]) await get(offset);
    t.is(await readsOfGet(io, get, 161), 0, 'the newest chunk is cached');
    // Three 16 KiB chunks and the table do not fit in 40 KiB: the oldest chunk went.
    t.is(await readsOfGet(io, get, 1), evicted ? 1 : 0, `cacheBytes ${cacheBytes ?? 'default'}`);
    let state = 7;
    for (let i = 0; i < 200; i++) {
      state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
      t.deepEqual(await get(state % RECORDS), payloadOf(state % RECORDS));
    }
    await reader.close();
  }
});

test('the golden v1 log reads through get and read, with no append times', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'seglog-reader-v1-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(V1_LOG_FIXTURE.dir, dir, { recursive: true });
  const reader = await openReader({ dir });
  t.is(await reader.endOffset(), V1_LOG_FIXTURE.records);
  for (const offset of [59, 0, 17, 33, 46, 47, 30]) t.deepEqual(await reader.get(offset), v1FixturePayload(offset));
  let offset = 0;
  for await (const record of reader.read({ from: 0 })) {
    t.is(record.offset, offset);
    t.deepEqual(record.payload, v1FixturePayload(offset));
    t.is(record.appendTimeMs, undefined);
    offset++;
  }
  t.is(offset, V1_LOG_FIXTURE.records);
  await reader.close();
});

test('a log of v1 segments followed by v2 segments reads as one sequence', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'seglog-reader-v1v2-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(V1_LOG_FIXTURE.dir, dir, { recursive: true });
  const { blockBytes, segmentBytes } = V1_LOG_FIXTURE;
  const clock = { nowMicros: () => performance.now() * 1000, wallMillis: () => WALL_MS };
  const log = await openLog({ dir, blockBytes, segmentBytes, maxBatchBytes: 2048, preallocate: false, clock });
  const added = Array.from({ length: 30 }, (_, i) => new Uint8Array(50 + i).fill(i));
  for (const payload of added) await log.append(payload);
  await log.close();
  const reader = await openReader({ dir });
  const first = V1_LOG_FIXTURE.records;
  t.deepEqual(await reader.get(first + 29), added[29]);
  t.deepEqual(await reader.get(first - 1), v1FixturePayload(first - 1));
  const times: Array<number | undefined> = [];
  for await (const record of reader.read({ from: first - 2 })) times.push(record.appendTimeMs);
  t.deepEqual(times, [undefined, undefined, ...added.map(() => WALL_MS)]);
  await reader.close();
});

test('once batches are known to be large, a batch head is read one block at a time, not 64 KiB', async (t) => {
  const io = new CountingIO();
  const dir = '/two';
  const log = await openLog({ dir, io: io.sim, preallocate: false });
  for (let run = 0; run < 2; run++) {
    await log.appendMany(Array.from({ length: RECORDS }, (_, i) => payloadOf(run * RECORDS + i)));
  }
  t.is(log.metrics().batches, 2);
  await log.close();
  const reader = await openReader({ dir, io });
  t.deepEqual(await reader.get(10), payloadOf(10));
  const before = io.counters.segmentReadBytes;
  t.deepEqual(await reader.get(RECORDS + 10), payloadOf(RECORDS + 10));
  const read = io.counters.segmentReadBytes - before;
  // One 4 KiB block for the header, the table (12 bytes per 16 KiB chunk), one chunk.
  t.true(read <= 4 * KiB + 2 * KiB + limits.batchChunkBytes, `the second batch's first get read ${read} bytes`);
  await reader.close();
});
