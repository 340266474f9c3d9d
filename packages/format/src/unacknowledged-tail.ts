/**
 * One job: judge the valid batches found past where a segment's chain stops, by the rule that
 * tells the remains of batches in flight at a crash from acknowledged data behind damage. Store
 * recovery (which refuses to open on the second) and `seglog verify` / `repair` (which report it)
 * call this one function, so the library and the tools can never disagree about the same bytes.
 *
 * The rule (docs/format.md, "Finding the end of the log"): a writer keeps at most
 * `limits.batchesInFlightCountMax` batches in flight, acknowledges them in offset order, and writes
 * in each header how far the log was acknowledged when it issued the batch (`ackedOffset`). So a
 * valid batch past the stop at offset E whose `ackedOffset` is at or below E was issued before the
 * batch at E was acknowledged, and since acknowledgements go in order, was never acknowledged
 * either: a torn tail. Any other valid batch there (one issued after E was acknowledged, a
 * version-1 batch, which a one-at-a-time writer wrote, one too many of them, or any at all in a
 * sealed segment, which a roll leaves only once everything in it is acknowledged) means
 * acknowledged data follows damage.
 */
import { limits, readLimits } from '@seglog/types';
import { findBatchBeyond } from './chain-scan.js';
import type { BatchBeyond, ChainFile } from './chain-scan.js';

/** Where a chain stopped: the byte position and the offset the missing batch would carry. */
export interface ChainStop {
  readonly endPositionBytes: number;
  readonly endOffset: number;
}

export type PastChainEnd =
  | {
      /** Nothing valid past the stop, or only batches that were in flight with the lost one. */
      readonly kind: 'unacknowledged';
      /** End of the last in-flight batch found; the stop itself when there is none. */
      readonly staleEndBytes: number;
      /** How many in-flight batches were found past the stop. */
      readonly batches: number;
    }
  | {
      /** A valid batch past the stop that may have been acknowledged: damage, not a torn tail. */
      readonly kind: 'acknowledged';
      /** The first such batch. */
      readonly beyond: BatchBeyond;
      /** Why it counts as acknowledged, for messages. */
      readonly why: 'version-1' | 'acked-after-stop' | 'too-many' | 'sealed-segment';
    };

/**
 * Judges every valid batch past `stop` in `file`. `isLast` says the segment is the log's last,
 * the only one that can hold batches in flight. Reads from the stop to the last batch found, and
 * never past `limits.batchesInFlightCountMax` batches.
 */
export async function judgePastChainEnd(
  file: ChainFile,
  stop: ChainStop,
  isLast: boolean,
  windowBytes: number = readLimits.scanWindowBytes,
): Promise<PastChainEnd> {
  let staleEndBytes = stop.endPositionBytes;
  for (let found = 1; ; found++) {
    const beyond = await findBatchBeyond(file, staleEndBytes, stop.endOffset, windowBytes);
    if (beyond === null) return { kind: 'unacknowledged', staleEndBytes, batches: found - 1 };
    const ackedOffset = beyond.header.ackedOffset;
    if (!isLast) return { kind: 'acknowledged', beyond, why: 'sealed-segment' };
    if (ackedOffset === undefined) return { kind: 'acknowledged', beyond, why: 'version-1' };
    if (ackedOffset > stop.endOffset) return { kind: 'acknowledged', beyond, why: 'acked-after-stop' };
    // The lost batch at the stop was in flight too, so at most `max - 1` can follow it.
    if (found >= limits.batchesInFlightCountMax) return { kind: 'acknowledged', beyond, why: 'too-many' };
    staleEndBytes = beyond.positionBytes + beyond.spanBytes;
  }
}

/** The judgement as a phrase for an error message: what the batch past the damage is. */
export function describeAcknowledgedBeyond(past: Extract<PastChainEnd, { kind: 'acknowledged' }>): string {
  const ackedOffset = past.beyond.header.ackedOffset;
  if (ackedOffset === undefined) return 'a version-1 batch';
  const issued = `issued when offsets below ${ackedOffset} were acknowledged`;
  if (past.why === 'too-many') return `${issued}, more batches than a writer keeps in flight`;
  return issued;
}
