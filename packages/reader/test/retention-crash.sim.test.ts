/**
 * One job: issue 12's proof on the simulated disk: retention passes (called at random turns),
 * truncateBefore and truncateAfter all run while
 * appenders append and a follower in the same boot (through HEAD, like another process) reads,
 * and the power is cut at a random turn (testkit's SimFileIO and CrashTimer). After each reopen:
 * - no acknowledged record at or above the recovered first offset is missing or changed, unless a
 *   truncateAfter that was in flight at the crash cut it (deliberately dropped);
 * - no record the follower saw is missing or changed (the follower never saw one a crash removed);
 * - the first offset moved no further than what was deliberately dropped: a truncateBefore mark,
 *   or retention, which never passes the last segment's base.
 * A failure names its seed; SEGLOG_SEED=<n> runs that one case, and replays it: time is counted in
 * turns (a stepping clock, commit windows under 1 ms), and retention's background timer is set out
 * of reach because a real timer fires after a number of turns that depends on the machine's load
 * (its pass is the one `applyRetention` runs; store/test/retention.test.ts covers the timer).
 */
import test from 'ava';
import { openLog, type Log } from '@seglog/store';
import { CrashTimer, Prng, SimFileIO, nextTurn, seedFromEnv, steppingClock, waitTurns } from '@seglog/testkit';
import { ErrorCodes, isSeglogError, limits, type FileIO } from '@seglog/types';
import { parseSegmentFileName } from '@seglog/format';
import { openReader } from '../src/index.js';

const DIR = '/data/log';
const BASE_SEED = 0x12_7e7e;
const CASES = 40;
const BOOTS = 4;
const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

interface Model {
  /** Acknowledged and not deliberately dropped: offset -> payload. */
  readonly acked: Map<number, string>;
  /**
   * What the follower received and was not told was taken back: offset -> payload, and the lowest
   * cut of the truncateAfter calls started in its boot before it arrived. A record yielded after a
   * truncation began may come from a batch read before it: the follower learns of the cut at its
   * next HEAD read (SEGLOG_TRUNCATED if it got records past it), which the crash may forestall.
   */
  readonly seen: Map<number, { payload: string; cutBefore: number }>;
  /** The lowest cut of a truncateAfter started in this boot (Infinity: none). */
  cutThisBoot: number;
  /** The highest offset a deliberate drop below may have reached (truncateBefore marks, retention). */
  dropBound: number;
}

interface Coverage {
  crashes: number;
  truncateAfterInFlight: number;
  truncateBeforeInFlight: number;
  retentionDropped: number;
  truncatedSeen: number;
  seenRecords: number;
}

interface Boot {
  readonly io: FileIO;
  readonly log: Log;
  readonly timer: CrashTimer;
  /**
   * Cuts of truncateAfter calls not resolved yet, one entry per call: two calls often cut at the same
   * offset, and the first one resolving must not hide the second, which may still be cut short by
   * the crash (and finished by the next open) after records were appended at and past its cut.
   */
  readonly cutsInFlight: number[];
  marksInFlight: number;
  readonly tasks: Promise<unknown>[];
}

const failure = (seed: number, message: string): Error => new Error(`${message}; reproduce with SEGLOG_SEED=${seed}`);

async function lastSegmentBase(io: FileIO): Promise<number> {
  const names = await io.readdir(DIR);
  const bases = names.map((name) => parseSegmentFileName(name)).filter((base): base is number => base !== null);
  return Math.max(0, ...bases);
}

/** Everything readable after a reopen, through a fresh reader (HEAD), offset -> payload. */
async function readBack(io: FileIO, first: number, end: number): Promise<Map<number, string>> {
  const reader = await openReader({ dir: DIR, io });
  const got = new Map<number, string>();
  try {
    if (end <= first) return got;
    for await (const record of reader.read({ from: first, to: end })) got.set(record.offset, text(record.payload));
  } finally {
    await reader.close();
  }
  return got;
}

/** The checks after a reopen; then the model forgets what is below the first offset or past the end. */
async function checkReopened(
  seed: number,
  io: FileIO,
  log: Log,
  model: Model,
  cutsInFlight: readonly number[],
): Promise<void> {
  const first = log.firstOffset;
  const end = log.nextOffset;
  if (first > model.dropBound) throw failure(seed, `first offset ${first} is past every deliberate drop (at most ${model.dropBound})`);
  const lowestCut = Math.min(Number.POSITIVE_INFINITY, ...cutsInFlight);
  const got = await readBack(io, first, end);
  const check = (what: string, offset: number, payload: string): void => {
    if (offset < first) return;
    if (offset >= lowestCut && offset >= end) return; // an in-flight truncateAfter took it: deliberate
    const found = got.get(offset);
    if (found === payload) return;
    const now = found === undefined ? 'gone' : `now ${found}`;
    throw failure(seed, `${what} record ${offset} (${payload}) is ${now} after the crash (log [${first}, ${end}))`);
  };
  for (const [offset, payload] of model.acked) check('acknowledged', offset, payload);
  for (const [offset, { payload, cutBefore }] of model.seen) {
    if (offset >= cutBefore) continue; // maybe from before that cut: deliberately dropped (see Model.seen)
    check('seen by the follower', offset, payload);
  }
  for (const records of [model.acked, model.seen]) {
    for (const offset of records.keys()) if (offset < first || offset >= end) records.delete(offset);
  }
}

/** A follower through HEAD: records what it receives; on SEGLOG_TRUNCATED forgets the cut part and resumes. */
async function follow(boot: Boot, model: Model, coverage: Coverage, signal: AbortSignal): Promise<void> {
  const reader = await openReader({ dir: DIR, io: boot.io });
  try {
    let from = boot.log.firstOffset;
    for (;;) {
      try {
        for await (const record of reader.read({ from, follow: true, signal, onBehind: 'skip' })) {
          model.seen.set(record.offset, { payload: text(record.payload), cutBefore: model.cutThisBoot });
          coverage.seenRecords++;
          from = record.offset + 1;
        }
        return;
      } catch (error) {
        if (!isSeglogError(error, ErrorCodes.TRUNCATED)) return; // the crash (or the abort) ended it
        const newEnd = error.endOffset!;
        for (const offset of model.seen.keys()) if (offset >= newEnd) model.seen.delete(offset);
        coverage.truncatedSeen++;
        from = newEnd;
      }
    }
  } finally {
    await reader.close().catch(() => undefined);
  }
}

async function appendLoop(boot: Boot, model: Model, prng: Prng, tag: string): Promise<void> {
  for (let count = 0; !boot.timer.fired; count++) {
    const payload = `${tag}-${count}`.padEnd(prng.int(8, 120), '.');
    try {
      const offset = await boot.log.append(new TextEncoder().encode(payload));
      if (!boot.timer.fired) model.acked.set(offset, payload);
    } catch {
      return; // the power went
    }
  }
}

/** Truncations and retention passes at random turns until the crash. */
async function operate(boot: Boot, model: Model, prng: Prng): Promise<void> {
  while (!boot.timer.fired) {
    await waitTurns(prng.int(5, 60));
    if (boot.timer.fired) return;
    const { log } = boot;
    const choice = prng.int(0, 2);
    if (choice === 0) {
      const mark = prng.int(log.firstOffset, log.durableOffset);
      model.dropBound = Math.max(model.dropBound, mark);
      boot.marksInFlight++;
      boot.tasks.push(log.truncateBefore(mark).then(() => boot.marksInFlight--, () => undefined));
    } else if (choice === 1 && prng.bool(0.5)) {
      const cut = Math.max(log.firstOffset, log.durableOffset - prng.int(0, 20));
      boot.cutsInFlight.push(cut);
      model.cutThisBoot = Math.min(model.cutThisBoot, cut);
      const done = log.truncateAfter(cut).then(
        () => {
          // Resolved: the records from the cut on are deliberately gone (their offsets are reused).
          for (const records of [model.acked, model.seen]) {
            for (const offset of records.keys()) if (offset >= cut) records.delete(offset);
          }
          boot.cutsInFlight.splice(boot.cutsInFlight.indexOf(cut), 1);
        },
        () => undefined,
      );
      boot.tasks.push(done);
    } else {
      boot.tasks.push(log.applyRetention().catch(() => undefined));
    }
  }
}

async function runCase(seed: number, coverage: Coverage): Promise<void> {
  const prng = new Prng(seed);
  const sim = new SimFileIO({ seed: prng.nextU32() });
  await sim.mkdirp('/data');
  await sim.syncDir('/');
  const model: Model = { acked: new Map(), seen: new Map(), dropBound: 0, cutThisBoot: Number.POSITIVE_INFINITY };
  let cutsInFlight: number[] = [];
  for (let bootIndex = 0; bootIndex <= BOOTS; bootIndex++) {
    const io = sim.boot();
    const log = await openLog({
      dir: DIR,
      io,
      blockBytes: 512,
      segmentBytes: 4096,
      retention: { maxBytes: 6 * 4096, intervalMs: limits.retentionIntervalMsMax },
      clock: steppingClock(prng.int(1, 20)),
      commitWindow: prng.bool(0.5) ? { fixedMicros: prng.int(0, 900) } : { adaptive: { maxMicros: prng.int(1, 900) } },
    });
    await checkReopened(seed, io, log, model, cutsInFlight);
    model.cutThisBoot = Number.POSITIVE_INFINITY;
    if (bootIndex === BOOTS) {
      await log.close();
      return;
    }
    const timer = new CrashTimer(sim, prng.int(100, 1500));
    const boot: Boot = { io, log, timer, cutsInFlight: [], marksInFlight: 0, tasks: [] };
    const controller = new AbortController();
    const follower = follow(boot, model, coverage, controller.signal);
    const appenders = Array.from({ length: prng.int(1, 4) }, (_, index) => {
      return appendLoop(boot, model, prng, `b${bootIndex}a${index}`);
    });
    const operations = operate(boot, model, prng);
    await timer.whenFired();
    coverage.crashes++;
    if (boot.cutsInFlight.length > 0) coverage.truncateAfterInFlight++;
    if (boot.marksInFlight > 0) coverage.truncateBeforeInFlight++;
    coverage.retentionDropped += log.metrics().retention.segmentsDropped;
    // Retention never drops the segment being appended to: the mark stays at or below its base.
    model.dropBound = Math.max(model.dropBound, await lastSegmentBase(sim.boot()).catch(() => model.dropBound));
    controller.abort();
    await Promise.all([follower, ...appenders, operations, ...boot.tasks].map((task) => task.catch(() => undefined)));
    for (let turn = 0; turn < 50; turn++) await nextTurn();
    cutsInFlight = boot.cutsInFlight;
    sim.crash(prng);
  }
}

const single = (process.env['SEGLOG_SEED'] ?? '').trim() !== '';
const baseSeed = seedFromEnv(BASE_SEED);

test(`retention, truncateBefore and truncateAfter with appends and a follower, cut by power losses: ${single ? 1 : CASES} case(s) from seed ${baseSeed}`, async (t) => {
  const coverage: Coverage = {
    crashes: 0,
    truncateAfterInFlight: 0,
    truncateBeforeInFlight: 0,
    retentionDropped: 0,
    truncatedSeen: 0,
    seenRecords: 0,
  };
  const failures: string[] = [];
  for (let seed = baseSeed; seed < baseSeed + (single ? 1 : CASES); seed++) {
    try {
      await runCase(seed, coverage);
    } catch (error) {
      failures.push(error instanceof Error ? error.message : String(error));
    }
  }
  t.deepEqual(failures, [], failures.join('\n'));
  t.log(coverage);
  if (single) return;
  t.true(coverage.crashes >= CASES * BOOTS, 'every boot ended in a power cut');
  t.true(coverage.truncateAfterInFlight > 0, 'some power cuts landed while a truncateAfter ran');
  t.true(coverage.truncateBeforeInFlight > 0, 'some power cuts landed while a truncateBefore ran');
  t.true(coverage.retentionDropped > 0, 'retention dropped segments while appends ran');
  t.true(coverage.truncatedSeen > 0, 'the follower was told of truncations (SEGLOG_TRUNCATED) and resumed');
  t.true(coverage.seenRecords > 0, 'the follower received records');
});
