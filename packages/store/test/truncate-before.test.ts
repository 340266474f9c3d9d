/**
 * One job: `log.truncateBefore` (issue 12 retention): the low-water mark, whole-segment drops, and
 * crash safety: the simulator cuts power at random points while a truncation and appends run
 * together, and the reopened log keeps every acknowledged record at or above its first offset.
 */
import test from 'ava';
import { Prng, readLog, SimFileIO } from '@seglog/testkit';
import { ErrorCodes, isSeglogError } from '@seglog/types';
import { openLog } from '../src/index.js';
import { appendRun, firstWrongOffset, payloadAt, segmentBases } from './helpers/offset-records.js';

test('truncateBefore drops whole segments below the mark, moves firstOffset inside a segment, and both survive a reopen', async (t) => {
  const io = new SimFileIO({ seed: 41 });
  const log = await openLog({ dir: '/tb', io, blockBytes: 512, segmentBytes: 4096 });
  for (let i = 0; i < 40; i++) await appendRun(log, 5);
  const before = await segmentBases(io, '/tb');
  t.true(before.length > 4, 'several segments');
  const mark = before[3]! + 2; // inside the fourth segment
  const result = await log.truncateBefore(mark);
  t.is(result.firstOffset, mark);
  t.is(result.segmentsDropped, 3);
  t.true(result.bytesDropped > 0);
  t.is(log.firstOffset, mark);
  t.deepEqual(await segmentBases(io, '/tb'), before.slice(3), 'the segments wholly below the mark are gone');
  t.false((await io.readdir('/tb')).some((name) => name === `${String(before[0]).padStart(20, '0')}.idx`), 'their indexes too');
  t.deepEqual(await log.truncateBefore(mark - 1), { firstOffset: mark, segmentsDropped: 0, bytesDropped: 0, heldBy: [], overriddenHolds: [] }, 'a lower mark changes nothing');
  const end = log.nextOffset;
  await log.close();
  const again = await openLog({ dir: '/tb', io, blockBytes: 512 });
  t.is(again.firstOffset, mark, 'the low-water mark is durable');
  t.is(again.nextOffset, end, 'nextOffset intact');
  await appendRun(again, 3);
  const read = await readLog(io, '/tb', { firstOffset: before[3]! });
  for (let offset = mark; offset < end + 3; offset++) {
    t.deepEqual(read.payloads[offset - before[3]!], payloadAt(offset));
  }
  await again.close();
});

test('truncateBefore past the durable end is SEGLOG_OUT_OF_RANGE, a bad offset SEGLOG_INVALID_OPTION, after close SEGLOG_CLOSED', async (t) => {
  const io = new SimFileIO({ seed: 42 });
  const log = await openLog({ dir: '/bad', io, blockBytes: 512 });
  await appendRun(log, 4);
  const past = await t.throwsAsync(log.truncateBefore(5));
  t.true(isSeglogError(past) && past.code === ErrorCodes.OUT_OF_RANGE);
  for (const bad of [-1, 1.5, '2']) {
    const error = await t.throwsAsync(log.truncateBefore(bad as number));
    t.true(isSeglogError(error) && error.code === ErrorCodes.INVALID_OPTION);
  }
  t.deepEqual(await log.truncateBefore(4), { firstOffset: 4, segmentsDropped: 0, bytesDropped: 0, heldBy: [], overriddenHolds: [] }, 'everything truncated: the last segment stays');
  await log.close();
  const closed = await t.throwsAsync(log.truncateBefore(4));
  t.true(isSeglogError(closed) && closed.code === ErrorCodes.CLOSED);
  const again = await openLog({ dir: '/bad', io, blockBytes: 512 });
  t.is(again.firstOffset, 4, 'an empty log (everything truncated) reopens with its offsets');
  t.is(again.nextOffset, 4);
  await again.close();
});

test('a crash at any point of a truncateBefore running with appends loses no acknowledged record at or above the first offset', async (t) => {
  let resolvedRuns = 0;
  for (let seed = 1; seed <= 60; seed++) {
    const prng = new Prng(seed);
    const sim = new SimFileIO({ seed });
    const log = await openLog({ dir: '/crash', io: sim.boot(), blockBytes: 512, segmentBytes: 4096 });
    for (let i = 0; i < 30; i++) await appendRun(log, 5);
    let acknowledgedEnd = log.durableOffset;
    const mark = prng.int(0, acknowledgedEnd);
    let truncated = false;
    void log.truncateBefore(mark).then(
      () => void (truncated = true),
      () => undefined,
    );
    let appending = true;
    const appender = (async () => {
      while (appending) {
        const count = 1 + prng.int(0, 6);
        const first = await appendRun(log, count).catch(() => null);
        if (first === null) return;
        acknowledgedEnd = Math.max(acknowledgedEnd, first + count);
      }
    })();
    const turns = prng.int(0, 40);
    for (let turn = 0; turn < turns; turn++) await new Promise((resolve) => setImmediate(resolve));
    sim.crash(prng);
    appending = false;
    await appender;
    const again = await openLog({ dir: '/crash', io: sim.boot(), blockBytes: 512 });
    t.true(again.firstOffset <= mark || again.firstOffset === 0, `seed ${seed}: first offset ${again.firstOffset} never above the mark ${mark}`);
    if (truncated) {
      resolvedRuns++;
      t.is(again.firstOffset, mark, `seed ${seed}: a resolved truncateBefore holds after the crash`);
      const bases = await segmentBases(sim, '/crash');
      t.true(bases.length === 1 || bases[1]! > mark, `seed ${seed}: no whole segment below the mark is left`);
    }
    t.true(again.nextOffset >= acknowledgedEnd, `seed ${seed}: every acknowledged record survived (${again.nextOffset} >= ${acknowledgedEnd})`);
    const bases = await segmentBases(sim, '/crash');
    const read = await readLog(sim.boot(), '/crash', { firstOffset: bases[0]! });
    const wrong = firstWrongOffset(read.payloads, bases[0]!, again.firstOffset, acknowledgedEnd);
    t.is(wrong, undefined, `seed ${seed}: every record reads back as appended`);
    await again.close();
  }
  t.true(resolvedRuns > 0, `some truncations completed before the crash (${resolvedRuns} of 60)`);
  t.log(`${resolvedRuns} of 60 crashes came after the truncation resolved`);
});
