/**
 * One job: the `firstOffset` option: a new log that starts at an offset above 0 (a restore of a
 * copy that had lost its start to retention keeps the original offsets this way), kept across
 * reopens and crashes, and refused on an existing log that cannot have been created with it.
 */
import test from 'ava';
import { Prng, readLog, SimFileIO } from '@seglog/testkit';
import { ErrorCodes, isSeglogError } from '@seglog/types';
import { openLog } from '../src/index.js';
import { appendRun, firstWrongOffset, payloadAt, segmentBases } from './helpers/offset-records.js';

const START = 1_000_003;

test('a new log opened with firstOffset starts there, empty, and keeps it across a reopen without the option', async (t) => {
  const io = new SimFileIO({ seed: 7 });
  const log = await openLog({ dir: '/fo', io, firstOffset: START });
  t.is(log.firstOffset, START);
  t.is(log.nextOffset, START);
  t.is(log.durableOffset, START);
  await log.close();
  t.deepEqual(await segmentBases(io, '/fo'), [START], 'the first segment is named for its base offset');
  const empty = await openLog({ dir: '/fo', io });
  t.is(empty.firstOffset, START, 'an empty log keeps its start');
  t.is(empty.nextOffset, START);
  t.is(await empty.append(payloadAt(START)), START, 'the first record gets firstOffset');
  await empty.close();
});

test('records appended to a log that starts at firstOffset keep their offsets across segment rolls and reopens', async (t) => {
  const io = new SimFileIO({ seed: 8 });
  const log = await openLog({ dir: '/fo', io, firstOffset: START, blockBytes: 512, segmentBytes: 4096 });
  for (let i = 0; i < 40; i++) t.is(await appendRun(log, 5), START + 5 * i);
  await log.close();
  t.true((await segmentBases(io, '/fo')).length > 3, 'several segments');
  const again = await openLog({ dir: '/fo', io, firstOffset: START, blockBytes: 512 });
  t.is(again.firstOffset, START);
  t.is(again.nextOffset, START + 200);
  await again.close();
  const read = await readLog(io, '/fo', { firstOffset: START });
  t.is(read.payloads.length, 200);
  for (let i = 0; i < 200; i++) t.deepEqual(read.payloads[i], payloadAt(START + i));
});

test('firstOffset below the start cannot be truncated to: truncateAfter and truncateBefore answer SEGLOG_OUT_OF_RANGE or nothing', async (t) => {
  const io = new SimFileIO({ seed: 9 });
  const log = await openLog({ dir: '/fo', io, firstOffset: START });
  await appendRun(log, 10);
  const below = await log.truncateAfter(START - 1).catch((error: unknown) => error);
  t.true(isSeglogError(below) && below.code === ErrorCodes.OUT_OF_RANGE, 'no truncation below the start');
  t.is((await log.truncateBefore(START - 1)).firstOffset, START, 'a mark below the start changes nothing');
  await log.truncateAfter(START);
  t.is(log.nextOffset, START, 'truncating every record leaves the log empty at its start');
  await log.close();
  const again = await openLog({ dir: '/fo', io });
  t.is(again.firstOffset, START);
  t.is(again.nextOffset, START);
  await again.close();
});

test('a bad firstOffset, or one an existing log cannot have been created with, is SEGLOG_INVALID_OPTION', async (t) => {
  const io = new SimFileIO({ seed: 10 });
  for (const bad of [-1, 1.5, Number.MAX_SAFE_INTEGER + 2, '5', null]) {
    const error = await openLog({ dir: '/bad', io, firstOffset: bad as number }).catch((caught: unknown) => caught);
    t.true(isSeglogError(error) && error.code === ErrorCodes.INVALID_OPTION && /firstOffset/.test(error.message), `firstOffset ${String(bad)}`);
  }
  const log = await openLog({ dir: '/fo', io, firstOffset: 100 });
  await appendRun(log, 3);
  await log.close();
  const above = await openLog({ dir: '/fo', io, firstOffset: 101 }).catch((error: unknown) => error);
  t.true(isSeglogError(above) && above.code === ErrorCodes.INVALID_OPTION && /starts at 100/.test(above.message));
  const lower = await openLog({ dir: '/fo', io, firstOffset: 50 });
  t.is(lower.firstOffset, 100, 'an existing log keeps its offsets');
  await lower.close();
});

test('a crash at any point while a log that starts at firstOffset is created and written loses no acknowledged record', async (t) => {
  for (let seed = 1; seed <= 40; seed++) {
    const prng = new Prng(seed);
    const sim = new SimFileIO({ seed });
    let acknowledgedEnd = START;
    const writer = (async () => {
      const log = await openLog({ dir: '/crash', io: sim.boot(), firstOffset: START, blockBytes: 512, segmentBytes: 4096 });
      for (;;) {
        const count = 1 + prng.int(0, 6);
        const first = await appendRun(log, count);
        acknowledgedEnd = first + count;
      }
    })().catch(() => undefined);
    const turns = prng.int(0, 200);
    for (let turn = 0; turn < turns; turn++) await new Promise((resolve) => setImmediate(resolve));
    sim.crash(prng);
    await writer;
    const again = await openLog({ dir: '/crash', io: sim.boot(), firstOffset: START, blockBytes: 512 });
    t.is(again.firstOffset, START, `seed ${seed}: the log still starts at firstOffset`);
    t.true(again.nextOffset >= acknowledgedEnd, `seed ${seed}: every acknowledged record survived (${again.nextOffset} >= ${acknowledgedEnd})`);
    await again.close();
    const read = await readLog(sim.boot(), '/crash', { firstOffset: START });
    t.is(firstWrongOffset(read.payloads, START, START, acknowledgedEnd), undefined, `seed ${seed}: every record reads back as appended`);
  }
});
