/**
 * One job: `log.truncateAfter` (issue 12): cuts inside a batch, at a batch and at a segment
 * boundary, down to an empty log; reused offsets; appends made while it runs; bad input; and
 * crash safety on the simulator: power is cut at random points of a truncation, and the reopened
 * log keeps every acknowledged record below the truncation point and ends either where it was
 * (the truncation never became durable) or exactly at the point (finished by the open).
 */
import test from 'ava';
import { join } from 'node:path';
import { HEAD_FILE_BYTES, HEAD_FILE_NAME, decodeHead } from '@seglog/format';
import { Prng, readLog, SimFileIO } from '@seglog/testkit';
import { ErrorCodes, isSeglogError } from '@seglog/types';
import { openLog } from '../src/index.js';
import { appendRun, firstWrongOffset, payloadAt, segmentBases } from './helpers/offset-records.js';

async function headOf(io: SimFileIO, dir: string) {
  const handle = await io.open(join(dir, HEAD_FILE_NAME), 'read');
  const bytes = new Uint8Array(HEAD_FILE_BYTES);
  await handle.read(bytes, 0);
  await handle.close();
  return decodeHead(bytes, 'HEAD')!;
}

type Asserts = { deepEqual: (a: unknown, b: unknown, message?: string) => void };

async function expectRecords(t: Asserts, io: SimFileIO, dir: string, expected: Uint8Array[]): Promise<void> {
  const read = await readLog(io, dir);
  t.deepEqual(read.payloads, expected);
}

test('truncateAfter inside a batch keeps the records before it, reuses the offsets, and survives a reopen', async (t) => {
  const io = new SimFileIO({ seed: 51 });
  const log = await openLog({ dir: '/ta', io, blockBytes: 512, segmentBytes: 4096 });
  for (let i = 0; i < 30; i++) await appendRun(log, 5);
  const segmentsBefore = await segmentBases(io, '/ta');
  const cutAt = 72; // inside the batch [70, 75)
  const epoch = log.truncateEpoch;
  const result = await log.truncateAfter(cutAt);
  t.deepEqual(result, { nextOffset: cutAt, recordsDropped: 150 - cutAt, truncateEpoch: epoch + 1 });
  t.is(log.nextOffset, cutAt);
  t.is(log.durableOffset, cutAt);
  t.is(log.truncatedAt, cutAt);
  t.true((await segmentBases(io, '/ta')).length < segmentsBefore.length, 'segments above the cut are gone');
  t.is(await appendRun(log, 3, 1), cutAt, 'the offsets are handed out again');
  const kept = Array.from({ length: cutAt }, (_, i) => payloadAt(i));
  const expected = [...kept, ...[0, 1, 2].map((i) => payloadAt(cutAt + i, 1))];
  await expectRecords(t, io, '/ta', expected);
  t.is(log.metrics().retention.recordsTruncated, 150 - cutAt);
  await log.close();
  const again = await openLog({ dir: '/ta', io, blockBytes: 512 });
  t.is(again.nextOffset, cutAt + 3);
  t.is(again.truncateEpoch, epoch + 1);
  t.is((await headOf(io, '/ta')).pendingTruncation, null);
  await again.close();
  await expectRecords(t, io, '/ta', expected);
});

test('truncateAfter at a segment base, at a batch start, at the first offset (empty log) and at the end', async (t) => {
  const io = new SimFileIO({ seed: 52 });
  const log = await openLog({ dir: '/tb', io, blockBytes: 512, segmentBytes: 4096 });
  for (let i = 0; i < 30; i++) await appendRun(log, 5);
  const segments = await segmentBases(io, '/tb');
  const atBase = segments[segments.length - 2]!;
  await log.truncateAfter(atBase);
  t.is(log.nextOffset, atBase);
  t.is((await segmentBases(io, '/tb')).at(-1)! < atBase, true, 'the segment starting at the cut is gone');
  await log.truncateAfter(50); // a batch start
  t.is(log.nextOffset, 50);
  t.deepEqual(await log.truncateAfter(50), { nextOffset: 50, recordsDropped: 0, truncateEpoch: log.truncateEpoch }, 'at the end: nothing');
  await log.truncateBefore(20);
  const below = await t.throwsAsync(log.truncateAfter(10));
  t.true(isSeglogError(below, ErrorCodes.OUT_OF_RANGE), 'below the low-water mark');
  const past = await t.throwsAsync(log.truncateAfter(51));
  t.true(isSeglogError(past, ErrorCodes.OUT_OF_RANGE));
  const bad = await t.throwsAsync(log.truncateAfter(-1));
  t.true(isSeglogError(bad, ErrorCodes.INVALID_OPTION));
  await log.truncateAfter(20);
  t.is(log.nextOffset, 20, 'everything truncated');
  await log.close();
  const again = await openLog({ dir: '/tb', io, blockBytes: 512 });
  t.is(again.nextOffset, 20, 'an empty log reopens with its next offset');
  t.is(again.firstOffset, 20);
  t.is(await again.append(payloadAt(20, 2)), 20);
  await again.close();
  const closed = await t.throwsAsync(again.truncateAfter(20));
  t.true(isSeglogError(closed, ErrorCodes.CLOSED));
});

test('appends made while truncateAfter runs wait for it and get the offsets after the cut', async (t) => {
  const io = new SimFileIO({ seed: 53 });
  const log = await openLog({ dir: '/tc', io, blockBytes: 512, segmentBytes: 4096 });
  for (let i = 0; i < 20; i++) await appendRun(log, 5);
  const truncating = log.truncateAfter(40);
  const payload = payloadAt(40, 3);
  const appended = log.append(payload);
  payload.fill(0xee); // the caller may reuse its buffer at once
  await truncating;
  t.is(await appended, 40);
  const read = await readLog(io, '/tc');
  t.deepEqual(read.payloads[40], payloadAt(40, 3));
  t.is(read.payloads.length, 41);
  await log.close();
});

test('a crash at any point of a truncateAfter keeps every record below the cut and ends at the cut or where it was', async (t) => {
  let finished = 0;
  let finishedByOpen = 0;
  let undone = 0;
  for (let seed = 1; seed <= 60; seed++) {
    const prng = new Prng(seed);
    const sim = new SimFileIO({ seed });
    const log = await openLog({ dir: '/crash', io: sim.boot(), blockBytes: 512, segmentBytes: 4096 });
    for (let i = 0; i < 25; i++) await appendRun(log, 1 + prng.int(0, 6));
    const end = log.durableOffset;
    const cutAt = prng.int(0, end);
    let resolved = false;
    void log.truncateAfter(cutAt).then(
      () => void (resolved = true),
      () => undefined,
    );
    const turns = prng.int(0, seed % 3 === 0 ? 20 : 400);
    for (let turn = 0; turn < turns; turn++) await new Promise((resolve) => setImmediate(resolve));
    sim.crash(prng);
    const again = await openLog({ dir: '/crash', io: sim.boot(), blockBytes: 512 });
    const reopenedEnd = again.nextOffset;
    if (resolved) finished++;
    else if (reopenedEnd === cutAt && cutAt < end) finishedByOpen++;
    else if (cutAt < end) undone++;
    t.true(reopenedEnd === cutAt || (!resolved && reopenedEnd === end), `seed ${seed}: ends at ${reopenedEnd}, cut ${cutAt}, was ${end}`);
    await again.close();
    const read = await readLog(sim.boot(), '/crash');
    t.is(firstWrongOffset(read.payloads, 0, 0, reopenedEnd), undefined, `seed ${seed}: every record reads back as appended`);
    t.is(read.payloads.length, reopenedEnd, `seed ${seed}: nothing past the end`);
  }
  t.log(`of 60: ${finished} resolved before the crash, ${finishedByOpen} finished by the open, ${undone} never durable`);
  t.true(finished > 0 && finishedByOpen > 0 && undone > 0, 'every kind of crash was hit');
});
