/**
 * One job: at open, compare what recovery found with the HEAD checkpoint, and decide the HEAD
 * state the log continues with.
 *
 * HEAD's `durableOffset` is a lower bound of what was acknowledged (head-checkpoint.ts). So if
 * recovery ends below it, acknowledged records are gone (a cut or zeroed tail, a deleted
 * segment) and reusing their offsets would give a consumer different data under a number it
 * has already read: SEGLOG_CORRUPT naming both offsets. With `acceptDataLoss` the open goes on:
 * the lost offsets are handed out again and `truncateEpoch` is bumped so readers can tell.
 * What no check can see: records acknowledged after HEAD's last flush (at most about one second
 * of them, or since the last roll) lost together with that part of HEAD. docs/reliability.md.
 */
import { join } from 'node:path';
import { SeglogError } from '@seglog/types';
import { HEAD_FILE_NAME } from '@seglog/format';
import type { HeadState } from '@seglog/format';
import type { FoundHead } from './head-checkpoint.js';

/** Offsets that were acknowledged but are not in the log any more: [fromOffset, toOffset). */
export interface LostRecords {
  readonly fromOffset: number;
  readonly toOffset: number;
}

export interface HeadCheckInput {
  readonly dir: string;
  readonly found: FoundHead;
  /** Where recovery ends (0 for a log with no segments). */
  readonly recoveredEnd: number;
  /** The id in the segments, or null when there are none. */
  readonly logId: Uint8Array | null;
  /** Where the log ends on disk: the last segment and the byte the next batch goes to (null: no segments). */
  readonly tail: { readonly file: string; readonly positionBytes: number } | null;
  readonly acceptDataLoss: boolean;
}

export interface HeadCheckResult {
  readonly lost: LostRecords | null;
  /** HEAD as the log continues it, or null: no HEAD yet, or one that must be replaced (create a fresh one). */
  readonly continueFrom: HeadState | null;
  /** Fields a fresh HEAD carries over (the epoch, bumped after an accepted loss). */
  readonly truncateEpoch: number;
}

function sameId(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, index) => byte === b[index]);
}

/**
 * Throws SEGLOG_CORRUPT unless the caller accepts the loss. It points at where the log ends (the
 * last segment and byte), or at HEAD when there is no segment: that is where records are missing.
 */
function refuseUnlessAccepted(input: HeadCheckInput, message: string, offset?: number): void {
  if (input.acceptDataLoss) return;
  const where = input.tail ?? { file: join(input.dir, HEAD_FILE_NAME), positionBytes: 0 };
  const details = offset === undefined ? where : { ...where, offset };
  throw SeglogError.corrupt(`${message}; open with acceptDataLoss: true to continue without them (their offsets are then reused)`, details);
}

export function checkHead(input: HeadCheckInput): HeadCheckResult {
  const { found, recoveredEnd, logId } = input;
  const file = join(input.dir, HEAD_FILE_NAME);
  if (found.kind === 'missing') return { lost: null, continueFrom: null, truncateEpoch: 0 };
  if (found.kind === 'invalid') {
    // HEAD is created whole (temp + rename) and each write touches one slot, so a crash cannot
    // leave both slots invalid: something else damaged it, and how far the log went is unknown.
    refuseUnlessAccepted(input, `${file} has no valid slot: it is damaged, so whether acknowledged records were lost cannot be checked`);
    return { lost: null, continueFrom: null, truncateEpoch: 0 };
  }
  const head = found.state;
  if (logId !== null && !sameId(head.logId, logId)) {
    refuseUnlessAccepted(input, `${file} belongs to another log (its log id differs from the segments')`);
    return { lost: null, continueFrom: null, truncateEpoch: head.truncateEpoch + 1 };
  }
  if (recoveredEnd < head.durableOffset) {
    const lost = { fromOffset: recoveredEnd, toOffset: head.durableOffset };
    refuseUnlessAccepted(
      input,
      `the log ends at offset ${recoveredEnd} but ${file} records offsets up to ${head.durableOffset} as acknowledged: ${head.durableOffset - recoveredEnd} acknowledged record(s) [${recoveredEnd}, ${head.durableOffset}) are missing`,
      recoveredEnd,
    );
    return { lost, continueFrom: null, truncateEpoch: head.truncateEpoch + 1 };
  }
  return { lost: null, continueFrom: head, truncateEpoch: head.truncateEpoch };
}
