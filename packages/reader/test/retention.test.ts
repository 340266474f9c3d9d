/**
 * One job: what readers see of retention (issue 12): the low-water mark from HEAD or the log,
 * SEGLOG_BEHIND_RETENTION carrying the first offset, and `onBehind: 'skip'` reported as a gap,
 * for a reader that starts below the mark and for a follower that falls below it.
 */
import test from 'ava';
import { openLog, type Log } from '@seglog/store';
import { SimFileIO } from '@seglog/testkit';
import { ErrorCodes, isSeglogError, type LogRecord, type SeglogError } from '@seglog/types';
import { openReader } from '../src/index.js';

/** The offset of the next record, failing if the iteration ended instead. */
async function nextOffset(iterator: AsyncIterator<LogRecord>): Promise<number> {
  const result = await iterator.next();
  if (result.done === true) throw new Error('the iteration ended');
  return result.value.offset;
}

async function fill(log: Log, records: number): Promise<void> {
  for (let i = 0; i < records; i += 5) {
    const first = log.nextOffset;
    await log.appendMany(Array.from({ length: 5 }, (_, j) => new TextEncoder().encode(`record ${first + j}`.padEnd(60, '.'))));
  }
}

for (const via of ['HEAD', 'log'] as const) {
  test(`below the low-water mark (${via}): BEHIND_RETENTION with the first offset, or skip reported as a gap`, async (t) => {
    const io = new SimFileIO({ seed: via === 'HEAD' ? 51 : 52 });
    const log = await openLog({ dir: '/r', io, blockBytes: 512, segmentBytes: 4096 });
    await fill(log, 300);
    const reader = await openReader(via === 'HEAD' ? { dir: '/r', io } : { dir: '/r', io, durable: log });
    t.is(await nextOffset(reader.read({ from: 0, to: 2 })), 0, 'the reader has the first segment open');
    const mark = 137;
    const { segmentsDropped } = await log.truncateBefore(mark);
    t.true(segmentsDropped > 0);
    t.is(await reader.firstOffset(), mark, 'firstOffset is the mark, inside a segment');
    const error = await t.throwsAsync(reader.read({ from: 3 }).next());
    t.true(isSeglogError(error, ErrorCodes.BEHIND_RETENTION));
    t.is((error as SeglogError).firstOffset, mark);
    t.regex(error.message, /offset 3 is below the log's first offset 137/);
    const get = await t.throwsAsync(reader.get(mark - 1));
    t.true(isSeglogError(get, ErrorCodes.BEHIND_RETENTION));
    t.is(new TextDecoder().decode(await reader.get(mark)).replace(/\.+$/, ''), `record ${mark}`);
    const gaps: unknown[] = [];
    const seen: number[] = [];
    for await (const record of reader.read({ from: 3, onBehind: 'skip', onGap: (gap) => gaps.push(gap) })) seen.push(record.offset);
    t.deepEqual(gaps, [{ fromOffset: 3, toOffset: mark }]);
    t.deepEqual(seen, Array.from({ length: 300 - mark }, (_, i) => mark + i));
    await reader.close();
    await log.close();
  });
}

test('a follower that falls below the mark gets BEHIND_RETENTION, or with skip goes on from the first offset', async (t) => {
  const io = new SimFileIO({ seed: 53 });
  const log = await openLog({ dir: '/slow', io, blockBytes: 512, segmentBytes: 4096 });
  await fill(log, 300);
  // One handle: the reader keeps no dropped segment open beyond the one it is in, so it must fall
  // behind. (With more handles it may finish reading dropped segments it still has open: allowed.)
  const reader = await openReader({ dir: '/slow', io, cacheHandles: 1 });
  for (const onBehind of ['error', 'skip'] as const) {
    const seen: number[] = [];
    const gaps: { fromOffset: number; toOffset: number }[] = [];
    const onGap = (gap: { fromOffset: number; toOffset: number }): number => gaps.push(gap);
    const signal = AbortSignal.timeout(5000);
    const iterator = reader.read({ from: log.firstOffset, follow: true, onBehind, onGap, signal });
    for (let i = 0; i < 3; i++) seen.push(await nextOffset(iterator));
    const mark = log.firstOffset + 200;
    await log.truncateBefore(mark);
    if (onBehind === 'error') {
      const error = await (async () => {
        for (;;) seen.push(await nextOffset(iterator));
      })().catch((caught: unknown) => caught);
      t.true(isSeglogError(error, ErrorCodes.BEHIND_RETENTION), String(error));
      t.is((error as SeglogError).firstOffset, mark);
    } else {
      while (seen[seen.length - 1]! < log.durableOffset - 1) seen.push(await nextOffset(iterator));
      await iterator.return?.();
      t.is(gaps.length, 1);
      t.is(gaps[0]!.toOffset, mark);
      t.true(seen.includes(mark), 'went on at the mark');
    }
    t.deepEqual(seen, [...seen].sort((a, b) => a - b), 'in order, each once');
    t.is(new Set(seen).size, seen.length);
    await fill(log, 300); // more to drop for the next round
  }
  await reader.close();
  await log.close();
});

test('bad onBehind and onGap are SEGLOG_INVALID_OPTION', async (t) => {
  const io = new SimFileIO({ seed: 54 });
  const log = await openLog({ dir: '/m', io, blockBytes: 512 });
  const reader = await openReader({ dir: '/m', io });
  t.throws(() => reader.read({ from: 0, onBehind: 'clamp' as never }), { message: /onBehind must be 'error' or 'skip', got string "clamp"/ });
  t.throws(() => reader.read({ from: 0, onGap: 5 as never }), { message: /onGap must be a function, got number 5/ });
  await reader.close();
  await log.close();
});
