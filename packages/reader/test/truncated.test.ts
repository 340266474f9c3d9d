/**
 * One job: readers and followers across `log.truncateAfter` (issue 12): one that had returned
 * records the truncation took back gets SEGLOG_TRUNCATED carrying the new end, in the writer's
 * process (`durable: log`) and through HEAD (any process); one that had not read past the cut goes
 * on and sees the records appended at the reused offsets; `get` sees the new records too.
 */
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { openLog, type Log } from '@seglog/store';
import { HEAD_FILE_BYTES, HEAD_FILE_NAME, decodeHead, encodeHeadSlot, headSlotPosition } from '@seglog/format';
import { SimFileIO } from '@seglog/testkit';
import { ErrorCodes, isSeglogError, type FileIO, type LogRecord } from '@seglog/types';
import { openReader } from '../src/index.js';
import type { Reader } from '../src/index.js';

function payload(offset: number, generation: number): Uint8Array {
  return new TextEncoder().encode(`record ${offset} generation ${generation}`.padEnd(120, '.'));
}

async function appendRange(log: Log, count: number, generation: number): Promise<void> {
  for (let i = 0; i < count; i++) await log.append(payload(log.nextOffset, generation));
}

async function take(iterator: AsyncIterator<LogRecord>, count: number): Promise<LogRecord[]> {
  const records: LogRecord[] = [];
  for (let i = 0; i < count; i++) {
    const result = await iterator.next();
    if (result.done === true) throw new Error('the iteration ended');
    records.push(result.value);
  }
  return records;
}

/**
 * The end a reader learns through HEAD once the writer has caught it up: HEAD is written after the
 * batches it announces are durable, so right after an append resolves it may still say a little
 * less (a lower bound, never more). Polls a few turns for `expected`; every end seen on the way
 * must be at most that, or the reader saw records that are not there.
 */
async function settledEnd(t: ExecutionContext, reader: Reader, expected: number): Promise<number> {
  let end = await reader.endOffset();
  for (let turn = 0; end < expected && turn < 1000; turn++) {
    await new Promise((resolve) => setImmediate(resolve));
    end = await reader.endOffset();
  }
  t.true(end <= expected, `the end ${end} is never past ${expected}`);
  return end;
}

for (const where of ['in the writer process (durable: log)', 'through HEAD']) {
  test(`a follower past the cut gets SEGLOG_TRUNCATED with the new end, ${where}`, async (t) => {
    const io = new SimFileIO({ seed: 61 });
    const log = await openLog({ dir: '/t', io, blockBytes: 512, segmentBytes: 8192 });
    await appendRange(log, 60, 0);
    const reader = await openReader(where.startsWith('in') ? { dir: '/t', io, durable: log } : { dir: '/t', io });
    const ahead = reader.read({ from: 0, follow: true })[Symbol.asyncIterator]();
    const behind = reader.read({ from: 0, follow: true })[Symbol.asyncIterator]();
    await take(ahead, 50); // returned [0, 50): past the cut at 40
    await take(behind, 30); // returned [0, 30): before it
    await log.truncateAfter(40);
    await appendRange(log, 30, 1); // offsets 40..69 again, other records
    const error = await t.throwsAsync(take(ahead, 20));
    t.true(isSeglogError(error, ErrorCodes.TRUNCATED), String(error));
    t.is(isSeglogError(error) ? error.endOffset : -1, 40, 'the error carries where the log was cut');
    const rest = await take(behind, 40);
    t.deepEqual(rest.map((record) => record.offset), Array.from({ length: 40 }, (_, i) => 30 + i));
    t.deepEqual(rest[15]!.payload, payload(45, 1), 'past the cut it reads the new records');
    t.deepEqual(rest[5]!.payload, payload(35, 0), 'before it the old ones');
    t.deepEqual(await reader.get(41), payload(41, 1), 'get sees the new record at a reused offset');
    t.is(await reader.endOffset(), 70);
    await behind.return?.();
    await reader.close();
    await log.close();
  });
}

test('a reader that learned an end past a cut, then opens the cut file, ends at the cut instead of SEGLOG_CORRUPT', async (t) => {
  const io = new SimFileIO({ seed: 64 });
  const log = await openLog({ dir: '/t', io, blockBytes: 512, segmentBytes: 1024 * 1024 });
  await appendRange(log, 600, 0);
  // The reader learns the end (600) from HEAD; once it reads the segment past block 200 (it reads
  // 64 KiB at a time), the segment is cut in place at record 300 (one 512-byte batch per record).
  let cut: Promise<unknown> | null = null;
  const cutting: FileIO = {
    open: async (path, mode) => {
      const handle = await io.open(path, mode);
      if (!path.endsWith('.seg')) return handle;
      const read = async (buffer: Uint8Array, at: number): Promise<number> => {
        if (at >= 200 * 512) await (cut ??= log.truncateAfter(300));
        return handle.read(buffer, at);
      };
      return { ...handle, path: handle.path, read, close: () => handle.close(), sizeBytes: () => handle.sizeBytes() };
    },
    mkdirp: (dir) => io.mkdirp(dir),
    readdir: (dir) => io.readdir(dir),
    stat: (path) => io.stat(path),
    rename: (source, target) => io.rename(source, target),
    unlink: (path) => io.unlink(path),
    syncDir: (dir) => io.syncDir(dir),
    lock: (dir) => io.lock(dir),
  };
  const reader = await openReader({ dir: '/t', io: cutting });
  const offsets: number[] = [];
  for await (const record of reader.read({ from: 0 })) {
    offsets.push(record.offset);
    t.deepEqual(record.payload, payload(record.offset, 0));
  }
  t.not(cut, null, 'the cut happened while the reader read');
  t.deepEqual(offsets, Array.from({ length: 300 }, (_, i) => i), 'every record below the cut, none past it');
  t.is(await reader.endOffset(), 300);
  await reader.close();
  await log.close();
});

test('a bounded read and a new reader after a truncation see only the new records', async (t) => {
  const io = new SimFileIO({ seed: 62 });
  const log = await openLog({ dir: '/b', io, blockBytes: 512, segmentBytes: 8192 });
  await appendRange(log, 50, 0);
  const reader = await openReader({ dir: '/b', io });
  t.deepEqual(await reader.get(45), payload(45, 0));
  await log.truncateAfter(20);
  await appendRange(log, 5, 1);
  t.is(await settledEnd(t, reader, 25), 25);
  t.deepEqual(await reader.get(22), payload(22, 1), 'the cached batch of the old record is not used');
  const all: LogRecord[] = [];
  for await (const record of reader.read({ from: 0 })) all.push(record);
  t.is(all.length, 25);
  t.deepEqual(all[24]!.payload, payload(24, 1));
  const late = await t.throwsAsync(reader.get(30));
  t.true(isSeglogError(late, ErrorCodes.OUT_OF_RANGE));
  await reader.close();
  await log.close();
});

// Regression: found by follow-process.test.ts (a writer SIGKILLed during a truncateAfter). A reader
// that read HEAD while the truncation was only announced (pending kind 1) filled its caches from the
// uncut files under the epoch the finished truncation keeps, so it never dropped them: the next open
// cut the files and removed later segments, and the reader met SEGLOG_CORRUPT (or stale records).
test('caches filled while a truncateAfter is announced but not carried out are dropped once it is', async (t) => {
  const io = new SimFileIO({ seed: 63 });
  const dir = '/pending';
  const log = await openLog({ dir, io, blockBytes: 512, segmentBytes: 4096 });
  await appendRange(log, 120, 0);
  const end = log.nextOffset;
  await log.close();
  // What a writer killed right after step 1 of truncateAfter leaves: HEAD says "cut at 30", pending.
  const cut = 30;
  const headPath = `${dir}/${HEAD_FILE_NAME}`;
  const handle = await io.open(headPath, 'write');
  const bytes = new Uint8Array(HEAD_FILE_BYTES);
  await handle.read(bytes, 0);
  const state = decodeHead(bytes, headPath)!;
  const pending = { ...state, seq: state.seq + 1, pendingTruncation: { kind: 1 as const, offset: cut } };
  await handle.writev([encodeHeadSlot(pending)], headSlotPosition(pending.seq));
  await handle.close();
  const reader = await openReader({ dir, io });
  t.teardown(() => reader.close());
  t.is(await reader.endOffset(), cut, 'the announced cut ends the visible log at once');
  const before = [];
  for await (const record of reader.read({ from: 0 })) before.push(record.offset);
  t.is(before.length, cut);
  // The next open finishes the truncation; later appends reuse the offsets, in new segments.
  const reopened = await openLog({ dir, io, blockBytes: 512, segmentBytes: 4096 });
  t.is(reopened.nextOffset, cut);
  await appendRange(reopened, end - cut + 40, 1);
  t.is(await settledEnd(t, reader, end + 40), end + 40, 'the end is learned from the cut files, not the cached ones');
  for await (const record of reader.read({ from: cut - 2 })) {
    const generation = record.offset < cut ? 0 : 1;
    t.deepEqual(record.payload, payload(record.offset, generation), `offset ${record.offset}`);
  }
  await reopened.close();
});

// Regression: found by follow-process.test.ts under load ("no valid batch with first offset 228 ...
// (end-of-bytes), but the writer reports offsets below 234 durable"). A truncateAfter whose cut falls
// inside a batch copies that batch's kept records to truncate.seg.tmp, cuts the old segment at the
// batch, then renames the copy (store tail-truncation.ts, step 2). Between the cut and the rename
// (for as long as the next open takes, if the writer was killed there) the chain ends at the
// batch's first offset, below the announced cut that HEAD's pending truncation makes the visible
// end: a gap the writer made on purpose, not corruption.
test('a reader between the cut and the rename of a split batch sees the end there, not corruption', async (t) => {
  const sim = new SimFileIO({ seed: 64 });
  const dir = '/split';
  const log = await openLog({ dir, io: sim.boot(), blockBytes: 512, segmentBytes: 1 << 20 });
  for (let batch = 0; batch < 10; batch++) {
    await log.appendMany(Array.from({ length: 10 }, (_, i) => payload(batch * 10 + i, 0)));
  }
  // The writer dies at the rename: everything before it was made durable (flushed, directory synced).
  const cut = 45; // inside the batch [40, 50)
  const renameDies = new Proxy(sim.boot(), {
    get(target, property, receiver) {
      if (property === 'rename') return () => Promise.reject(new Error('killed before the rename'));
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  await log.close();
  const dying = await openLog({ dir, io: renameDies, blockBytes: 512, segmentBytes: 1 << 20 });
  await t.throwsAsync(dying.truncateAfter(cut));
  t.true((await sim.readdir(dir)).includes('truncate.seg.tmp'), 'stopped between the cut and the rename');
  sim.crash({});
  const io = sim.boot();
  const reader = await openReader({ dir, io });
  t.teardown(() => reader.close());
  t.is(await reader.endOffset(), 40, 'the chain ends at the split batch');
  const before: number[] = [];
  for await (const record of reader.read({ from: 0 })) before.push(record.offset);
  t.deepEqual(before, Array.from({ length: 40 }, (_, i) => i));
  const follower = reader.read({ from: 0, follow: true })[Symbol.asyncIterator]();
  const early = await take(follower, 40);
  t.is(early.at(-1)!.offset, 39);
  // The next open finishes the truncation: the kept records [40, 45) are there again, then new ones.
  const reopened = await openLog({ dir, io, blockBytes: 512, segmentBytes: 1 << 20 });
  t.is(reopened.nextOffset, cut);
  await appendRange(reopened, 5, 1);
  const rest = await take(follower, 10);
  t.deepEqual(rest.map((record) => record.offset), Array.from({ length: 10 }, (_, i) => 40 + i));
  t.deepEqual(rest[2]!.payload, payload(42, 0), 'below the cut: the kept record');
  t.deepEqual(rest[7]!.payload, payload(47, 1), 'from the cut on: the new record');
  await follower.return?.();
  await reopened.close();
});

// The same window for a reader in the writer's process (`durable: log`): the log keeps its old
// `durableOffset` until the cut log is reopened, so without its `pendingTruncation` the reader took
// the chain's end at the split batch for corruption (SEGLOG_CORRUPT) while the rename was pending.
test('an in-process reader between the cut and the rename of a split batch sees the end there, not corruption', async (t) => {
  const sim = new SimFileIO({ seed: 65 });
  const dir = '/split-in-process';
  let reachRename = (): void => undefined;
  const reached = new Promise<void>((resolve) => (reachRename = resolve));
  let releaseRename = (): void => undefined;
  const released = new Promise<void>((resolve) => (releaseRename = resolve));
  // The rename of the split batch's copy waits until the reader has read.
  const io = new Proxy(sim.boot(), {
    get(target, property, receiver) {
      if (property === 'rename') {
        return async (source: string, destination: string): Promise<void> => {
          if (source.endsWith('truncate.seg.tmp')) {
            reachRename();
            await released;
          }
          await target.rename(source, destination);
        };
      }
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  const log = await openLog({ dir, io, blockBytes: 512, segmentBytes: 1 << 20 });
  t.teardown(() => log.close());
  for (let batch = 0; batch < 10; batch++) {
    await log.appendMany(Array.from({ length: 10 }, (_, i) => payload(batch * 10 + i, 0)));
  }
  const reader = await openReader({ dir, io, durable: log });
  t.teardown(() => reader.close());
  const cut = 45; // inside the batch [40, 50)
  const truncating = log.truncateAfter(cut);
  await reached;
  const follower = reader.read({ from: 0, follow: true })[Symbol.asyncIterator]();
  try {
    t.true((await sim.readdir(dir)).includes('truncate.seg.tmp'), 'paused between the cut and the rename');
    t.is(log.durableOffset, 100, 'the log still reports its old end');
    t.is(log.pendingTruncation, cut);
    const before: number[] = [];
    for await (const record of reader.read({ from: 0 })) before.push(record.offset);
    t.deepEqual(before, Array.from({ length: 40 }, (_, i) => i), 'the chain ends at the split batch');
    t.is(await reader.endOffset(), 40);
    const early = await take(follower, 40);
    t.is(early.at(-1)!.offset, 39);
  } finally {
    releaseRename(); // also when the reader failed: the log's close waits for the truncation
  }
  t.is((await truncating).nextOffset, cut);
  t.is(log.pendingTruncation, undefined);
  await appendRange(log, 5, 1);
  const rest = await take(follower, 10);
  t.deepEqual(rest.map((record) => record.offset), Array.from({ length: 10 }, (_, i) => 40 + i));
  t.deepEqual(rest[2]!.payload, payload(42, 0), 'below the cut: the kept record');
  t.deepEqual(rest[7]!.payload, payload(47, 1), 'from the cut on: the new record');
  await follower.return?.();
  const after: number[] = [];
  for await (const record of reader.read({ from: 0 })) after.push(record.offset);
  t.deepEqual(after, Array.from({ length: 50 }, (_, i) => i));
});
