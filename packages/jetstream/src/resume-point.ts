/**
 * One job: decide where shipping resumes, from the stream's last message and the local log's
 * range. Pure, so every case is a unit test.
 *
 * The stream, not a local file, is the authority: the shipper may have crashed after JetStream
 * stored a message and before anything local was written, so only the stream knows the last
 * record it holds. Because every publish names the stream sequence it must follow, the stream is
 * always a gap-free prefix of the log (from where shipping started), and "one past its last
 * offset" is exactly the first record it lacks.
 */
import { ErrorCodes, SeglogError } from '@seglog/types';
import type { ShippedRecordMeta } from './message-headers.js';

/** The last message of the shipper's subject, or null when the subject is empty. */
export interface StreamTail {
  /** Its stream sequence: the next publish must name it as the expected last subject sequence. */
  readonly seq: number;
  /** Null when the message is not a shipper's (someone else published on the subject). */
  readonly meta: ShippedRecordMeta | null;
}

export interface LocalRange {
  readonly logIdHex: string;
  /** The log's low-water mark: records below it are gone. */
  readonly firstOffset: number;
  /** One past the last durable record. */
  readonly durableOffset: number;
}

export interface ResumePoint {
  /** The first offset to publish. */
  readonly fromOffset: number;
  /** The stream sequence of the subject's last message (0: empty). */
  readonly lastSeq: number;
  /** Offsets the stream lacks that the log no longer has (`onBehind: 'skip'` only); else null. */
  readonly skipped: { readonly fromOffset: number; readonly toOffset: number } | null;
}

export type BehindPolicy = 'fail' | 'skip';

/**
 * `streamLastSeq` is the stream's last sequence, used when the subject is empty: the stream holds
 * only the log's subject, so it is 0 unless the stream was purged.
 */
export function resumePoint(
  tail: StreamTail | null,
  streamLastSeq: number,
  local: LocalRange,
  onBehind: BehindPolicy,
): ResumePoint {
  if (tail === null) return { fromOffset: local.firstOffset, lastSeq: streamLastSeq, skipped: null };
  const meta = tail.meta;
  if (meta === null) {
    throw new SeglogError(ErrorCodes.JETSTREAM_DIVERGED, `the stream's last message (seq ${tail.seq}) on the shipper's subject was not published by a shipper`);
  }
  if (meta.logIdHex !== local.logIdHex) {
    throw new SeglogError(
      ErrorCodes.JETSTREAM_DIVERGED,
      `the stream holds records of log ${meta.logIdHex}, not of this log (${local.logIdHex}): give each log its own stream`,
      { offset: meta.offset },
    );
  }
  const next = meta.offset + 1;
  if (next > local.durableOffset) {
    throw new SeglogError(
      ErrorCodes.JETSTREAM_DIVERGED,
      `the stream already holds offset ${meta.offset}, past the log's durable end ${local.durableOffset} (was the log truncated or replaced?)`,
      { offset: meta.offset },
    );
  }
  if (next >= local.firstOffset) return { fromOffset: next, lastSeq: tail.seq, skipped: null };
  if (onBehind === 'skip') {
    const skipped = { fromOffset: next, toOffset: local.firstOffset };
    return { fromOffset: local.firstOffset, lastSeq: tail.seq, skipped };
  }
  throw new SeglogError(
    ErrorCodes.JETSTREAM_GAP,
    `the stream ends at offset ${meta.offset} but the log now starts at ${local.firstOffset}: records ${next}..${local.firstOffset - 1} were dropped before they were shipped (ship with onBehind: 'skip' to go on without them)`,
    { offset: next, firstOffset: local.firstOffset },
  );
}
