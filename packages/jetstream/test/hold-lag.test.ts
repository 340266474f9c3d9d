/** holdLag: the lag behind each shipper hold, from the directory alone (what `seglog stat` shows). */
import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLog, setRetentionHold } from '@seglog/store';
import { isSeglogError } from '@seglog/types';
import { holdLag } from '../src/index.js';

const dirs: string[] = [];
test.after.always(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A log of 100 records, record i of 10 + i bytes: the bytes of any range are known. */
async function makeLog(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'seglog-hold-lag-'));
  dirs.push(dir);
  const log = await openLog({ dir, segmentBytes: 64 * 1024 });
  await log.appendMany(Array.from({ length: 100 }, (_, i) => new Uint8Array(10 + i).fill(i)));
  await log.close();
  return dir;
}

const bytesOf = (from: number, to: number): number => {
  let sum = 0;
  for (let i = from; i < to; i++) sum += 10 + i;
  return sum;
};

test('no shipper hold: no lag rows; other holds are not shippers', async (t) => {
  const dir = await makeLog();
  t.deepEqual(await holdLag({ dir }), []);
  await setRetentionHold({ dir, name: 'backup', offset: 5 });
  t.deepEqual(await holdLag({ dir }), []);
});

test('records and exact bytes at or above each shipper hold, with the oldest one\'s append time', async (t) => {
  const dir = await makeLog();
  const before = Date.now();
  await setRetentionHold({ dir, name: 'jetstream.ORDERS', offset: 60 });
  await setRetentionHold({ dir, name: 'jetstream.DONE', offset: 100 });
  const nowMs = Date.now() + 5000;
  const lags = await holdLag({ dir, nowMs });
  const orders = lags.find((lag) => lag.stream === 'ORDERS');
  const done = lags.find((lag) => lag.stream === 'DONE');
  t.like(orders, { holdName: 'jetstream.ORDERS', heldOffset: 60, endOffset: 100, lagRecords: 40 });
  t.like(orders, { lagBytes: bytesOf(60, 100), lagBytesExact: true, droppedRecords: 0 });
  t.true(orders!.oldestUnshippedAppendTimeMs !== null && orders!.oldestUnshippedAppendTimeMs <= before, 'the oldest unshipped record was appended before the hold was set');
  t.is(orders!.oldestUnshippedAgeMs, nowMs - orders!.oldestUnshippedAppendTimeMs!);
  t.like(done, { lagRecords: 0, lagBytes: 0, lagBytesExact: true });
  t.like(done, { oldestUnshippedAppendTimeMs: null, oldestUnshippedAgeMs: null });
});

test('past readBytesMax the bytes are estimated, and say so', async (t) => {
  const dir = await makeLog();
  await setRetentionHold({ dir, name: 'jetstream.A', offset: 0 });
  const [lag] = await holdLag({ dir, readBytesMax: 100 });
  t.is(lag!.lagRecords, 100);
  t.false(lag!.lagBytesExact);
  // Records 0..7 are read (10 + 11 + ... + 17 = 108 bytes >= 100), the other 92 counted at their mean, 13.5 bytes.
  t.is(lag!.lagBytes, 108 + Math.round((92 * 108) / 8));
});

test('records dropped past the hold before they were shipped are counted', async (t) => {
  const dir = await makeLog();
  await setRetentionHold({ dir, name: 'jetstream.A', offset: 10 });
  const log = await openLog({ dir });
  t.is((await log.truncateBefore(30, { force: true })).firstOffset, 30);
  await log.close();
  const [lag] = await holdLag({ dir });
  t.like(lag, { heldOffset: 10, droppedRecords: 20, lagRecords: 70, lagBytes: bytesOf(30, 100), lagBytesExact: true });
});

test('bad options are SEGLOG_INVALID_OPTION', async (t) => {
  for (const options of [null, { dir: '' }, { dir: '/tmp', readBytesMax: -1 }]) {
    const error = await holdLag(options as never).catch((caught: unknown) => caught);
    t.true(isSeglogError(error, 'SEGLOG_INVALID_OPTION'), String(error));
  }
});
