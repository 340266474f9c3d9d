/**
 * Crash consistency on the simulated disk (design invariants 1-5): seeded cases of concurrent
 * appenders, closes and reopens, injected EIO/ENOSPC faults (writev, fdatasync, rename, directory
 * fsync) after which the log is reopened in the same boot, all cut by power losses at random
 * instants; after each, the reopened log must hold every acknowledged record byte for byte, no
 * record that was not appended, dense offsets, and must take new appends. The case itself is
 * testkit's crash runner (runCrashCase) on the store adapter test/helpers/crash-log.ts, shared with
 * scripts/crash-soak.ts (the long run); records are read back with testkit's readLog. A failure prints
 * `reproduce with SEGLOG_SEED=<n>`: setting it runs that one case.
 */
import test from 'ava';
import { openLog } from '@seglog/store';
import { SimFileIO, addCaseStats, emptyCaseStats, readLog, runCrashCase, seedFromEnv } from '@seglog/testkit';
import type { CrashCaseResult } from '@seglog/testkit';
import { storeCrashSystem } from './helpers/crash-log.js';

const BASE_SEED = 0x5eed_c0de;
/**
 * Cases per chunk and chunks: 20 x 28 cases of 2-6 crashes each, about 2,200 crash points. Small
 * chunks, because ava times out a test silent for 120 s, and a loaded machine slows them.
 */
const CHUNK_CASES = 28;
const CHUNKS = 20;
const CRASH_POINTS_MIN = 2000;

const single = (process.env['SEGLOG_SEED'] ?? '').trim() !== '';
const baseSeed = seedFromEnv(BASE_SEED);

/** Runs `count` cases from `firstSeed`; failures are collected, each naming its seed. */
async function runCases(firstSeed: number, count: number): Promise<{ results: CrashCaseResult[]; failures: string[] }> {
  const results: CrashCaseResult[] = [];
  const failures: string[] = [];
  for (let seed = firstSeed; seed < firstSeed + count; seed++) {
    try {
      results.push(await runCrashCase(seed >>> 0, storeCrashSystem));
    } catch (error) {
      failures.push(error instanceof Error ? error.message : `${String(error)}; reproduce with SEGLOG_SEED=${seed >>> 0}`);
    }
  }
  return { results, failures };
}

/** Totals over the chunks that ran, for the coverage check at the end. */
const totals = { cases: 0, crashPoints: 0, reorderedCompletions: 0, ...emptyCaseStats() };

function addTotals(results: readonly CrashCaseResult[]): void {
  for (const result of results) {
    totals.cases++;
    totals.crashPoints += result.crashPoints;
    totals.reorderedCompletions += result.reorderedCompletions;
    addCaseStats(totals, result);
  }
}

if (single) {
  test(`crash case SEGLOG_SEED=${baseSeed}`, async (t) => {
    const { results, failures } = await runCases(baseSeed, 1);
    t.deepEqual(failures, []);
    t.log(results[0]);
  });
} else {
  for (let chunk = 0; chunk < CHUNKS; chunk++) {
    const first = baseSeed + chunk * CHUNK_CASES;
    test.serial(`every acknowledged record survives power loss at random instants: seeds ${first}..${first + CHUNK_CASES - 1}`, async (t) => {
      const { results, failures } = await runCases(first, CHUNK_CASES);
      t.deepEqual(failures, [], failures.join('\n'));
      addTotals(results);
      t.true(results.every((result) => result.acks > 0), 'every case acknowledged appends');
      t.log(`${results.reduce((sum, result) => sum + result.crashPoints, 0)} crash points, ${results.reduce((sum, result) => sum + result.acks, 0)} acknowledged appends`);
    });
  }
  test.serial('the run covered enough crash points, in every place a crash can land', (t) => {
    t.log(totals);
    t.true(totals.crashPoints >= CRASH_POINTS_MIN, `${totals.crashPoints} crash points, at least ${CRASH_POINTS_MIN} wanted`);
    t.true(totals.crashesInOpen > 0, 'some power cuts hit recovery');
    t.true(totals.crashesInClose > 0, 'some power cuts hit a close');
    t.true(totals.tornTails > 0, 'some recoveries dropped a torn tail');
    t.true(totals.unackedSurvivors > 0, 'some unacknowledged records survived and were checked');
    t.true(totals.filesCreated > 2 * totals.cases, 'segments rolled');
    t.true(totals.faults > 0, 'some injected EIO/ENOSPC faults failed the log, which was then reopened');
    t.true(totals.reorderedCompletions > 0, 'writes and flushes in flight together completed out of order');
  });
}

test('a case replays exactly from its seed', async (t) => {
  const seed = baseSeed + 7;
  const first = await runCrashCase(seed, storeCrashSystem);
  const again = await runCrashCase(seed, storeCrashSystem);
  t.deepEqual(again, first, `reproduce with SEGLOG_SEED=${seed}`);
  t.true(first.writes > 0 && first.crashPoints >= 2);
});

// Regression: found by the crash cases (SEGLOG_SEED=259 among others, as "offset acknowledged
// again"). Under backpressure an appendMany run partly admitted at once, with the rest queued,
// was interleaved with a large append queued after it: the run resolved with its first offset but
// its records were not contiguous, so offset first+1 held someone else's record.
test('an appendMany run stays contiguous when a large append queues behind it under backpressure', async (t) => {
  const sim = new SimFileIO({ seed: 1 });
  await sim.mkdirp('/data');
  await sim.syncDir('/');
  const io = sim.boot();
  const dir = '/data/log';
  const log = await openLog({
    dir,
    io,
    blockBytes: 512,
    segmentBytes: 64 * 1024,
    maxBatchBytes: 4096,
    maxInFlightBytes: 4096,
    commitWindow: { fixedMicros: 0 },
  });
  const filled = (sizeBytes: number, value: number): Uint8Array => new Uint8Array(sizeBytes).fill(value);
  // A small append that waits (the in-flight cap is full) and is admitted from the queue.
  await Promise.all([log.append(filled(4000, 1)), log.append(filled(100, 2))]);
  // Now: one record admitted at once, two queued behind the cap, then a large record queued.
  const big = log.append(filled(4000, 3));
  const run = log.appendMany([filled(50, 10), filled(50, 11), filled(50, 12)]);
  const large = log.append(filled(1000, 4));
  const [bigOffset, runFirst, largeOffset] = await Promise.all([big, run, large]);
  t.is(bigOffset, 2);
  t.is(runFirst, 3);
  t.false(largeOffset >= runFirst && largeOffset < runFirst + 3, `the large append (offset ${largeOffset}) is not inside the run`);
  await log.close();
  const { payloads } = await readLog(io, dir);
  for (let i = 0; i < 3; i++) t.is(payloads[runFirst + i]![0], 10 + i, `record ${i} of the run is at ${runFirst + i}`);
  t.is(payloads[largeOffset]![0], 4);
});

// Regression: openLog made only the last level of a new log directory durable; with `/srv` and
// `/srv/app` created too, a power cut took the whole directory and every acknowledged record.
test('a log directory that openLog creates several levels deep survives a power cut', async (t) => {
  const sim = new SimFileIO({ seed: 2 });
  const dir = '/srv/app/log';
  const log = await openLog({ dir, io: sim.boot(), blockBytes: 512 });
  t.is(await log.append(new Uint8Array([1, 2, 3])), 0);
  sim.crash({ unsynced: 'drop' });
  const io = sim.boot();
  const reopened = await openLog({ dir, io, blockBytes: 512 });
  t.is(reopened.nextOffset, 1, 'the acknowledged record survived');
  await reopened.close();
  t.deepEqual((await readLog(io, dir)).payloads, [new Uint8Array([1, 2, 3])]);
});
