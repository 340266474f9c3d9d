/**
 * One job: concurrent appenders driven by a seeded PRNG against one CrashTarget, recording every
 * submission and acknowledgement in the model, and checking how each append ends.
 *
 * Each appender loops: fire-and-forget appends, appendMany runs, appends it waits for, short
 * pauses, and now and then waits for all its own. Sizes run from 0 to maxRecordBytes, mostly small.
 * An append may only reject after the power was cut (then with SEGLOG_IO caused by the dead boot's
 * ESHUTDOWN/EBADF, or SEGLOG_CLOSED if a close was under way), or after a fault was injected (with
 * SEGLOG_IO caused by that EIO/ENOSPC); it may never resolve after the power cut.
 */
import { isSeglogError } from '@seglog/types';
import { describeError } from './crash-model.js';
import type { CrashCheckFailure, LogModel } from './crash-model.js';
import type { CrashTarget } from './crash-target.js';
import { nextTurn, waitTurns } from './crash-turns.js';
import type { Prng } from './prng.js';
import { errorCode } from './sim-errors.js';

/** Codes a call of a boot that lost power rejects with: fenced (new call) or killed (in flight). */
const DEAD_BOOT_CODES = new Set(['ESHUTDOWN', 'EBADF']);
/** Codes of the faults a case may inject. */
const INJECTED_CODES = new Set(['EIO', 'ENOSPC']);

/** Everything that one boot's program started, so it can be checked to settle after a crash. */
export class BootRun {
  readonly model: LogModel;
  readonly #crashed: () => boolean;
  readonly pending = new Set<Promise<unknown>>();
  failure: CrashCheckFailure | null = null;
  submittedRecords = 0;
  /** A fault (EIO/ENOSPC) was armed in this boot: operations may fail with it. */
  faultArmed = false;
  /** An operation failed with the armed fault: the log is failed until reopened. */
  faulted = false;

  constructor(model: LogModel, crashed: () => boolean) {
    this.model = model;
    this.#crashed = crashed;
  }

  get crashed(): boolean {
    return this.#crashed();
  }

  /** Keeps the first broken guarantee; the driver throws it when the boot ends. */
  record(failure: CrashCheckFailure): void {
    this.failure ??= failure;
  }

  track<T>(promise: Promise<T>): Promise<T> {
    this.pending.add(promise);
    const forget = (): void => void this.pending.delete(promise);
    promise.then(forget, forget);
    return promise;
  }

  /**
   * An error that ended an operation of this boot: fine if it is the crash's (after the power cut)
   * or the injected fault's (once one was armed); anything else breaks a guarantee.
   */
  checkError(operation: string, error: unknown): void {
    if (this.faultArmed && isFaultError(error)) {
      this.faulted = true;
      return;
    }
    if (!this.crashed) {
      this.record(this.model.fail(`${operation} failed with an error no injected fault explains: ${describeError(error)}`, error));
    } else if (!isCrashError(error)) {
      this.record(this.model.fail(`${operation} failed after the power cut with an unexpected error: ${describeError(error)}`, error));
    }
  }

  /** Waits up to `turns` turns for everything this boot started to settle. */
  async settle(turns: number): Promise<void> {
    for (let i = 0; i < turns && this.pending.size > 0; i++) await nextTurn();
    if (this.pending.size > 0) {
      this.record(this.model.fail(`${this.pending.size} operations still pending ${turns} turns after the power cut: a failed I/O engine must reject every pending append`));
    }
  }
}

/** SEGLOG_IO whose cause is the dead boot's, or SEGLOG_CLOSED from a close the crash cut short. */
export function isCrashError(error: unknown): boolean {
  if (isSeglogError(error, 'SEGLOG_CLOSED')) return true;
  if (!isSeglogError(error, 'SEGLOG_IO')) return false;
  return DEAD_BOOT_CODES.has(errorCode(error.cause) ?? '');
}

/** SEGLOG_IO caused by an injected EIO or ENOSPC, or SEGLOG_CLOSED from a log it failed. */
export function isFaultError(error: unknown): boolean {
  if (isSeglogError(error, 'SEGLOG_CLOSED')) return true;
  if (!isSeglogError(error, 'SEGLOG_IO')) return false;
  return INJECTED_CODES.has(errorCode(error.cause) ?? '');
}

export function drawPayloadBytes(prng: Prng, maxRecordBytes: number): number {
  const roll = prng.float();
  if (roll < 0.1) return 0;
  if (roll < 0.6) return prng.int(1, Math.min(64, maxRecordBytes) + 1);
  if (roll < 0.85) return prng.int(0, Math.min(512, maxRecordBytes) + 1);
  if (roll < 0.97) return prng.int(0, Math.min(2048, maxRecordBytes) + 1);
  return prng.int(0, maxRecordBytes + 1);
}

export interface AppenderConfig {
  readonly log: CrashTarget;
  readonly run: BootRun;
  readonly prng: Prng;
  readonly maxRecordBytes: number;
  /** True when the appender must stop submitting. */
  readonly stop: () => boolean;
}

/** Submits `payloads` as one append or appendMany and checks how it ends. */
function submit({ log, run }: AppenderConfig, payloads: Uint8Array[], many: boolean): Promise<void> {
  const before = log.nextOffset;
  const appended = many ? log.appendMany(payloads) : log.append(payloads[0]!);
  const submission = run.model.submit(payloads, before, log.nextOffset);
  run.submittedRecords += payloads.length;
  const checked = appended.then(
    (offset) => {
      if (run.crashed) run.record(run.model.fail(`append at offset ${offset} resolved after the power cut`));
      else run.model.ack(submission, offset);
    },
    (error: unknown) => run.checkError(`append of ${payloads.length} records (admitted at ${submission.predicted ?? 'a later turn'})`, error),
  ).catch((failure: CrashCheckFailure) => run.record(failure));
  return run.track(checked);
}

function payloads(config: AppenderConfig, count: number): Uint8Array[] {
  return Array.from({ length: count }, () => config.prng.bytes(drawPayloadBytes(config.prng, config.maxRecordBytes)));
}

/** One appender's loop; never rejects (every outcome is checked and recorded in the run). */
export async function appender(config: AppenderConfig): Promise<void> {
  const { prng, stop } = config;
  const mine: Array<Promise<void>> = [];
  while (!stop()) {
    const roll = prng.float();
    if (roll < 0.45) mine.push(submit(config, payloads(config, 1), false));
    else if (roll < 0.6) mine.push(submit(config, payloads(config, prng.int(1, 9)), true));
    else if (roll < 0.75) await submit(config, payloads(config, 1), false);
    else if (roll < 0.9) await waitTurns(prng.int(1, 4));
    else await Promise.all(mine.splice(0));
    if (mine.length > 8) await mine.shift();
  }
  await Promise.all(mine);
}
