/**
 * One job: raise the log's low-water mark (`truncateBefore` and automatic retention), honouring
 * retention holds, and unlink the whole segments below it.
 *
 * Steps, each safe to cut by a crash:
 * 1. HEAD records the intent to drop below `offset` (pendingTruncation kind 2), flushed. From here
 *    a hold setter in any process waits for step 3 before trusting the mark (retention-holds.ts).
 * 2. The holds are read. Unless forced, the mark stops at the lowest hold below `offset`.
 * 3. HEAD's `firstOffset` is raised to the mark and the intent cleared, flushed: records below the
 *    mark are unreadable from now on, in every process.
 * 4. The segments holding only records below the mark are unlinked, then the directory fsynced
 *    (segment-dropper.ts). A crash before this finishes is finished by the next open.
 * A crash after step 1 and before step 3 leaves an intent that the next open clears: nothing was
 * dropped, and the next pass or call decides again.
 */
import type { FileIO } from '@seglog/types';
import type { HeadCheckpoint } from './head-checkpoint.js';
import { listRetentionHolds } from './retention-holds.js';
import type { RetentionHold } from './retention-holds.js';
import { dropSegmentsBelow } from './segment-dropper.js';

/** What a raise of the low-water mark did. */
export interface TruncateBeforeResult {
  /** The low-water mark now: the oldest readable offset. */
  readonly firstOffset: number;
  /** Whole segments unlinked (their `.idx` files with them) and their bytes. */
  readonly segmentsDropped: number;
  readonly bytesDropped: number;
  /**
   * Holds below the offset asked for, which kept the mark at the lowest of them (empty when none
   * was in the way, or when forced).
   */
  readonly heldBy: readonly RetentionHold[];
  /**
   * With `force`: the holds the drop went past. Their holders lost records
   * [hold.offset, firstOffset) and get SEGLOG_BEHIND_RETENTION when they read there.
   */
  readonly overriddenHolds: readonly RetentionHold[];
}

export interface RaiseInput {
  readonly io: FileIO;
  readonly dir: string;
  readonly head: HeadCheckpoint;
  /** The current low-water mark. */
  readonly current: number;
  /** The mark asked for. */
  readonly offset: number;
  readonly force: boolean;
}

export async function raiseLowWater(input: RaiseInput): Promise<TruncateBeforeResult> {
  const { io, dir, head, current, offset, force } = input;
  const unchanged = { firstOffset: current, segmentsDropped: 0, bytesDropped: 0, heldBy: [], overriddenHolds: [] };
  if (offset <= current) return unchanged;
  await head.markDropIntent(offset);
  let holds: RetentionHold[];
  try {
    holds = (await listRetentionHolds({ dir, io })).filter((hold) => hold.offset < offset);
  } catch (error) {
    await head.raiseFirstOffset(current); // clears the intent; a damaged hold stops the drop
    throw error;
  }
  const lowest = holds[0]?.offset;
  const mark = force || lowest === undefined ? offset : Math.max(current, lowest);
  await head.raiseFirstOffset(mark); // commits the mark and clears the intent
  if (mark <= current) return { ...unchanged, heldBy: holds };
  const dropped = await dropSegmentsBelow(io, dir, mark);
  return {
    firstOffset: mark,
    segmentsDropped: dropped.segments,
    bytesDropped: dropped.bytes,
    heldBy: force ? [] : holds,
    overriddenHolds: force ? holds : [],
  };
}
