/**
 * One job: a log written in format v1 keeps working under this code (docs/format.md, "Version 1
 * and version 2 in one log"). The golden v1 log (testkit's fixtures/v1-log, written by the v1
 * store) opens, reads back byte for byte, and takes appends: the first one rolls to a new v2
 * segment, so every segment's header says what its batches are. A v1 last segment that holds no
 * batch is replaced by a v2 segment of the same base, and one with a torn tail is left behind
 * without the tail mattering.
 */
import { cpSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import {
  HEAD_FILE_BYTES,
  HEAD_VERSION,
  decodeHeadFile,
  decodeBatch,
  decodeSegmentHeader,
  encodeBatchV1,
  encodeSegmentHeader,
  segmentFileName,
} from '@seglog/format';
import { V1_LOG_FIXTURE, v1FixturePayload } from '@seglog/testkit';
import { openLog } from '../src/index.js';
import { readAll, tempDir } from './helpers/temp-log.js';

const { blockBytes, segmentBytes, logId } = V1_LOG_FIXTURE;
const shape = { blockBytes, segmentBytes, maxBatchBytes: 2048, preallocate: false } as const;
const WALL_MS = 1_765_432_100_000;
const clock = { nowMicros: () => performance.now() * 1000, wallMillis: () => WALL_MS };

function fixtureCopy(t: { teardown: (fn: () => void) => void }): string {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  const logDir = join(dir, 'log');
  cpSync(V1_LOG_FIXTURE.dir, logDir, { recursive: true });
  return logDir;
}

function segmentVersions(dir: string): Array<[string, number]> {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.seg'))
    .sort()
    .map((name) => [name, decodeSegmentHeader(readFileSync(join(dir, name)), name).version]);
}

function payloadOfNew(offset: number): Uint8Array {
  return new Uint8Array(40 + (offset % 50)).fill(offset & 0xff);
}

test('the golden v1 log opens and reads back byte for byte', async (t) => {
  const dir = fixtureCopy(t);
  const log = await openLog({ dir, ...shape });
  t.is(log.nextOffset, V1_LOG_FIXTURE.records);
  await log.close();
  const records = await readAll(dir);
  t.is(records.length, V1_LOG_FIXTURE.records);
  for (const record of records) t.deepEqual(record.payload, v1FixturePayload(record.offset));
  t.deepEqual(segmentVersions(dir).map(([, version]) => version), [1, 1, 1, 1], 'opening alone writes no segment');
});

test('appends to a v1 log go to a new v2 segment; v1 and v2 read back together, across reopen', async (t) => {
  const dir = fixtureCopy(t);
  const first = V1_LOG_FIXTURE.records;
  let log = await openLog({ dir, ...shape, clock });
  for (let offset = first; offset < first + 10; offset++) t.is(await log.append(payloadOfNew(offset)), offset);
  t.is(log.metrics().segmentsCreated, 1, 'the first append rolled');
  await log.close();
  log = await openLog({ dir, ...shape, clock });
  t.is(log.nextOffset, first + 10);
  await log.appendMany([payloadOfNew(first + 10), payloadOfNew(first + 11)]);
  t.is(log.metrics().segmentsCreated, 0, 'a v2 last segment takes batches after reopen');
  await log.close();
  const versions = segmentVersions(dir);
  t.deepEqual(versions.map(([, version]) => version), [1, 1, 1, 1, 2]);
  t.is(versions[4]![0], segmentFileName(first));
  const records = await readAll(dir);
  t.is(records.length, first + 12);
  for (const record of records) {
    t.deepEqual(record.payload, record.offset < first ? v1FixturePayload(record.offset) : payloadOfNew(record.offset));
  }
  // The v2 batches carry the stamp the committer gave them.
  const bytes = readFileSync(join(dir, segmentFileName(first)));
  const batch = decodeBatch(logId, bytes, blockBytes, blockBytes, first);
  t.like(batch?.header, { version: 2, ackedOffset: first, appendTimeMs: WALL_MS });
});

/** A v1 log built with the v1 encoder: one segment of `records` records, then `tail` as the last segment's bytes. */
function writeV1Log(dir: string, records: number, tail: 'empty' | 'torn'): void {
  const payloads = Array.from({ length: records }, (_, i) => v1FixturePayload(i));
  const header = encodeSegmentHeader({ blockBytes, baseOffset: 0, logId, version: 1 });
  const first = [header, encodeBatchV1(logId, 0, payloads, blockBytes)];
  writeFileSync(join(dir, segmentFileName(0)), Buffer.concat(first));
  const last = [encodeSegmentHeader({ blockBytes, baseOffset: records, logId, version: 1 })];
  if (tail === 'torn') {
    const torn = encodeBatchV1(logId, records, [new Uint8Array(900).fill(7)], blockBytes);
    last.push(encodeBatchV1(logId, records, [v1FixturePayload(records)], blockBytes), torn.subarray(0, 700));
  }
  writeFileSync(join(dir, segmentFileName(records)), Buffer.concat(last));
}

test('a v1 last segment holding no batch is replaced by a v2 segment of the same base', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  writeV1Log(dir, 3, 'empty');
  const log = await openLog({ dir, ...shape });
  t.is(log.nextOffset, 3);
  t.is(await log.append(payloadOfNew(3)), 3);
  await log.close();
  t.deepEqual(segmentVersions(dir), [[segmentFileName(0), 1], [segmentFileName(3), 2]]);
  const records = await readAll(dir);
  t.deepEqual(records.map((record) => record.offset), [0, 1, 2, 3]);
  t.deepEqual(records[3]!.payload, payloadOfNew(3));
});

test('a v1 last segment with a torn tail: the tail is dropped, appends roll to v2, and reopen agrees', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  writeV1Log(dir, 3, 'torn');
  let log = await openLog({ dir, ...shape });
  t.is(log.nextOffset, 4, 'the torn batch was never acknowledged');
  t.is(await log.append(payloadOfNew(4)), 4);
  await log.close();
  log = await openLog({ dir, ...shape });
  t.is(log.nextOffset, 5);
  await log.close();
  t.deepEqual(segmentVersions(dir).map(([, version]) => version), [1, 1, 2]);
  const records = await readAll(dir);
  t.deepEqual(records.map((record) => record.offset), [0, 1, 2, 3, 4]);
  t.deepEqual(records[4]!.payload, payloadOfNew(4));
});

test('the golden log\'s two-slot HEAD (version 1) is read, then rewritten whole as three slots by the open', async (t) => {
  const dir = fixtureCopy(t);
  const before = decodeHeadFile(new Uint8Array(readFileSync(join(dir, 'HEAD'))), 'HEAD');
  t.is(readFileSync(join(dir, 'HEAD')).length, 1024);
  t.is(before?.version, 1);
  t.is(before?.state.durableOffset, V1_LOG_FIXTURE.records);
  const log = await openLog({ dir, ...shape });
  const after = decodeHeadFile(new Uint8Array(readFileSync(join(dir, 'HEAD'))), 'HEAD');
  t.is(readFileSync(join(dir, 'HEAD')).length, HEAD_FILE_BYTES);
  t.is(after?.version, HEAD_VERSION);
  t.true(after!.state.seq >= before!.state.seq, 'seq never goes back across the rewrite');
  t.is(after?.state.durableOffset, V1_LOG_FIXTURE.records);
  t.deepEqual(after?.state.logId, V1_LOG_FIXTURE.logId);
  for (let i = 0; i < 30; i++) await log.append(payloadOfNew(V1_LOG_FIXTURE.records + i));
  await log.close();
  const closed = decodeHeadFile(new Uint8Array(readFileSync(join(dir, 'HEAD'))), 'HEAD');
  t.is(closed?.state.durableOffset, V1_LOG_FIXTURE.records + 30);
  t.false(readdirSync(dir).includes('HEAD.tmp'));
  const reopened = await openLog({ dir, ...shape });
  t.is(reopened.nextOffset, V1_LOG_FIXTURE.records + 30);
  await reopened.close();
});
