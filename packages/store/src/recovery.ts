/**
 * One job: on open, find the end of the valid log and prove nothing acknowledged is missing.
 *
 * For each segment, in offset order: check its header (magic, version, CRC, base offset = name,
 * same log id and block size as the others), then follow its batches. Sealed segments start from
 * the last index entry that verifies (their earlier batches are checked by every read); the last
 * segment is scanned whole. Where the chain stops, a valid batch further on means acknowledged
 * data follows damage (SEGLOG_CORRUPT with file and position), unless it is in the last segment and
 * its header says it was issued before the stop was acknowledged (`unacknowledgedBeyond`): then it
 * and the lost batch were in flight together at the crash, never acknowledged, and all of it is a
 * torn tail, which the writer zeroes. The log continues where the chain stopped. Between segments
 * the next base must equal the offset where the previous one ended.
 */
import { join } from 'node:path';
import { limits, readLimits, SeglogError } from '@seglog/types';
import type { FileHandle, FileIO } from '@seglog/types';
import {
  NEXT_SEGMENT_TMP,
  batchAt,
  blockHoldsData,
  checkSegmentHeader,
  decodeIndexEntries,
  encodeIndexEntries,
  findBatchBeyond,
  indexFileName,
  parseSegmentFileName,
  readFully,
  scanChain,
} from '@seglog/format';
import type { ChainFile, ChainScan, IndexEntry, PassedBatch, SegmentExpectation, SegmentHeader } from '@seglog/format';
import { wrapIo } from './io-errors.js';

export interface SegmentRef {
  readonly baseOffset: number;
  readonly path: string;
}

export interface RecoveryReport {
  readonly segments: number;
  readonly batchesScanned: number;
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
  /** Format version of the last segment's header: an older one takes no new batches (segment-writer.ts). */
  readonly tailFormatVersion: number;
  readonly report: RecoveryReport;
}

export interface RecoveryOptions {
  readonly io: FileIO;
  readonly dir: string;
  readonly indexIntervalBytes: number;
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

/** The longest verified prefix of a sealed segment's index, or [] when none verifies. */
async function verifiedIndex(io: FileIO, file: ChainFile, path: string, indexPath: string): Promise<IndexEntry[]> {
  const stat = await wrapIo('stat', indexPath, () => io.stat(indexPath));
  if (stat === null || !stat.isFile || stat.sizeBytes === 0) return [];
  const handle = await wrapIo('open', indexPath, () => io.open(indexPath, 'read'));
  try {
    const bytes = new Uint8Array(stat.sizeBytes);
    const read = await wrapIo('read', indexPath, () => readFully(handle, bytes, 0));
    const entries = decodeIndexEntries(bytes.subarray(0, read));
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
}

async function scanSegment(io: FileIO, segment: SegmentRef, isLast: boolean, indexIntervalBytes: number, log: SegmentExpectation['log']): Promise<SegmentEnd> {
  const handle = await wrapIo('open', segment.path, () => io.open(segment.path, 'read'));
  try {
    const sizeBytes = await wrapIo('stat', segment.path, () => handle.sizeBytes());
    const header = await readHeader(handle, segment.path, sizeBytes, { baseOffset: segment.baseOffset, log });
    const file: ChainFile = { source: handle, sizeBytes, logId: header.logId, blockBytes: header.blockBytes };
    const seed = isLast ? [] : await verifiedIndex(io, file, segment.path, indexPathOf(segment));
    const start = seed.length > 0 ? seed[seed.length - 1]! : { firstOffset: segment.baseOffset, blockNumber: 1 };
    const scan = await wrapIo('read', segment.path, () =>
      scanChain(file, {
        positionBytes: start.blockNumber * header.blockBytes,
        offset: start.firstOffset,
        indexIntervalBytes,
        seedEntries: seed.slice(0, -1),
      }),
    );
    const staleEndBytes = await wrapIo('read', segment.path, () => unacknowledgedBeyond(file, scan, isLast, segment.path));
    // Torn: bytes at the stop that are not a batch, or remains of batches in flight past it.
    const stale = staleEndBytes > scan.endPositionBytes;
    const torn = isLast && (stale || (await wrapIo('read', segment.path, () => blockHoldsData(file, scan.endPositionBytes))));
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
    };
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/**
 * The valid batches past where a segment's chain stops, if they can only be the remains of batches
 * that were in flight with the one lost at the stop; returns where they end (the stop itself when
 * there are none). The rule (docs/format.md, "Finding the end of the log"): a writer keeps at most
 * `limits.batchesInFlightCountMax` batches in flight, acknowledges them in offset order, and writes
 * in each header how far the log was acknowledged when it issued the batch (`ackedOffset`). So a
 * valid batch past the stop whose `ackedOffset` is at or below the stop's offset was issued before
 * the lost batch was acknowledged, and since acknowledgements go in order, none after it was
 * either: a torn tail. Any other valid batch there (one issued after the stop was acknowledged, a
 * version-1 batch, which a one-at-a-time writer wrote, too many of them, or any in a sealed segment,
 * which a roll leaves only once everything in it is acknowledged) means acknowledged data follows
 * damage: SEGLOG_CORRUPT.
 */
async function unacknowledgedBeyond(file: ChainFile, scan: ChainScan, isLast: boolean, path: string): Promise<number> {
  let staleEndBytes = scan.endPositionBytes;
  let fromBytes = scan.endPositionBytes;
  for (let found = 1; ; found++) {
    const beyond = await findBatchBeyond(file, fromBytes, scan.endOffset);
    if (beyond === null) return staleEndBytes;
    const ackedOffset = beyond.header.ackedOffset;
    const inFlightTogether = isLast && ackedOffset !== undefined && ackedOffset <= scan.endOffset;
    if (!inFlightTogether || found >= limits.batchesInFlightCountMax) {
      const issued = ackedOffset === undefined ? 'a version-1 batch' : `issued when offsets below ${ackedOffset} were acknowledged`;
      throw SeglogError.corrupt(
        `${path}: damaged batch at byte ${scan.endPositionBytes} (offset ${scan.endOffset}, ${scan.stop.reason}) is followed by valid data at byte ${beyond.positionBytes} (${issued}); refusing to drop acknowledged records`,
        { file: path, positionBytes: scan.endPositionBytes, offset: scan.endOffset },
      );
    }
    staleEndBytes = beyond.positionBytes + beyond.spanBytes;
    fromBytes = staleEndBytes;
  }
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

export function indexPathOf(segment: SegmentRef): string {
  return segment.path.replace(/[^/\\]+$/, indexFileName(segment.baseOffset));
}

/** Recovers the log in `dir`; null when it holds no segment yet. */
export async function recoverLog(options: RecoveryOptions): Promise<RecoveredLog | null> {
  const { io, dir, indexIntervalBytes } = options;
  const segments = await listSegments(io, dir);
  if (segments.length === 0) return null;
  // Recovery builds on the names it sees, and a writer that failed between a rename and its
  // directory fsync may have left one that is not durable yet: make them all durable first.
  await wrapIo('fsync', dir, () => io.syncDir(dir));
  let log: SegmentExpectation['log'] = null;
  let batchesScanned = 0;
  let last: SegmentEnd | null = null;
  for (const [i, segment] of segments.entries()) {
    const isLast = i === segments.length - 1;
    if (last !== null && segment.baseOffset !== last.endOffset) {
      const previous = segments[i - 1]!;
      throw SeglogError.corrupt(
        `${previous.path} ends at offset ${last.endOffset} (byte ${last.endPositionBytes}) but the next segment starts at ${segment.baseOffset}; records are missing`,
        { file: previous.path, positionBytes: last.endPositionBytes, offset: last.endOffset },
      );
    }
    const end = await scanSegment(io, segment, isLast, indexIntervalBytes, log);
    log ??= { logId: end.header.logId, blockBytes: end.header.blockBytes, path: segment.path };
    if (end.rebuiltIndex) {
      await writeIndexFile(io, indexPathOf(segment), encodeIndexEntries(end.entries));
    }
    batchesScanned += end.batches;
    last = end;
  }
  const tail = last!;
  return {
    logId: log!.logId,
    blockBytes: log!.blockBytes,
    segments,
    firstOffset: segments[0]!.baseOffset,
    nextOffset: tail.endOffset,
    tailPositionBytes: tail.endPositionBytes,
    tailIndex: tail.entries,
    tailRewriteFromBytes: tail.rewriteFromBytes,
    tailStaleEndBytes: tail.staleEndBytes,
    tailFormatVersion: tail.header.version,
    report: { segments: segments.length, batchesScanned, tornTailAt: tail.tornTailAt },
  };
}
