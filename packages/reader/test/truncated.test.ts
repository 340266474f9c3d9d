/**
 * One job: readers and followers across `log.truncateAfter` (issue 12): one that had returned
 * records the truncation took back gets SEGLOG_TRUNCATED carrying the new end, in the writer's
 * process (`durable: log`) and through HEAD (any process); one that had not read past the cut goes
 * on and sees the records appended at the reused offsets; `get` sees the new records too.
 */
import test from 'ava';
import { openLog, type Log } from '@seglog/store';
import { SimFileIO } from '@seglog/testkit';
import { ErrorCodes, isSeglogError, type LogRecord } from '@seglog/types';
import { openReader } from '../src/index.js';

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

test('a bounded read and a new reader after a truncation see only the new records', async (t) => {
  const io = new SimFileIO({ seed: 62 });
  const log = await openLog({ dir: '/b', io, blockBytes: 512, segmentBytes: 8192 });
  await appendRange(log, 50, 0);
  const reader = await openReader({ dir: '/b', io });
  t.deepEqual(await reader.get(45), payload(45, 0));
  await log.truncateAfter(20);
  await appendRange(log, 5, 1);
  t.is(await reader.endOffset(), 25);
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
