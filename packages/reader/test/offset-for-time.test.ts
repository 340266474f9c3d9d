/**
 * One job: `reader.offsetForTime(ms)` (issue 12): the first readable offset appended at or after a
 * time, across many segments and index entries, before and after everything, above the low-water
 * mark, and on a log that begins with format v1 segments (no times: never the answer).
 */
import test from 'ava';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLog } from '@seglog/store';
import { SimFileIO, V1_LOG_FIXTURE } from '@seglog/testkit';
import { ErrorCodes, isSeglogError } from '@seglog/types';
import { openReader } from '../src/index.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('offsetForTime finds the first record of each phase, across segments, by binary search', async (t) => {
  const io = new SimFileIO({ seed: 71 });
  const log = await openLog({ dir: '/time', io, blockBytes: 512, segmentBytes: 8192, indexIntervalBytes: 512 });
  const reader = await openReader({ dir: '/time', io });
  const before = Date.now() - 1;
  const phases: { atMs: number; firstOffset: number }[] = [];
  for (let phase = 0; phase < 5; phase++) {
    await sleep(25);
    const atMs = Date.now();
    phases.push({ atMs, firstOffset: log.nextOffset });
    for (let i = 0; i < 40; i++) await log.append(new Uint8Array(100).fill(phase));
  }
  t.true((await io.readdir('/time')).filter((name) => name.endsWith('.seg')).length > 4, 'several segments');
  for (const { atMs, firstOffset } of phases) t.is(await reader.offsetForTime(atMs), firstOffset, `phase from ${firstOffset}`);
  t.is(await reader.offsetForTime(before), 0, 'before everything: the first record');
  t.is(await reader.offsetForTime(Date.now() + 60_000), undefined, 'after everything: none');
  await log.truncateBefore(phases[2]!.firstOffset + 3);
  t.is(await reader.offsetForTime(phases[1]!.atMs), phases[2]!.firstOffset + 3, 'never below the low-water mark');
  const bad = await t.throwsAsync(reader.offsetForTime(Number.NaN));
  t.true(isSeglogError(bad, ErrorCodes.INVALID_OPTION));
  await reader.close();
  await log.close();
});

test('offsetForTime on a log that begins in format v1: v1 records have no time and are never the answer', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'seglog-time-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(V1_LOG_FIXTURE.dir, dir, { recursive: true });
  const log = await openLog({ dir, blockBytes: 512, segmentBytes: 8192 });
  await sleep(5);
  const atMs = Date.now();
  for (let i = 0; i < 30; i++) await log.append(new Uint8Array(200).fill(i));
  const reader = await openReader({ dir });
  t.is(await reader.offsetForTime(0), V1_LOG_FIXTURE.records, 'the first v2 record');
  t.is(await reader.offsetForTime(atMs), V1_LOG_FIXTURE.records);
  await reader.close();
  await log.close();
});
