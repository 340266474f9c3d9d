/**
 * One job: HEAD's three slots (head-checkpoint.ts, docs/format.md "HEAD") on the simulated disk.
 * A write of the durable end never waits for HEAD's flush (the follow benchmark's p99 did), yet
 * whatever a power cut does there is a valid slot whose `durableOffset` is a lower bound of what
 * was acknowledged: testkit's crash runner cuts the power anywhere in runs whose HEAD flushes run
 * beside its writes (a clock of big steps makes the once-a-second flush come every few calls),
 * while head-slot-watch.ts checks at every HEAD write that another slot is flushed and valid
 * (the simulator keeps or drops a one-sector slot write whole, so a crash alone cannot show a
 * write tearing the flushed slot). A failure names its seed: `SEGLOG_SEED=<n>` runs that case.
 */
import test from 'ava';
import { HEAD_FILE_BYTES, HEAD_VERSION, decodeHead, decodeHeadFile } from '@seglog/format';
import type { HeadState } from '@seglog/format';
import { SimFileIO, runCrashCase, seedFromEnv, steppingClock, waitTurns } from '@seglog/testkit';
import { HeadCheckpoint } from '../src/head-checkpoint.js';
import { storeCrashSystemWith } from './helpers/crash-log.js';
import { watchHeadSlots } from './helpers/head-slot-watch.js';
import type { HeadSlotWatch } from './helpers/head-slot-watch.js';

const BASE_SEED = 0x4ead_0003;
const CASES = 60;
/** 50 ms a clock reading: HEAD's timed flush (1 s) comes due every ~20 readings. */
const CLOCK_STEP_MICROS = 50_000;

test('power cut anywhere while HEAD flushes run beside its writes: a valid lower bound survives, no write touches the flushed slot', async (t) => {
  const watches: HeadSlotWatch[] = [];
  const system = storeCrashSystemWith({
    adjustOptions: (options) => ({ ...options, clock: steppingClock(CLOCK_STEP_MICROS) }),
    wrapIo: (io) => {
      const watch = watchHeadSlots(io);
      watches.push(watch);
      return watch.io;
    },
  });
  const single = (process.env['SEGLOG_SEED'] ?? '').trim() !== '';
  const first = seedFromEnv(BASE_SEED);
  const failures: string[] = [];
  let crashPoints = 0;
  for (let seed = first; seed < first + (single ? 1 : CASES); seed++) {
    try {
      // The runner reopens after each cut and checks every acknowledged record is there: a HEAD
      // ahead of the records, or with no valid slot, fails that open (SEGLOG_CORRUPT).
      crashPoints += (await runCrashCase(seed >>> 0, system)).crashPoints;
    } catch (error) {
      failures.push(`${error instanceof Error ? error.message : String(error)} (SEGLOG_SEED=${seed >>> 0})`);
    }
  }
  t.deepEqual(failures, []);
  const reports = watches.map((watch) => watch.report());
  t.deepEqual(reports.flatMap((report) => report.violations), []);
  const during = reports.reduce((sum, report) => sum + report.writesDuringFlush, 0);
  const writes = reports.reduce((sum, report) => sum + report.writes, 0);
  t.log(`${crashPoints} crash points, ${writes} HEAD writes, ${during} of them during a HEAD flush`);
  if (!single) {
    t.true(crashPoints >= CASES * 2, `${crashPoints} crash points`);
    t.true(during >= 50, `writes during a flush were covered (${during})`);
  }
});

const DIR = '/data/log';
const logId = Uint8Array.from({ length: 16 }, (_, i) => i + 7);
const initial: HeadState = {
  seq: 0,
  logId,
  durableOffset: 0,
  firstOffset: 0,
  truncateEpoch: 0,
  truncatedAt: 0,
  pendingTruncation: null,
  writtenAtMs: 0,
};

/** A disk whose fdatasync takes `datasyncDelayMs` of wall time. */
async function slowDisk(datasyncDelayMs = 40): Promise<SimFileIO> {
  const sim = new SimFileIO({ seed: 9, datasyncDelayMs });
  await sim.mkdirp(DIR);
  await sim.syncDir('/');
  await sim.syncDir('/data');
  return sim;
}

function headIn(sim: SimFileIO): HeadState | null {
  return decodeHead(sim.readFileSync(`${DIR}/HEAD`), 'HEAD');
}

/** Event-loop turns (at most `turns`) until HEAD, as any reader sees it, says `durableOffset`. */
async function published(sim: SimFileIO, durableOffset: number, turns = 50): Promise<boolean> {
  for (let turn = 0; turn < turns; turn++) {
    if (headIn(sim)?.durableOffset === durableOffset) return true;
    await waitTurns(1);
  }
  return false;
}

test('an end acknowledged while HEAD is being flushed is published before that flush returns', async (t) => {
  // A flush far longer than the few event-loop turns the publications take, even on a machine so
  // busy that this process waits tens of ms for a core (with 40 ms it failed once so).
  const sim = await slowDisk(400);
  const watch = watchHeadSlots(sim.boot());
  const errors: unknown[] = [];
  const onError = (error: unknown): number => errors.push(error);
  const config = { io: watch.io, clock: steppingClock(1), dir: DIR, fileMode: 0o600, onError };
  // syncIntervalMicros 0: every write starts a background flush when none is running.
  const head = await HeadCheckpoint.create({ ...config, syncIntervalMicros: 0 }, initial);
  const flushesBefore = sim.counters.datasyncs;
  head.advance(10);
  t.true(await published(sim, 10), 'the first end is written at once');
  for (const end of [20, 30, 40]) {
    head.advance(end);
    t.true(await published(sim, end), `end ${end} published`);
  }
  t.is(sim.counters.datasyncs, flushesBefore, 'all of it while the first flush (400 ms) was still running');
  t.is(sim.counters.datasyncCalls, flushesBefore + 1, 'one flush at a time');
  await head.flush();
  t.is(headIn(sim)?.durableOffset, 40);
  // An awaited flush (a roll's, a truncation's) does not hold the next publication back either.
  let flushed = false;
  const flushing = head.flush().then(() => (flushed = true));
  head.advance(41);
  await waitTurns(2);
  head.advance(50);
  t.true(await published(sim, 50), 'end 50 published');
  t.false(flushed, 'while the awaited flush was still running');
  await flushing;
  await head.flush();
  await head.close();
  sim.crash({ unsynced: 'drop' });
  t.is(headIn(sim)?.durableOffset, 50, 'flush() made the newest end durable');
  t.deepEqual(errors, []);
  t.deepEqual(watch.report().violations, []);
  t.true(watch.report().writesDuringFlush >= 3);
});

test('a cut while writes run beside a flush leaves a valid slot: the flushed end or a newer acknowledged one', async (t) => {
  for (let seed = 1; seed <= 40; seed++) {
    const sim = new SimFileIO({ seed, datasyncDelayMs: seed % 4, completionJitterTurns: 3 });
    await sim.mkdirp(DIR);
    await sim.syncDir('/');
    await sim.syncDir('/data');
    const watch = watchHeadSlots(sim.boot());
    const config = { io: watch.io, clock: steppingClock(1), dir: DIR, fileMode: 0o600, onError: () => undefined };
    const head = await HeadCheckpoint.create({ ...config, syncIntervalMicros: seed % 3 === 0 ? 0 : 5 }, initial);
    let flushedEnd = 0;
    let acknowledged = 0;
    const work = (async () => {
      for (let end = 1; end <= 400; end++) {
        acknowledged = end;
        head.advance(end);
        await waitTurns(1 + (end % 3));
        if (end % 97 === 0) {
          await head.flush();
          flushedEnd = end;
        }
      }
    })().catch(() => undefined); // rejects once the power is cut
    await waitTurns(40 + ((seed * 37) % 600));
    sim.crash();
    await work;
    const found = decodeHeadFile(sim.readFileSync(`${DIR}/HEAD`), 'HEAD');
    t.not(found, null, `seed ${seed}: a valid slot`);
    t.is(found?.version, HEAD_VERSION);
    t.true(found!.state.durableOffset <= acknowledged, `seed ${seed}: ${found!.state.durableOffset} <= ${acknowledged}`);
    t.true(found!.state.durableOffset >= flushedEnd, `seed ${seed}: ${found!.state.durableOffset} >= flushed ${flushedEnd}`);
    t.deepEqual(watch.report().violations, [], `seed ${seed}`);
    t.is(sim.readFileSync(`${DIR}/HEAD`).length, HEAD_FILE_BYTES);
  }
});
