/**
 * One job: one seeded crash-consistency case of an injected system (crash-target.ts), shared by
 * the store's crash.sim.test.ts and scripts/crash-soak.ts, and by any package built on the log.
 *
 * A case lets the system draw what stays fixed (for the store: a log shape of small segments,
 * 512-byte blocks, 2-8 KiB batches, an in-flight cap), then runs several boots of a simulated
 * machine. In each boot it opens the system on that boot's fenced I/O view (sim.boot()), checks it
 * against the model (crash-model.ts), runs concurrent appenders, sometimes closes and reopens it,
 * and cuts the power after a random number of event-loop turns, which lands anywhere: in recovery,
 * an append, a roll, a preallocation, a close. After the last crash a final boot checks, appends
 * more, closes, reopens and checks again. Every failure is a CrashCheckFailure whose message ends
 * `reproduce with SEGLOG_SEED=<seed>`.
 */
import type { FileIO } from '@seglog/types';
import { BootRun, appender } from './crash-appenders.js';
import { CrashCheckFailure, LogModel, describeError } from './crash-model.js';
import type { CrashCase, CrashSystem, CrashTarget } from './crash-target.js';
import { CrashTimer, nextTurn, waitTurns } from './crash-turns.js';
import { Prng } from './prng.js';
import type { FaultOp } from './sim-faults.js';
import { SimFileIO } from './sim-file-io.js';

/** What one case went through: enough to show a run covered what it claims to. */
export interface CaseStats {
  /** Times the log was opened and checked. */
  opens: number;
  /** Power cuts that landed while open (recovery) ran. */
  crashesInOpen: number;
  /** Power cuts that landed while close ran. */
  crashesInClose: number;
  /** Opens whose recovery dropped a torn tail. */
  tornTails: number;
  /** Unacknowledged records that survived a crash (each checked to be the one appended there). */
  unackedSurvivors: number;
  /** Files (segments) created, rolls included. */
  filesCreated: number;
  /** Injected EIO/ENOSPC faults that failed the log (it was then closed and reopened). */
  faults: number;
}

/** All coverage counts at zero: where a case, the crash test's totals and the soak's summary start. */
export function emptyCaseStats(): CaseStats {
  return {
    opens: 0,
    crashesInOpen: 0,
    crashesInClose: 0,
    tornTails: 0,
    unackedSurvivors: 0,
    filesCreated: 0,
    faults: 0,
  };
}

/** Adds the coverage counts of one case to a running total (the test and the soak both keep one). */
export function addCaseStats(into: CaseStats, from: CaseStats): void {
  into.opens += from.opens;
  into.crashesInOpen += from.crashesInOpen;
  into.crashesInClose += from.crashesInClose;
  into.tornTails += from.tornTails;
  into.unackedSurvivors += from.unackedSurvivors;
  into.filesCreated += from.filesCreated;
  into.faults += from.faults;
}

export interface CrashCaseResult extends CaseStats {
  readonly seed: number;
  /** Power cuts survived and checked. */
  readonly crashPoints: number;
  readonly acks: number;
  /** Records in the log at the end. */
  readonly records: number;
  /** The simulator's counters: equal on a replay of the same seed. */
  readonly writes: number;
  readonly bytesWritten: number;
  readonly datasyncs: number;
  /** Calls that completed before one issued earlier (the simulator's out-of-order completions). */
  readonly reorderedCompletions: number;
}

/** What a case may do besides power cuts. */
export interface CrashCaseOptions {
  /**
   * Operations a case may fail once with EIO or ENOSPC in the middle of a boot; then it closes and
   * reopens the log in the same boot (no reboot: the page cache still shows what a failed
   * fdatasync lost) and goes on. Default DEFAULT_FAULT_OPS; [] for power cuts only.
   */
  readonly faultOps?: readonly FaultOp[];
}

export const DEFAULT_FAULT_OPS: readonly FaultOp[] = ['writev', 'datasync', 'rename', 'syncDir'];
/** Chance that one open of the log gets a fault armed while it runs. */
const FAULT_RATE = 0.15;

/** Turns allowed for a dead boot's pending appends to reject. */
const SETTLE_TURNS = 2000;
/** Records a boot may submit; bounds the size of a case's log. */
const BOOT_RECORDS_MAX = 800;

/** Crash points: some early (open, recovery), the rest anywhere in a few hundred turns of I/O. */
function drawCrashTurns(prng: Prng): number {
  return prng.bool(0.15) ? prng.int(0, 40) : prng.int(0, 500);
}

interface CaseContext {
  readonly seed: number;
  readonly prng: Prng;
  readonly sim: SimFileIO;
  readonly kase: CrashCase;
  readonly model: LogModel;
  readonly maxRecordBytes: number;
  readonly faultOps: readonly FaultOp[];
  readonly stats: CaseStats;
}

/** Checks a just-opened system against the model, on what its `readAll` finds. */
async function checkOpened(context: CaseContext, io: FileIO, log: CrashTarget): Promise<void> {
  const { model, kase } = context;
  let payloads: Uint8Array[];
  try {
    payloads = await kase.readAll(io);
  } catch (error) {
    throw model.fail(`reading the recovered log failed: ${describeError(error)}`, error);
  }
  const { unackedSurvivors } = model.check(payloads, log.nextOffset);
  context.stats.opens++;
  context.stats.unackedSurvivors += unackedSurvivors;
  if (log.recoveredTornTail) context.stats.tornTails++;
}

/** Arms one EIO/ENOSPC on a random operation after a random number of turns, unless the boot ended. */
function maybeArmFault(context: CaseContext, run: BootRun, isOver: () => boolean): void {
  const { prng, sim, faultOps } = context;
  if (faultOps.length === 0 || !prng.bool(FAULT_RATE)) return;
  const op = prng.pick(faultOps);
  const code = prng.pick(['EIO', 'ENOSPC'] as const);
  void waitTurns(prng.int(0, 200)).then(() => {
    if (isOver()) return;
    run.faultArmed = true;
    sim.faults.failNext(op, { code });
  });
}

/** Runs appenders on `log` until the power is cut, a fault fails it, or it is time to close; then closes. */
async function runOneOpen(context: CaseContext, log: CrashTarget, run: BootRun, timer: CrashTimer): Promise<void> {
  const { prng, maxRecordBytes } = context;
  const turnsBeforeClose = prng.bool(0.3) ? prng.int(1, 300) : Number.POSITIVE_INFINITY;
  let stopping = false;
  let capped = false;
  const stop = (): boolean => {
    if (!capped && run.submittedRecords >= BOOT_RECORDS_MAX) {
      // Enough records for this boot: cut the power while the last batches drain, not when idle.
      capped = true;
      timer.fireWithin(prng.int(0, 30));
    }
    return stopping || capped || timer.fired || run.faulted;
  };
  const appenders = Array.from({ length: prng.int(1, 7) }, () => appender({ log, run, prng, maxRecordBytes, stop }));
  maybeArmFault(context, run, () => stopping || timer.fired);
  for (let turn = 0; turn < turnsBeforeClose && !timer.fired && !run.faulted; turn++) await nextTurn();
  stopping = true;
  if (run.faulted) context.stats.faults++;
  await Promise.race([Promise.all(appenders), timer.whenFired()]);
  if (!timer.fired) {
    // Half the closes are aimed at: the power goes within a few turns of the close starting.
    if (prng.bool(0.5)) timer.fireWithin(prng.int(0, 10));
    const closing = run.track(log.close());
    // Close must work, after a fault too; only a power cut may stop it.
    closing.catch((error: unknown) => (timer.fired ? run.checkError('close', error) : run.record(context.model.fail(`close failed: ${describeError(error)}`, error))));
    await Promise.race([closing.catch(() => undefined), timer.whenFired()]);
    if (timer.fired) context.stats.crashesInClose++;
  }
  context.stats.filesCreated += log.filesCreated();
}

/** One boot: open, check, append (closing and reopening at times) until the power is cut. */
async function runBoot(context: CaseContext, bootIndex: number): Promise<void> {
  const { sim, prng, model } = context;
  const io = sim.boot();
  const timer = new CrashTimer(sim, drawCrashTurns(prng));
  const run = new BootRun(model, () => timer.fired);
  try {
    await runBootUntilCrash(context, bootIndex, io, timer, run);
  } finally {
    // A failed check leaves the timer armed (and maybe paused): stop it, or it spins forever.
    timer.stop();
  }
}

async function runBootUntilCrash(
  context: CaseContext,
  bootIndex: number,
  io: FileIO,
  timer: CrashTimer,
  run: BootRun,
): Promise<void> {
  const { sim, prng, model, kase } = context;
  // Recovery of many small segments takes hundreds of turns: most boots count from after it.
  if (prng.bool(0.7)) timer.pause();
  while (!timer.fired && run.failure === null) {
    model.where = `boot ${bootIndex}, open ${context.stats.opens + 1}`;
    let log: CrashTarget;
    try {
      log = await run.track(kase.open(io, prng));
    } catch (error) {
      run.checkError('open', error);
      if (timer.fired) context.stats.crashesInOpen++;
      if (timer.fired || run.failure !== null) break;
      continue; // an injected fault hit recovery: open again
    }
    // The check must not be cut short by the crash: no turns count while it runs.
    timer.pause();
    await checkOpened(context, io, log);
    timer.resume();
    run.faulted = false;
    model.where = `boot ${bootIndex}, appending after open ${context.stats.opens}`;
    await runOneOpen(context, log, run, timer);
  }
  timer.resume();
  await timer.whenFired();
  // Faults armed in the dead boot do not carry over into the next one.
  sim.faults.clear();
  await run.settle(SETTLE_TURNS);
  if (run.failure !== null) throw run.failure;
}

/** The last boot: no crash; check, append, close, reopen, check everything again. */
async function finalBoot(context: CaseContext): Promise<void> {
  const { sim, prng, model, kase } = context;
  const io = sim.boot();
  const run = new BootRun(model, () => false);
  model.where = 'final boot, open';
  const log = await kase.open(io, prng);
  await checkOpened(context, io, log);
  const target = run.submittedRecords + prng.int(1, 200);
  model.where = 'final boot, appending';
  const stop = (): boolean => run.submittedRecords >= target;
  const { maxRecordBytes } = context;
  await Promise.all(Array.from({ length: 3 }, () => appender({ log, run, prng, maxRecordBytes, stop })));
  await log.close();
  if (run.failure !== null) throw run.failure;
  const ackedEnd = model.ackedEnd;
  model.where = 'final boot, reopen after a clean close';
  const reopened = await kase.open(io, prng);
  await checkOpened(context, io, reopened);
  if (reopened.nextOffset !== ackedEnd) throw model.fail(`after a clean close the log reopens at ${reopened.nextOffset}, not ${ackedEnd}`);
  await reopened.close();
  context.stats.filesCreated += log.filesCreated() + reopened.filesCreated();
}

/** Runs the case `seed` of `system`; resolves with its counts or rejects with a CrashCheckFailure. */
export async function runCrashCase(
  seed: number,
  system: CrashSystem,
  options: CrashCaseOptions = {},
): Promise<CrashCaseResult> {
  const prng = new Prng(seed);
  const sim = new SimFileIO({ seed: prng.nextU32() });
  // Most cases let calls complete out of issue order: writes and flushes of batches in flight
  // together then land, and are cut by the crash, in any order.
  sim.faults.completionJitterTurns = prng.pick([0, 1, 3]);
  const model = new LogModel(seed);
  const kase = system.drawCase(prng, seed);
  const maxRecordBytes = kase.maxRecordBytes;
  const stats = emptyCaseStats();
  const faultOps = options.faultOps ?? DEFAULT_FAULT_OPS;
  const context: CaseContext = { seed, prng, sim, kase, model, maxRecordBytes, faultOps, stats };
  const crashes = prng.int(2, 7);
  try {
    // The system's parent directory must be durable; the system makes its own directory durable.
    await sim.mkdirp('/data');
    await sim.syncDir('/');
    for (let boot = 0; boot < crashes; boot++) await runBoot(context, boot);
    await finalBoot(context);
  } catch (error) {
    if (error instanceof CrashCheckFailure) throw error;
    throw model.fail(`unexpected error: ${describeError(error)}`, error);
  }
  const { writes, bytesWritten, datasyncs, reorderedCompletions } = sim.counters;
  const counters = { writes, bytesWritten, datasyncs, reorderedCompletions };
  return { seed, crashPoints: crashes, ...stats, acks: model.acks, records: model.ackedEnd, ...counters };
}
