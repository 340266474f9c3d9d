/**
 * One job: on open, find the end of the valid log and prove nothing acknowledged is missing.
 *
 * Sealed segments (every one but the last) are not read: a roll left a trailer in each (format's
 * segment-trailer.ts), and open reads only two of them, the first segment's and the second-to-last's,
 * with their headers. Each trailer must agree with the names around it (its own base, and the next
 * segment's base as its end), and their ordinals must be as far apart as the names between them
 * are many, so a segment missing from the middle is still noticed; the cost does not grow with the
 * number of segments. Damage inside a sealed segment is found when it is read (every batch is
 * verified) and by `seglog verify`. When the two trailers do not vouch for the rest (a v1 log, a
 * log sealed before trailers, a trailer damaged or disagreeing), every sealed segment is checked
 * one by one: its trailer if it has a good one, otherwise a scan from the last index entry that
 * verifies, as before trailers. That walk reports exactly which link is broken.
 *
 * The last segment is scanned from the last batch that HEAD vouches for: its index's last entry
 * that verifies and lies below HEAD's durable end (an acknowledged, hence durable, batch, so the
 * chain before it was complete). What open then proves about the tail is unchanged, because every
 * batch that a crash can have torn lies after that entry: batches are acknowledged in offset order
 * and HEAD only ever records acknowledged ends. The part before the entry (at least
 * `readLimits.recoveryTrustedPrefixBytesMin`, else it is scanned too) is verified after open, in
 * the background (tail-prefix-check.ts), and on every read, like a sealed segment. Without a valid
 * HEAD of this log, or an index entry to start from, the last segment is scanned whole.
 *
 * Where the last segment's chain stops, a valid batch further on means
 * acknowledged data follows damage (SEGLOG_CORRUPT with file and position), unless its header says
 * it was issued before the stop was acknowledged (`unacknowledgedBeyond`): then it and the lost
 * batch were in flight together at the crash, never acknowledged, and all of it is a torn tail,
 * which the writer zeroes. A trailer found at the stop is a roll cut short by the crash, not a torn
 * tail. The log continues where the chain stopped.
 */
import { join } from 'node:path';
import { limits, readLimits, SeglogError } from '@seglog/types';
import type { FileHandle, FileIO } from '@seglog/types';
import {
  NEXT_SEGMENT_TMP,
  blockHoldsData,
  checkSegmentHeader,
  decodeIndexEntries,
  encodeIndexEntries,
  batchAt,
  decodeSegmentTrailer,
  equalBytes,
  describeAcknowledgedBeyond,
  judgePastChainEnd,
  indexFileName,
  parseSegmentFileName,
  readAt,
  readFully,
  readSegmentTrailer,
  scanChain,
  trailerMismatch,
} from '@seglog/format';
import type {
  ChainFile,
  ChainScan,
  IndexEntry,
  PassedBatch,
  SegmentExpectation,
  SegmentHeader,
  SegmentTrailer,
} from '@seglog/format';
import { wrapIo } from './io-errors.js';

export interface SegmentRef {
  readonly baseOffset: number;
  readonly path: string;
}

export interface RecoveryReport {
  readonly segments: number;
  /** Sealed segments whose trailer was read (2 at most, unless a trailer did not vouch for the rest). */
  readonly trailersRead: number;
  /** Sealed segments scanned because they had no trailer to trust (a v1 log, damage). */
  readonly sealedScanned: number;
  readonly batchesScanned: number;
  /**
   * Bytes at the start of the last segment that open did not scan because HEAD vouches for them
   * (verified in the background after open, and on read); 0 when it scanned the segment whole.
   */
  readonly tailTrustedBytes: number;
  /** Byte position in the last segment where a torn (non-zero, invalid) tail was dropped, or null. */
  readonly tornTailAt: number | null;
}

export interface RecoveredLog {
  readonly logId: Uint8Array;
  readonly blockBytes: number;
  readonly segments: SegmentRef[];
  readonly firstOffset: number;
  readonly nextOffset: number;
  /** Byte position where the next batch of the last segment goes. */
  readonly tailPositionBytes: number;
  /** Index entries of the last segment, rebuilt by the scan. */
  readonly tailIndex: IndexEntry[];
  /**
   * Byte position in the last segment where the batches that may not be durable begin (see
   * `unsettledFromBytes`), or null when it holds no batch. The writer rewrites and flushes them.
   */
  readonly tailRewriteFromBytes: number | null;
  /**
   * End of the remains of unacknowledged batches found past the end of the last segment's chain
   * (batches that were in flight with the torn one); `tailPositionBytes` when there are none. The
   * writer zeroes them before appending.
   */
  readonly tailStaleEndBytes: number;
  /** What the last segment's trailer will say when a roll seals it, as its scan found it. */
  readonly tailSeal: TailSeal;
  /** Format version of the last segment's header: an older one takes no new batches (segment-writer.ts). */
  readonly tailFormatVersion: number;
  /**
   * The append time of the log's last batch (the last segment's, or when it holds none the last
   * sealed segment's trailer), undefined when unknown (v1 batches, no trusted trailer). The writer
   * never stamps a smaller one, so append times rise with offsets across restarts even when the
   * clock stepped back, which `offsetForTime`'s binary search relies on.
   */
  readonly lastAppendTimeMs: number | undefined;
  /**
   * The start of the last segment that open trusted instead of scanning: the chain from block 1
   * must reach `positionBytes` carrying `offset` (tail-prefix-check.ts verifies it and counts its
   * batches, which `tailSeal.batches` leaves out). Null when the segment was scanned whole.
   */
  readonly tailTrusted: TrustedPrefix | null;
  readonly report: RecoveryReport;
}

/** The part of the last segment before a batch HEAD vouches for: [block 1, positionBytes). */
export interface TrustedPrefix {
  readonly positionBytes: number;
  /** The first offset of the batch at `positionBytes`: where the chain before it must end. */
  readonly offset: number;
}

/** What HEAD says when it is valid: which log it belongs to and how far it was acknowledged. */
export interface HeadVouch {
  readonly logId: Uint8Array;
  readonly durableOffset: number;
}

/** The active segment's trailer fields known at open (segment-writer.ts `SealState`). */
export interface TailSeal {
  readonly segmentSeq: number;
  readonly batches: number;
  readonly lastBatchPositionBytes: number | null;
  readonly firstAppendTimeMs: number | undefined;
  readonly lastAppendTimeMs: number | undefined;
}

export interface RecoveryOptions {
  readonly io: FileIO;
  readonly dir: string;
  readonly indexIntervalBytes: number;
  /** HEAD's claim (a valid HEAD after any pending truncation was finished), or null: scan whole. */
  readonly head?: HeadVouch | null;
}

/** Bytes read for a segment header: its block, up to the largest block size. */
const HEADER_READ_BYTES = limits.blockBytesMax;

/** Lists segments in offset order and removes a leftover preallocated file. Null when none exist. */
async function listSegments(io: FileIO, dir: string): Promise<SegmentRef[]> {
  const names = await wrapIo('readdir', dir, () => io.readdir(dir));
  if (names.includes(NEXT_SEGMENT_TMP)) await wrapIo('unlink', join(dir, NEXT_SEGMENT_TMP), () => io.unlink(join(dir, NEXT_SEGMENT_TMP)));
  const segments: SegmentRef[] = [];
  for (const name of names) {
    const baseOffset = parseSegmentFileName(name);
    if (baseOffset !== null) segments.push({ baseOffset, path: join(dir, name) });
  }
  return segments.sort((a, b) => a.baseOffset - b.baseOffset);
}

async function readHeader(
  handle: FileHandle,
  path: string,
  sizeBytes: number,
  expected: SegmentExpectation,
): Promise<SegmentHeader> {
  const bytes = new Uint8Array(Math.min(HEADER_READ_BYTES, sizeBytes));
  const read = await wrapIo('read', path, () => readFully(handle, bytes, 0));
  return checkSegmentHeader(bytes.subarray(0, read), path, expected);
}

/**
 * The longest verified prefix of a segment's index, or [] when none verifies. With `belowOffset`,
 * only entries of batches starting below it count (for the last segment: below HEAD's durable end).
 */
async function verifiedIndex(
  io: FileIO,
  file: ChainFile,
  path: string,
  indexPath: string,
  belowOffset = Number.POSITIVE_INFINITY,
): Promise<IndexEntry[]> {
  const stat = await wrapIo('stat', indexPath, () => io.stat(indexPath));
  if (stat === null || !stat.isFile || stat.sizeBytes === 0) return [];
  const handle = await wrapIo('open', indexPath, () => io.open(indexPath, 'read'));
  try {
    const bytes = new Uint8Array(stat.sizeBytes);
    const read = await wrapIo('read', indexPath, () => readFully(handle, bytes, 0));
    const entries = decodeIndexEntries(bytes.subarray(0, read)).filter((entry) => entry.firstOffset < belowOffset);
    for (let tries = 0; tries < readLimits.recoveryIndexTriesMax && entries.length > 0; tries++) {
      const last = entries[entries.length - 1]!;
      const step = await wrapIo('read', path, () => batchAt(file, last.blockNumber * file.blockBytes, last.firstOffset));
      if (step.kind === 'batch') return entries;
      entries.pop();
    }
    return [];
  } finally {
    await handle.close().catch(() => undefined);
  }
}

export async function writeIndexFile(io: FileIO, path: string, bytes: Uint8Array): Promise<void> {
  const handle = await wrapIo('open', path, () => io.open(path, 'truncate'));
  try {
    if (bytes.length > 0) await wrapIo('write', path, () => handle.writev([bytes], 0));
  } finally {
    await handle.close().catch(() => undefined);
  }
}

interface SegmentEnd {
  readonly header: SegmentHeader;
  readonly endOffset: number;
  readonly endPositionBytes: number;
  readonly sizeBytes: number;
  readonly batches: number;
  readonly entries: IndexEntry[];
  readonly rebuiltIndex: boolean;
  readonly tornTailAt: number | null;
  readonly rewriteFromBytes: number | null;
  readonly staleEndBytes: number;
  /** Byte position of the segment's last valid batch, or null when it holds none. */
  readonly lastBatchPositionBytes: number | null;
  /** The last segment's start that was not scanned (HEAD vouches for it), or null. */
  readonly trusted: TrustedPrefix | null;
}

/**
 * Where the last segment's scan may start: its last index entry that verifies and starts below
 * HEAD's durable end, when HEAD belongs to this log and the part before the entry is long enough
 * to be worth skipping. [] (scan whole) otherwise.
 */
async function trustedTailSeed(
  io: FileIO,
  file: ChainFile,
  segment: SegmentRef,
  head: HeadVouch | null,
): Promise<IndexEntry[]> {
  if (head === null || !equalBytes(head.logId, file.logId) || head.durableOffset <= segment.baseOffset) return [];
  const seed = await verifiedIndex(io, file, segment.path, indexPathOf(segment), head.durableOffset);
  const start = seed[seed.length - 1];
  const skippedBytes = start === undefined ? 0 : start.blockNumber * file.blockBytes;
  const worthIt = skippedBytes >= readLimits.recoveryTrustedPrefixBytesMin;
  return worthIt ? seed : [];
}

async function scanSegment(
  io: FileIO,
  segment: SegmentRef,
  isLast: boolean,
  indexIntervalBytes: number,
  log: SegmentExpectation['log'],
  head: HeadVouch | null = null,
): Promise<SegmentEnd> {
  const handle = await wrapIo('open', segment.path, () => io.open(segment.path, 'read'));
  try {
    const sizeBytes = await wrapIo('stat', segment.path, () => handle.sizeBytes());
    const header = await readHeader(handle, segment.path, sizeBytes, { baseOffset: segment.baseOffset, log });
    const file: ChainFile = { source: handle, sizeBytes, logId: header.logId, blockBytes: header.blockBytes };
    const seed = isLast
      ? await trustedTailSeed(io, file, segment, head)
      : await verifiedIndex(io, file, segment.path, indexPathOf(segment));
    const start = seed.length > 0 ? seed[seed.length - 1]! : { firstOffset: segment.baseOffset, blockNumber: 1 };
    const startBytes = start.blockNumber * header.blockBytes;
    const trusted = isLast && seed.length > 0 ? { positionBytes: startBytes, offset: start.firstOffset } : null;
    const scan = await wrapIo('read', segment.path, () =>
      scanChain(file, {
        positionBytes: startBytes,
        offset: start.firstOffset,
        indexIntervalBytes,
        seedEntries: seed.slice(0, -1),
      }),
    );
    const staleEndBytes = await wrapIo('read', segment.path, () => unacknowledgedBeyond(file, scan, isLast, segment.path));
    // Torn: bytes at the stop that are not a batch, or remains of batches in flight past it.
    const stale = staleEndBytes > scan.endPositionBytes;
    const holdsData = isLast && (stale || (await wrapIo('read', segment.path, () => blockHoldsData(file, scan.endPositionBytes))));
    // A trailer at the stop is a roll that a crash cut short before the next segment was named.
    const sealed = (): Promise<boolean> =>
      wrapIo('read', segment.path, () => sealsChain(file, segment, scan.endOffset, scan.endPositionBytes));
    const torn = holdsData && (stale || !(await sealed()));
    return {
      header,
      endOffset: scan.endOffset,
      endPositionBytes: scan.endPositionBytes,
      sizeBytes,
      batches: scan.batches,
      entries: scan.entries,
      rebuiltIndex: isLast || seed.length === 0,
      tornTailAt: torn ? scan.endPositionBytes : null,
      rewriteFromBytes: unsettledFromBytes(scan.recent),
      staleEndBytes,
      lastBatchPositionBytes: scan.lastBatchPositionBytes,
      trusted,
    };
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/**
 * The valid batches past where a segment's chain stops, if they can only be the remains of batches
 * that were in flight with the one lost at the stop; returns where they end (the stop itself when
 * there are none). The rule is format's `judgePastChainEnd` (unacknowledged-tail.ts), shared with
 * `seglog verify` and `repair`; anything it judges acknowledged means acknowledged data follows
 * damage: SEGLOG_CORRUPT.
 */
async function unacknowledgedBeyond(file: ChainFile, scan: ChainScan, isLast: boolean, path: string): Promise<number> {
  const past = await judgePastChainEnd(file, scan, isLast);
  if (past.kind === 'unacknowledged') return past.staleEndBytes;
  throw SeglogError.corrupt(
    `${path}: damaged batch at byte ${scan.endPositionBytes} (offset ${scan.endOffset}, ${scan.stop.reason}) is followed by valid data at byte ${past.beyond.positionBytes} (${describeAcknowledgedBeyond(past)}); refusing to drop acknowledged records`,
    { file: path, positionBytes: scan.endPositionBytes, offset: scan.endOffset },
  );
}


/**
 * Where the batches that may not be durable begin, among the last ones a scan passed. After a
 * failed flush Linux marks the pages clean (fsyncgate), so a reopen in the same boot reads from the
 * page cache batches the disk may never get: those in flight when the log failed. Every batch that
 * ends at or below the last batch's `ackedOffset` was acknowledged, hence durable; the rest may not
 * be (at most `limits.batchesInFlightCountMax`, all within `recent`). A version-1 batch was written
 * one at a time: only it. The writer rewrites them unchanged, so a torn rewrite changes no sector.
 */
function unsettledFromBytes(recent: readonly PassedBatch[]): number | null {
  const last = recent[recent.length - 1];
  if (last === undefined) return null;
  const ackedOffset = last.header.ackedOffset;
  if (ackedOffset === undefined) return last.positionBytes;
  const first = recent.find((batch) => batch.header.firstOffset + batch.header.recordCount > ackedOffset);
  return (first ?? last).positionBytes;
}

/**
 * Whether the block at `positionBytes` is this segment's trailer for a chain ending at `endOffset`:
 * a roll that wrote it and was cut short before the next segment was named. Not a torn tail.
 */
async function sealsChain(
  file: ChainFile,
  segment: SegmentRef,
  endOffset: number,
  positionBytes: number,
): Promise<boolean> {
  const decoded = decodeSegmentTrailer(await readAt(file.source, positionBytes, file.blockBytes), file.logId);
  return decoded.kind === 'trailer' && decoded.trailer.baseOffset === segment.baseOffset && decoded.trailer.endOffset === endOffset;
}

export function indexPathOf(segment: SegmentRef): string {
  return segment.path.replace(/[^/\\]+$/, indexFileName(segment.baseOffset));
}

/** The report of an open that found no segment (a new log). */
export const emptyRecoveryReport: RecoveryReport = {
  segments: 0,
  trailersRead: 0,
  sealedScanned: 0,
  batchesScanned: 0,
  tailTrustedBytes: 0,
  tornTailAt: null,
};

/** Recovers the log in `dir`; null when it holds no segment yet. */
export async function recoverLog(options: RecoveryOptions): Promise<RecoveredLog | null> {
  const { io, dir, indexIntervalBytes } = options;
  const segments = await listSegments(io, dir);
  if (segments.length === 0) return null;
  // Recovery builds on the names it sees, and a writer that failed between a rename and its
  // directory fsync may have left one that is not durable yet: make them all durable first.
  await wrapIo('fsync', dir, () => io.syncDir(dir));
  const lastRef = segments[segments.length - 1]!;
  const sealed = (await trustSealed(io, segments)) ?? (await walkSealed(io, segments, indexIntervalBytes));
  const tail = await scanSegment(io, lastRef, true, indexIntervalBytes, sealed.log, options.head ?? null);
  const log = sealed.log ?? { logId: tail.header.logId, blockBytes: tail.header.blockBytes, path: lastRef.path };
  await writeIndexFile(io, indexPathOf(lastRef), encodeIndexEntries(tail.entries));
  const tailSeal = await tailSealOf(io, lastRef, tail, sealed.lastSealedSeq);
  return {
    logId: log.logId,
    blockBytes: log.blockBytes,
    segments,
    firstOffset: segments[0]!.baseOffset,
    nextOffset: tail.endOffset,
    tailPositionBytes: tail.endPositionBytes,
    tailIndex: tail.entries,
    tailRewriteFromBytes: tail.rewriteFromBytes,
    tailStaleEndBytes: tail.staleEndBytes,
    tailFormatVersion: tail.header.version,
    tailSeal,
    lastAppendTimeMs: tailSeal.lastAppendTimeMs ?? sealed.lastAppendTimeMs,
    tailTrusted: tail.trusted,
    report: {
      segments: segments.length,
      trailersRead: sealed.trailersRead,
      sealedScanned: sealed.scanned,
      batchesScanned: sealed.batchesScanned + tail.batches,
      tailTrustedBytes: tail.trusted?.positionBytes ?? 0,
      tornTailAt: tail.tornTailAt,
    },
  };
}

/** What recovery learned about the sealed segments (all but the last). */
interface SealedPart {
  /** The first segment's log id and block size, which every other must match; null for one segment. */
  readonly log: SegmentExpectation['log'];
  /** The second-to-last segment's ordinal, or null when there is none. */
  readonly lastSealedSeq: number | null;
  /** The second-to-last segment's last append time, from its trailer; undefined when unknown. */
  readonly lastAppendTimeMs: number | undefined;
  readonly trailersRead: number;
  readonly scanned: number;
  readonly batchesScanned: number;
}

/** A sealed segment's header, and its trailer when it agrees with the names around it. */
interface SealedHead {
  readonly header: SegmentHeader;
  readonly trailer: SegmentTrailer | null;
}

/**
 * The constant-time path: the first and the second-to-last segment's trailers, when both are
 * trusted and their ordinals differ by exactly the number of names between them. Null otherwise.
 */
async function trustSealed(io: FileIO, segments: readonly SegmentRef[]): Promise<SealedPart | null> {
  const count = segments.length;
  if (count === 1) {
    const none = { trailersRead: 0, scanned: 0, batchesScanned: 0 };
    return { log: null, lastSealedSeq: null, lastAppendTimeMs: undefined, ...none };
  }
  const first = await readSealedHead(io, segments[0]!, segments[1]!.baseOffset, null);
  const log = { logId: first.header.logId, blockBytes: first.header.blockBytes, path: segments[0]!.path };
  const penultRef = segments[count - 2]!;
  const penult = count === 2 ? first : await readSealedHead(io, penultRef, segments[count - 1]!.baseOffset, log);
  const trailersRead = count === 2 ? 1 : 2;
  if (first.trailer === null || penult.trailer === null) return null;
  if (penult.trailer.segmentSeq - first.trailer.segmentSeq !== count - 2) return null;
  const { segmentSeq, lastAppendTimeMs } = penult.trailer;
  return { log, lastSealedSeq: segmentSeq, lastAppendTimeMs, trailersRead, scanned: 0, batchesScanned: 0 };
}

/**
 * The walk over every sealed segment: a trusted trailer stands in for a segment, any other is
 * scanned as before trailers (from its last index entry that verifies). Each segment must end where
 * the next one's name says it starts, which names the first broken link exactly.
 */
async function walkSealed(
  io: FileIO,
  segments: readonly SegmentRef[],
  indexIntervalBytes: number,
): Promise<SealedPart> {
  let log: SegmentExpectation['log'] = null;
  let seq: number | null = null;
  let lastAppendTimeMs: number | undefined;
  let trailersRead = 0;
  let scanned = 0;
  let batchesScanned = 0;
  for (const [i, segment] of segments.slice(0, -1).entries()) {
    const next = segments[i + 1]!;
    const head = await readSealedHead(io, segment, next.baseOffset, log);
    log ??= { logId: head.header.logId, blockBytes: head.header.blockBytes, path: segment.path };
    trailersRead++;
    seq = head.trailer?.segmentSeq ?? (seq === null ? 0 : seq + 1);
    lastAppendTimeMs = head.trailer?.lastAppendTimeMs;
    if (head.trailer !== null) continue;
    const end = await scanSegment(io, segment, false, indexIntervalBytes, log);
    if (end.rebuiltIndex) await writeIndexFile(io, indexPathOf(segment), encodeIndexEntries(end.entries));
    scanned++;
    batchesScanned += end.batches;
    if (next.baseOffset !== end.endOffset) {
      throw SeglogError.corrupt(
        `${segment.path} ends at offset ${end.endOffset} (byte ${end.endPositionBytes}) but the next segment starts at ${next.baseOffset}; records are missing`,
        { file: segment.path, positionBytes: end.endPositionBytes, offset: end.endOffset },
      );
    }
  }
  return { log, lastSealedSeq: seq, lastAppendTimeMs, trailersRead, scanned, batchesScanned };
}

/** Reads a sealed segment's header (checked against its name and the log) and its trailer. */
async function readSealedHead(
  io: FileIO,
  segment: SegmentRef,
  nextBaseOffset: number,
  log: SegmentExpectation['log'],
): Promise<SealedHead> {
  const handle = await wrapIo('open', segment.path, () => io.open(segment.path, 'read'));
  try {
    const sizeBytes = await wrapIo('stat', segment.path, () => handle.sizeBytes());
    const header = await readHeader(handle, segment.path, sizeBytes, { baseOffset: segment.baseOffset, log });
    const { logId, blockBytes } = header;
    const decoded = await wrapIo('read', segment.path, () => readSegmentTrailer(handle, sizeBytes, logId, blockBytes));
    if (decoded.kind !== 'trailer') return { header, trailer: null };
    const expected = { baseOffset: segment.baseOffset, nextBaseOffset, sizeBytes, blockBytes };
    return { header, trailer: trailerMismatch(decoded.trailer, expected) === null ? decoded.trailer : null };
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** The last segment's trailer fields as its scan found them, with the append times of its end batches. */
async function tailSealOf(
  io: FileIO,
  segment: SegmentRef,
  tail: SegmentEnd,
  lastSealedSeq: number | null,
): Promise<TailSeal> {
  const segmentSeq = lastSealedSeq === null ? 0 : lastSealedSeq + 1;
  const seal = { segmentSeq, batches: tail.batches, lastBatchPositionBytes: tail.lastBatchPositionBytes };
  if (tail.lastBatchPositionBytes === null) {
    return { ...seal, firstAppendTimeMs: undefined, lastAppendTimeMs: undefined };
  }
  const handle = await wrapIo('open', segment.path, () => io.open(segment.path, 'read'));
  try {
    const { logId, blockBytes } = tail.header;
    const file: ChainFile = { source: handle, sizeBytes: tail.sizeBytes, logId, blockBytes };
    const firstAppendTimeMs = await appendTimeAt(file, segment.path, tail.header.blockBytes);
    const lastAppendTimeMs = await appendTimeAt(file, segment.path, tail.lastBatchPositionBytes);
    return { ...seal, firstAppendTimeMs, lastAppendTimeMs };
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** The v2 append time of the batch at `positionBytes`; undefined for a v1 batch. */
async function appendTimeAt(file: ChainFile, path: string, positionBytes: number): Promise<number | undefined> {
  const step = await wrapIo('read', path, () => batchAt(file, positionBytes, null));
  if (step.kind !== 'batch') return undefined;
  const appendTimeMs = 'appendTimeMs' in step.header ? step.header.appendTimeMs : undefined;
  return typeof appendTimeMs === 'number' ? appendTimeMs : undefined;
}
