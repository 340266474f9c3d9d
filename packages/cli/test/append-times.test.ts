/**
 * First and last append times in `stat` and `segments`: taken from verified v2 batch headers, in
 * order across segments, within the time the log was written; unknown (null) for a v1 log, never
 * guessed from file times; and a header that does not verify gives no time.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { openLog } from '@seglog/store';
import { flipByte, payloadOf, removeTempDirs, seglog, segmentNames, tempDir } from './helpers.js';

test.after.always(removeTempDirs);

/** The golden v1 log of @seglog/testkit (read only here: the commands never write). */
const V1_LOG = fileURLToPath(new URL('../../testkit/fixtures/v1-log/', import.meta.url));

interface Row {
  file: string;
  records: number;
  firstAppendTimeMs: number | null;
  lastAppendTimeMs: number | null;
}

interface Stat {
  formatVersion: number;
  appendTimeMs: { first: number | null; last: number | null };
}

test('stat and segments show append times from the batch headers, in order, within the writing', async (t) => {
  const dir = await tempDir('times');
  const startedMs = Date.now();
  const log = await openLog({ dir, segmentBytes: 32 * 1024 });
  for (let i = 0; i < 1500; i += 50) {
    await log.appendMany(Array.from({ length: 50 }, (_, j) => payloadOf(i + j)));
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  await log.close();
  const endedMs = Date.now();
  const stat = JSON.parse((await seglog(['stat', dir, '--json'])).stdout) as Stat;
  t.is(stat.formatVersion, 2);
  const { first, last } = stat.appendTimeMs;
  t.true(first !== null && first >= startedMs && first <= endedMs, `first ${first}`);
  t.true(last !== null && last >= first! && last <= endedMs, `last ${last}`);
  const rows = (JSON.parse((await seglog(['segments', dir, '--json'])).stdout) as { segments: Row[] }).segments;
  t.true(rows.length > 3);
  let previous = first!;
  for (const row of rows) {
    t.true(row.firstAppendTimeMs !== null && row.firstAppendTimeMs >= previous, `${row.file} starts after the one before`);
    t.true(row.lastAppendTimeMs !== null && row.lastAppendTimeMs >= row.firstAppendTimeMs!, `${row.file}`);
    previous = row.lastAppendTimeMs!;
  }
  t.is(rows[0]!.firstAppendTimeMs, first);
  t.is(rows[rows.length - 1]!.lastAppendTimeMs, last);
  const text = await seglog(['stat', dir]);
  t.regex(text.stdout, new RegExp(`append times   first ${new Date(first!).toISOString()}, last ${new Date(last!).toISOString()}`));
});

test('a v1 log has no append times: null, never guessed from file times', async (t) => {
  const stat = await seglog(['stat', V1_LOG, '--json']);
  t.is(stat.code, 0, stat.stderr);
  const report = JSON.parse(stat.stdout) as Stat;
  t.is(report.formatVersion, 1);
  t.deepEqual(report.appendTimeMs, { first: null, last: null });
  t.regex((await seglog(['stat', V1_LOG])).stdout, /append times {3}unknown \(format v1 batches carry none\)/);
  const rows = (JSON.parse((await seglog(['segments', V1_LOG, '--json'])).stdout) as { segments: Row[] }).segments;
  t.is(rows.length, 4);
  t.true(rows.every((row) => row.firstAppendTimeMs === null && row.lastAppendTimeMs === null));
  const dump = await seglog(['dump', V1_LOG, '--count', '3', '--ndjson', '--payload', 'none']);
  const records = dump.stdout.trim().split('\n').map((line) => JSON.parse(line) as { appendTimeMs: unknown });
  t.deepEqual(records.map((record) => record.appendTimeMs), [null, null, null], 'dump rows of v1 records: null');
});

test('a first batch whose header does not verify gives no first time', async (t) => {
  const dir = await tempDir('times-damaged');
  const log = await openLog({ dir, segmentBytes: 32 * 1024 });
  for (let i = 0; i < 600; i += 50) await log.appendMany(Array.from({ length: 50 }, (_, j) => payloadOf(i + j)));
  await log.close();
  const first = path.join(dir, (await segmentNames(dir))[0]!);
  // Byte 33 of a v2 batch header lies in its append time field; the first batch is at block 1.
  await flipByte(first, (await blockBytesOf(dir)) + 33);
  const rows = (JSON.parse((await seglog(['segments', dir, '--json'])).stdout) as { segments: Row[] }).segments;
  t.is(rows[0]!.firstAppendTimeMs, null, 'a time is printed only from a header that verifies');
  t.not(rows[1]!.firstAppendTimeMs, null);
});

async function blockBytesOf(dir: string): Promise<number> {
  const stat = JSON.parse((await seglog(['stat', dir, '--json'])).stdout) as { blockBytes: number };
  return stat.blockBytes;
}
