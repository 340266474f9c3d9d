/**
 * One job: compare a damaged copy of a log with the original, byte by byte, and say what the store
 * must then do. The rules follow docs/format.md ("Finding the end of the log"):
 *
 * - Segments that no longer continue each other (a deleted middle segment), or a damaged header of
 *   a segment open reads (the first, the second-to-last, the last) while other segments remain:
 *   open refuses (SEGLOG_CORRUPT or SEGLOG_UNSUPPORTED_FORMAT). Open trusts the trailers instead of
 *   reading the sealed segments between them, so a damaged header there may be caught at open or
 *   on read: open refuses or a full read ends in SEGLOG_CORRUPT.
 * - In the last segment, a damaged batch followed by a valid batch at or past its offset (an
 *   undamaged later batch, or a copy of one moved by a splice): open refuses with SEGLOG_CORRUPT
 *   naming that segment and the damaged batch's byte position.
 * - In the last segment, damage with nothing valid after it: a torn tail; open succeeds and the
 *   log ends exactly at the first damaged batch (the documented limit of the design).
 * - A damaged batch in an earlier (closed) segment: open may not see it (it trusts the trailers of
 *   closed segments), so open refuses or a full read ends in SEGLOG_CORRUPT. A valid batch at or
 *   past a closed segment's end offset lying after its end: open may refuse (when it scans that
 *   segment), or succeed with every record (reads never go past a closed segment's end).
 * - The log, read as above, ends below the durable end in HEAD (a cut or zeroed tail of the last
 *   segment, a deleted last segment): acknowledged records are missing, so open refuses with
 *   SEGLOG_CORRUPT naming the last segment and the byte where it ends (issue 9 item 6).
 * - Anything else (index files, padding, preallocated zeros, next.seg.tmp): open succeeds with
 *   every record.
 * In every case no record below the first damaged offset may be lost.
 */
import { HEAD_FILE_NAME, SEGMENT_HEADER_BYTES, decodeBatch, decodeHead, decodeSegmentHeader } from '@seglog/format';
import type { LogFiles, SegmentLayout } from '@seglog/testkit';
import type { BaseLog } from './fuzz-base-log.js';

export interface Expectation {
  /** Open must refuse; why, for failure messages. Null when open may succeed. */
  readonly mustRefuse: string | null;
  /** When open refuses because of tail-segment corruption alone: the exact file and byte it must name. */
  readonly corruptAt: { readonly name: string; readonly positionBytes: number } | null;
  /** A header was damaged, so SEGLOG_UNSUPPORTED_FORMAT is an acceptable refusal too. */
  readonly headerDamaged: boolean;
  /** When open succeeds: the first offset it must report. */
  readonly firstOffset: number;
  /** When open succeeds and nothing forbids it: the exact nextOffset; null when open must refuse anyway. */
  readonly nextOffset: number | null;
  /** A closed segment's batch is damaged: if open succeeds, a full read must end in SEGLOG_CORRUPT. */
  readonly readMustFail: boolean;
  /** Offsets below this (and at or above firstOffset) were not touched and must stay readable. */
  readonly intactBelow: number;
  /** Open may refuse though the log reads back whole (stray valid batches after a closed segment's end). */
  readonly mayRefuse: boolean;
}

function differs(original: Uint8Array, damaged: Uint8Array, from: number, to: number): boolean {
  if (damaged.length < to) return true;
  for (let i = from; i < to; i++) if (original[i] !== damaged[i]) return true;
  return false;
}

/**
 * True when a block from `fromPosition` on holds a batch that verifies (checksum with this log's
 * id) and starts at or past `expectedOffset`: the spec's proof that acknowledged data follows the
 * place where the chain stops. It may be an undamaged later batch, or a copy of one that a splice
 * moved, even onto the very block where the chain stops.
 */
function validBatchBeyond(
  damaged: Uint8Array,
  logId: Uint8Array,
  blockBytes: number,
  fromPosition: number,
  expectedOffset: number,
): boolean {
  for (let position = fromPosition; position < damaged.length; position += blockBytes) {
    const batch = decodeBatch(logId, damaged, position, blockBytes);
    if (batch !== null && batch.header.firstOffset >= expectedOffset) return true;
  }
  return false;
}

/** Where the chain of an undamaged segment ends: the block after its last batch. */
function chainEndBytes(segment: SegmentLayout, blockBytes: number): number {
  const lastBatch = segment.batches[segment.batches.length - 1];
  return lastBatch === undefined ? blockBytes : Math.ceil(lastBatch.endBytes / blockBytes) * blockBytes;
}

/** Indexes of the batches of `segment` whose checksummed bytes changed or were cut off. */
function touchedBatches(segment: SegmentLayout, original: Uint8Array, damaged: Uint8Array): number[] {
  const touched: number[] = [];
  segment.batches.forEach((batch, i) => {
    if (differs(original, damaged, batch.positionBytes, batch.endBytes)) touched.push(i);
  });
  return touched;
}

export function expectationFor(base: BaseLog, files: LogFiles): Expectation {
  const remaining = base.segments.filter((segment) => files.has(segment.name));
  const reasons: string[] = [];
  let intactBelow = Number.POSITIVE_INFINITY;
  const lose = (offset: number): void => void (intactBelow = Math.min(intactBelow, offset));

  for (let i = 1; i < remaining.length; i++) {
    if (remaining[i]!.baseOffset !== remaining[i - 1]!.endOffset) {
      reasons.push(`records missing between ${remaining[i - 1]!.name} and ${remaining[i]!.name}`);
      lose(remaining[i - 1]!.endOffset);
    }
  }
  const last = remaining[remaining.length - 1]!;
  const { logId } = decodeSegmentHeader(base.files.get(base.segments[0]!.name)!, 'base');
  if (last !== base.segments[base.segments.length - 1]) lose(last.endOffset);

  let headerDamaged = false;
  let readMustFail = false;
  let mayRefuse = false;
  // The segments whose headers open reads: the first, the second-to-last and the last.
  const readAtOpen = new Set([remaining[0], remaining[remaining.length - 2], last]);
  let corruptAt: Expectation['corruptAt'] = null;
  let tailEnd = last.endOffset;
  let tailBytes = chainEndBytes(last, base.options.blockBytes);
  for (const segment of remaining) {
    const original = base.files.get(segment.name)!;
    const damaged = files.get(segment.name)!;
    if (differs(original, damaged, 0, SEGMENT_HEADER_BYTES)) {
      headerDamaged = true;
      lose(segment.baseOffset);
      if (remaining.length > 1 && readAtOpen.has(segment)) reasons.push(`header of ${segment.name} damaged`);
      else if (remaining.length > 1) readMustFail = true;
    }
    const touched = touchedBatches(segment, original, damaged);
    const first = touched.length > 0 ? segment.batches[touched[0]!]! : null;
    if (first !== null) lose(first.firstOffset);
    const { blockBytes } = base;
    if (segment !== last) {
      // Recovery may start this sealed segment at its last index entry, past the damage: then only
      // a read finds it. But it always checks past the segment's end for valid later batches.
      if (first !== null) readMustFail = true;
      const chainEnd = chainEndBytes(segment, blockBytes);
      if (validBatchBeyond(damaged, logId, blockBytes, chainEnd, segment.endOffset)) mayRefuse = true;
      continue;
    }
    const breakBytes = first === null ? chainEndBytes(segment, blockBytes) : first.positionBytes;
    const breakOffset = first === null ? segment.endOffset : first.firstOffset;
    if (validBatchBeyond(damaged, logId, blockBytes, breakBytes, breakOffset)) {
      reasons.push(`the chain of ${segment.name} stops at byte ${breakBytes} with valid batches after it`);
      corruptAt = { name: segment.name, positionBytes: breakBytes };
    } else {
      tailEnd = breakOffset;
      tailBytes = breakBytes;
    }
  }
  const headBytes = files.get(HEAD_FILE_NAME);
  const head = headBytes === undefined ? null : decodeHead(headBytes, HEAD_FILE_NAME);
  if (reasons.length === 0 && !headerDamaged && head !== null && tailEnd < head.durableOffset) {
    reasons.push(`the log ends at ${tailEnd} below HEAD's acknowledged ${head.durableOffset}`);
    corruptAt = { name: last.name, positionBytes: tailBytes };
  }
  const onlyTailCorruption = corruptAt !== null && reasons.length === 1;
  return {
    mustRefuse: reasons.length > 0 ? reasons.join('; ') : null,
    corruptAt: onlyTailCorruption && !readMustFail && !headerDamaged && !mayRefuse ? corruptAt : null,
    headerDamaged,
    firstOffset: remaining[0]!.baseOffset,
    nextOffset: reasons.length > 0 || headerDamaged ? null : tailEnd,
    readMustFail,
    intactBelow,
    mayRefuse,
  };
}
