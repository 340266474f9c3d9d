/**
 * One job: append times (format v2 `appendTimeMs`) never go down with offsets, across restarts
 * too: a clock that steps back between two opens must not stamp a later batch with an earlier
 * time, because `reader.offsetForTime` binary-searches them (issue 11). The clock is injected.
 */
import test from 'ava';
import { decodeBatch, parseSegmentFileName } from '@seglog/format';
import { SimFileIO } from '@seglog/testkit';
import { openLog } from '../src/index.js';

const DIR = '/times';
const shape = { blockBytes: 512, segmentBytes: 4096, commitWindow: { fixedMicros: 0 }, preallocate: false } as const;
const logId = Uint8Array.from({ length: 16 }, (_, i) => i + 1);

/** A clock whose wall time the test sets; `nowMicros` stays real so the commit window behaves. */
function steppedClock(startMs: number): { nowMicros: () => number; wallMillis: () => number; wallMs: number } {
  const clock = { nowMicros: () => performance.now() * 1000, wallMillis: () => clock.wallMs, wallMs: startMs };
  return clock;
}

/** Every batch of every segment, in offset order: its first offset and append time. */
function batchTimes(sim: SimFileIO): Array<{ firstOffset: number; appendTimeMs: number | undefined }> {
  const names = sim.listDir(DIR).filter((name) => parseSegmentFileName(name) !== null).sort();
  const times: Array<{ firstOffset: number; appendTimeMs: number | undefined }> = [];
  for (const name of names) {
    const bytes = sim.readFileSync(`${DIR}/${name}`);
    let at = shape.blockBytes;
    let expected = parseSegmentFileName(name)!;
    for (let batch = decodeBatch(logId, bytes, at, shape.blockBytes, expected); batch !== null; ) {
      times.push({ firstOffset: batch.header.firstOffset, appendTimeMs: batch.header.appendTimeMs });
      at += batch.spanBytes;
      expected += batch.header.recordCount;
      batch = decodeBatch(logId, bytes, at, shape.blockBytes, expected);
    }
  }
  return times;
}

test('a clock stepped back across a restart never stamps a smaller append time', async (t) => {
  const sim = new SimFileIO({ seed: 3 });
  const clock = steppedClock(1_800_000_000_000);
  let log = await openLog({ dir: DIR, io: sim, ...shape, logId, clock });
  for (let i = 0; i < 5; i++) await log.append(new Uint8Array(100).fill(i));
  clock.wallMs += 5_000;
  await log.append(new Uint8Array(100).fill(9));
  await log.close();
  const before = 1_800_000_005_000;
  // The clock goes back an hour (an NTP step, a VM restored from a snapshot) before the next open.
  clock.wallMs = before - 3_600_000;
  log = await openLog({ dir: DIR, io: sim, ...shape, logId, clock });
  const firstNew = log.nextOffset;
  for (let i = 0; i < 20; i++) await log.append(new Uint8Array(100).fill(i));
  clock.wallMs = before + 1_000;
  await log.append(new Uint8Array(100).fill(1));
  await log.close();
  const times = batchTimes(sim);
  t.true(new Set(times.map((batch) => batch.firstOffset)).size > 20, 'every batch is found, across several segments');
  for (const [i, batch] of times.entries()) {
    t.not(batch.appendTimeMs, undefined);
    if (i > 0) t.true(batch.appendTimeMs! >= times[i - 1]!.appendTimeMs!, `batch at ${batch.firstOffset} is not older than the one before`);
  }
  const after = times.filter((batch) => batch.firstOffset >= firstNew);
  t.true(after.length >= 20);
  t.is(after[0]!.appendTimeMs, before, 'batches after the step keep the last time recovered');
  t.is(after[after.length - 1]!.appendTimeMs, before + 1_000, 'and move on once the clock passes it');
});

test('the floor comes from the last batch of the log, not the first one of its last segment', async (t) => {
  const sim = new SimFileIO({ seed: 4 });
  const clock = steppedClock(1_700_000_000_000);
  let log = await openLog({ dir: DIR, io: sim, ...shape, logId, clock });
  for (let i = 0; i < 40; i++) {
    clock.wallMs += 10;
    await log.append(new Uint8Array(100).fill(i));
  }
  await log.close();
  const last = clock.wallMs;
  clock.wallMs = 1_000;
  log = await openLog({ dir: DIR, io: sim, ...shape, logId, clock });
  const firstNew = log.nextOffset;
  await log.append(new Uint8Array(10));
  await log.close();
  const stamped = batchTimes(sim).find((batch) => batch.firstOffset === firstNew);
  t.is(stamped?.appendTimeMs, last);
});
