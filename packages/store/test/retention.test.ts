/**
 * One job: automatic retention (issue 12): the pure planner (size and age, the last segment always
 * kept), a pass bounding the log by bytes, holds holding a pass back, the background timer, age
 * from the file's mtime for segments without append times, and bad `retention` options.
 */
import test from 'ava';
import { cpSync, utimesSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseSegmentFileName } from '@seglog/format';
import { SimFileIO, V1_LOG_FIXTURE } from '@seglog/testkit';
import { ErrorCodes, isSeglogError } from '@seglog/types';
import { openLog, planRetention, setRetentionHold, type Log, type SegmentFacts } from '../src/index.js';
import { appendRun } from './helpers/offset-records.js';
import { tempDir } from './helpers/temp-log.js';

const policy = (maxBytes: number | null, maxAgeMs: number | null) => ({ maxBytes, maxAgeMs, intervalMs: 1000 });

function facts(bytes: number[], ages: (number | undefined)[] = []): SegmentFacts[] {
  return bytes.map((size, i) => ({ baseOffset: i * 100, path: `s${i}`, bytes: size, lastAppendMs: ages[i] }));
}

test('planRetention drops oldest first while over maxBytes or too old, and never the last segment', (t) => {
  t.is(planRetention(facts([10, 10, 10]), policy(30, null), 0), null, 'at the bound: nothing');
  t.is(planRetention(facts([10, 10, 10]), policy(25, null), 0), 100, 'one over: the oldest goes');
  t.is(planRetention(facts([10, 10, 10]), policy(0, null), 0), 200, 'everything but the last');
  t.is(planRetention(facts([10]), policy(0, null), 0), null, 'a lone segment stays');
  const now = 1_000_000;
  t.is(planRetention(facts([1, 1, 1, 1], [now - 500, now - 300, now - 100, undefined]), policy(null, 200), now), 200);
  t.is(planRetention(facts([1, 1, 1], [now - 500, undefined, now - 900]), policy(null, 200), now), 100, 'an unknown age stops the age rule');
  t.is(planRetention(facts([1, 1, 1], [now - 10, now - 10, now - 10]), policy(null, 200), now), null);
  t.is(planRetention(facts([50, 1, 1], [now - 10, now - 10]), policy(10, 200), now), 100, 'either rule is enough');
});

async function fill(log: Log, runs: number): Promise<void> {
  for (let i = 0; i < runs; i++) await appendRun(log, 5);
}

async function bases(io: { readdir(dir: string): Promise<string[]> }, dir: string): Promise<number[]> {
  const names = await io.readdir(dir);
  return names.map((name) => parseSegmentFileName(name)).filter((b): b is number => b !== null).sort((a, b) => a - b);
}

test('a pass keeps the log within maxBytes plus one segment, honours a hold, and counts what it did', async (t) => {
  const io = new SimFileIO({ seed: 21 });
  const segmentBytes = 4096;
  const retention = { maxBytes: 3 * segmentBytes, intervalMs: 86_400_000 };
  const log = await openLog({ dir: '/r', io, blockBytes: 512, segmentBytes, retention });
  await fill(log, 60);
  const before = await bases(io, '/r');
  t.true(before.length > 6, `${before.length} segments`);
  await setRetentionHold({ dir: '/r', io, name: 'slow', offset: before[2]! + 1 });
  await log.applyRetention();
  t.is(log.firstOffset, before[2]! + 1, 'the hold stops the pass');
  let counted = log.metrics().retention;
  t.is(counted.passes, 1);
  t.is(counted.heldBack, 1);
  t.is(counted.segmentsDropped, 2);
  await setRetentionHold({ dir: '/r', io, name: 'slow', offset: log.durableOffset });
  await log.applyRetention();
  counted = log.metrics().retention;
  const after = await bases(io, '/r');
  t.true(counted.logBytes <= 3 * segmentBytes + segmentBytes, `log bytes ${counted.logBytes}`);
  t.is(counted.logSegments, after.length);
  t.is(log.firstOffset, after[0]!, 'the mark is the first kept segment');
  t.is(counted.firstOffset, log.firstOffset);
  t.is(counted.recordsDropped, log.firstOffset);
  t.true(counted.bytesDropped > 0);
  t.is(after[after.length - 1], before[before.length - 1], 'the segment being appended to stays');
  await fill(log, 2);
  await log.close();
  const again = await openLog({ dir: '/r', io, blockBytes: 512, retention });
  t.is(again.firstOffset, after[0]!);
  t.is(again.metrics().retention.logSegments, (await bases(io, '/r')).length, 'size is measured at open');
  await again.close();
});

test('the background pass runs every intervalMs and stops at close', async (t) => {
  const io = new SimFileIO({ seed: 22 });
  const retention = { maxBytes: 0, intervalMs: 10 };
  const log = await openLog({ dir: '/bg', io, blockBytes: 512, segmentBytes: 4096, retention });
  await fill(log, 40);
  const deadline = Date.now() + 10_000;
  while (log.metrics().retention.logSegments !== 1 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  t.true(log.metrics().retention.segmentsDropped > 0, 'passes ran by themselves');
  await log.close();
  const passes = log.metrics().retention.passes;
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.is(log.metrics().retention.passes, passes, 'no pass after close');
  t.is((await bases(io, '/bg')).length, 1, `maxBytes 0 keeps only the last segment (${JSON.stringify(log.metrics().retention)})`);
});

test('maxAgeMs ages v1 segments (no append times) by their mtime, and v2 segments by their batches', async (t) => {
  const { dir, cleanup } = tempDir();
  t.teardown(cleanup);
  cpSync(V1_LOG_FIXTURE.dir, dir, { recursive: true });
  // The fixture's v1 segments were last written two hours ago; the log then goes on in v2.
  const old = (Date.now() - 7_200_000) / 1000;
  for (const base of V1_LOG_FIXTURE.segmentBases) utimesSync(join(dir, `${String(base).padStart(20, '0')}.seg`), old, old);
  const retention = { maxAgeMs: 3_600_000, intervalMs: 86_400_000 };
  const log = await openLog({ dir, blockBytes: 512, segmentBytes: 8192, retention });
  await fill(log, 40);
  const all = await bases({ readdir: (d) => readdir(d) }, dir);
  t.true(all.length > V1_LOG_FIXTURE.segmentBases.length + 1, 'v2 segments follow the v1 ones');
  await log.applyRetention();
  // The last v1 segment was the one the writer resumed: written (and stamped) now, so it stays.
  t.is(log.firstOffset, V1_LOG_FIXTURE.segmentBases[3], 'the old v1 segments went, no newer one');
  t.is(log.metrics().retention.segmentsDropped, 3);
  await log.close();
});

test('bad retention options are SEGLOG_INVALID_OPTION', async (t) => {
  const io = new SimFileIO({ seed: 23 });
  const bad = [5, {}, { maxBytes: -1 }, { maxAgeMs: 1.5 }, { maxBytes: 1, intervalMs: 1 }, { maxBytes: 1, every: 5 }];
  for (const retention of bad) {
    const error = await t.throwsAsync(openLog({ dir: '/bad', io, retention: retention as never }));
    t.true(isSeglogError(error, ErrorCodes.INVALID_OPTION), JSON.stringify(retention));
  }
});
