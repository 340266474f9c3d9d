/**
 * One job: retention holds (issue 12): set, move, release and list them from any process (here:
 * without the log open, and beside it), `truncateBefore` stopping at the lowest hold unless
 * forced, what a forced drop reports, bad input, a damaged hold, and the drop intent that closes
 * the race between a hold setter and a writer dropping at the same moment.
 */
import test from 'ava';
import { join } from 'node:path';
import { HEAD_FILE_BYTES, HEAD_FILE_NAME, decodeHead, encodeHoldRecord, decodeHoldRecord } from '@seglog/format';
import { SimFileIO } from '@seglog/testkit';
import { ErrorCodes, isSeglogError } from '@seglog/types';
import { listRetentionHolds, openLog, releaseRetentionHold, setRetentionHold, type Log } from '../src/index.js';
import { appendRun } from './helpers/offset-records.js';

async function filledLog(io: SimFileIO, dir: string): Promise<Log> {
  const log = await openLog({ dir, io, blockBytes: 512, segmentBytes: 4096 });
  for (let i = 0; i < 40; i++) await appendRun(log, 5);
  return log;
}

test('a hold record round-trips; a damaged one decodes as null; bad names are refused', (t) => {
  const hold = { name: 'shipper-1.jetstream', offset: 12345, setAtMs: 1_700_000_000_000 };
  const bytes = encodeHoldRecord(hold);
  t.deepEqual(decodeHoldRecord(bytes, 'x'), hold);
  for (let i = 0; i < bytes.length; i += 7) {
    const damaged = bytes.slice();
    damaged[i]! ^= 0x10;
    t.is(decodeHoldRecord(damaged, 'x'), null, `a flipped bit at byte ${i} is caught`);
  }
  t.is(decodeHoldRecord(bytes.subarray(0, 100), 'x'), null, 'a short file is not a hold');
  for (const name of ['', '.hidden', 'a/b', 'x'.repeat(65), 'sp ace']) {
    t.throws(() => encodeHoldRecord({ ...hold, name }), { code: ErrorCodes.INVALID_OPTION });
  }
});

test('holds are set, moved, listed lowest first and released, durably, with or without the log open', async (t) => {
  const io = new SimFileIO({ seed: 7 });
  const log = await filledLog(io, '/h');
  t.deepEqual(await listRetentionHolds({ dir: '/h', io }), []);
  await setRetentionHold({ dir: '/h', io, name: 'b', offset: 50 });
  await setRetentionHold({ dir: '/h', io, name: 'a', offset: 80 });
  const moved = await setRetentionHold({ dir: '/h', io, name: 'a', offset: 30 });
  t.is(moved.offset, 30);
  t.deepEqual((await listRetentionHolds({ dir: '/h', io })).map((h) => [h.name, h.offset]), [['a', 30], ['b', 50]]);
  t.true(await releaseRetentionHold({ dir: '/h', io, name: 'a' }));
  t.false(await releaseRetentionHold({ dir: '/h', io, name: 'a' }), 'releasing twice says there was none');
  await log.close();
  // Power loss right after: the holds' files and renames were flushed.
  const rebooted = io.boot();
  t.deepEqual((await listRetentionHolds({ dir: '/h', io: rebooted })).map((h) => [h.name, h.offset]), [['b', 50]]);
  await setRetentionHold({ dir: '/h', io: rebooted, name: 'offline', offset: 60 }); // no log open
  const again = await openLog({ dir: '/h', io: rebooted, blockBytes: 512 });
  const result = await again.truncateBefore(100);
  t.is(result.firstOffset, 50, 'the lowest hold stops the drop');
  t.deepEqual(result.heldBy.map((h) => h.name), ['b', 'offline']);
  t.deepEqual(result.overriddenHolds, []);
  t.is(again.metrics().retention.heldBack, 1);
  await again.close();
});

test('truncateBefore stops at the lowest hold, goes past it with force and names what it overrode', async (t) => {
  const io = new SimFileIO({ seed: 8 });
  const log = await filledLog(io, '/f');
  await setRetentionHold({ dir: '/f', io, name: 'consumer', offset: 120 });
  const held = await log.truncateBefore(150);
  t.is(held.firstOffset, 120);
  t.deepEqual(held.heldBy.map((h) => [h.name, h.offset]), [['consumer', 120]]);
  const above = await log.truncateBefore(110);
  t.is(above.firstOffset, 120, 'a mark at or below the current one changes nothing');
  const forced = await log.truncateBefore(150, { force: true });
  t.is(forced.firstOffset, 150);
  t.deepEqual(forced.overriddenHolds.map((h) => [h.name, h.offset]), [['consumer', 120]]);
  t.deepEqual(forced.heldBy, []);
  t.is(log.firstOffset, 150);
  const retention = log.metrics().retention;
  t.is(retention.firstOffset, 150);
  t.is(retention.recordsDropped, 150);
  t.true(retention.segmentsDropped > 0 && retention.bytesDropped > 0);
  const bad = await t.throwsAsync(log.truncateBefore(160, { force: 'yes' as unknown as boolean }));
  t.true(isSeglogError(bad, ErrorCodes.INVALID_OPTION));
  // A hold set below the mark protects nothing any more: refused, and not left behind.
  const late = await t.throwsAsync(setRetentionHold({ dir: '/f', io, name: 'late', offset: 100 }));
  t.true(isSeglogError(late, ErrorCodes.BEHIND_RETENTION));
  t.is(isSeglogError(late) ? late.firstOffset : undefined, 150, 'the error carries the current first offset');
  t.false((await listRetentionHolds({ dir: '/f', io })).some((h) => h.name === 'late'));
  await log.close();
});

test('bad hold arguments are SEGLOG_INVALID_OPTION; a damaged hold file stops truncateBefore with SEGLOG_CORRUPT', async (t) => {
  const io = new SimFileIO({ seed: 9 });
  const log = await filledLog(io, '/d');
  for (const bad of [
    { dir: '/d', io, name: '../x', offset: 1 },
    { dir: '/d', io, name: 'ok', offset: -1 },
    { dir: '/d', io, name: 'ok', offset: 1.5 },
    { dir: '', io, name: 'ok', offset: 1 },
    { dir: '/nope', io, name: 'ok', offset: 1 },
  ]) {
    const error = await t.throwsAsync(setRetentionHold(bad));
    t.true(isSeglogError(error, ErrorCodes.INVALID_OPTION), JSON.stringify({ ...bad, io: undefined }));
  }
  await setRetentionHold({ dir: '/d', io, name: 'broken', offset: 10 });
  const path = join('/d', 'holds', 'broken.hold');
  const handle = await io.open(path, 'write');
  await handle.writev([new Uint8Array([0xff, 0xff])], 20);
  await handle.close();
  const listed = await t.throwsAsync(listRetentionHolds({ dir: '/d', io }));
  t.true(isSeglogError(listed, ErrorCodes.CORRUPT));
  const first = log.firstOffset;
  const stopped = await t.throwsAsync(log.truncateBefore(100));
  t.true(isSeglogError(stopped, ErrorCodes.CORRUPT), 'nothing is dropped past a hold that cannot be read');
  t.is(log.firstOffset, first);
  const head = await readHeadFile(io, '/d');
  t.is(head?.pendingTruncation, null, 'the drop intent was cleared');
  t.true(await releaseRetentionHold({ dir: '/d', io, name: 'broken' }));
  t.is((await log.truncateBefore(100)).firstOffset, 100);
  await log.close();
});

async function readHeadFile(io: SimFileIO, dir: string) {
  const handle = await io.open(join(dir, HEAD_FILE_NAME), 'read');
  const bytes = new Uint8Array(HEAD_FILE_BYTES);
  await handle.read(bytes, 0);
  await handle.close();
  return decodeHead(bytes, 'HEAD');
}

test('a hold set while a drop intent above it is pending waits for the commit, then is checked against it', async (t) => {
  const io = new SimFileIO({ seed: 10 });
  const log = await filledLog(io, '/r');
  // The writer records its intent, then reads the holds: a setter racing it must not win silently.
  const dropping = log.truncateBefore(150);
  const setting = setRetentionHold({ dir: '/r', io, name: 'racer', offset: 100 });
  const [dropped, set] = await Promise.allSettled([dropping, setting]);
  t.is(dropped.status, 'fulfilled');
  const mark = dropped.status === 'fulfilled' ? dropped.value.firstOffset : -1;
  if (set.status === 'fulfilled') {
    t.true(mark <= 100, `a hold that was set is honoured (mark ${mark})`);
  } else {
    t.true(isSeglogError(set.reason, ErrorCodes.BEHIND_RETENTION), 'or the setter is told the records are gone');
    t.is(mark, 150);
  }
  await log.close();
});

test('a drop intent left by a crash is cleared at the next open, dropping nothing', async (t) => {
  const io = new SimFileIO({ seed: 11 });
  const log = await filledLog(io, '/i');
  await log.close();
  // Write a HEAD slot with a pending kind-2 intent, as a writer that died between steps 1 and 3 leaves it.
  const head = (await readHeadFile(io, '/i'))!;
  const { encodeHeadSlot, headSlotPosition } = await import('@seglog/format');
  const next = { ...head, seq: head.seq + 1, pendingTruncation: { kind: 2 as const, offset: 150 } };
  const handle = await io.open(join('/i', HEAD_FILE_NAME), 'write');
  await handle.writev([encodeHeadSlot(next)], headSlotPosition(next.seq));
  await handle.datasync();
  await handle.close();
  const again = await openLog({ dir: '/i', io, blockBytes: 512 });
  t.is(again.firstOffset, 0, 'nothing was dropped');
  t.is((await readHeadFile(io, '/i'))?.pendingTruncation, null, 'the intent is gone');
  await again.close();
});
