/**
 * One job: on open, find the end of the valid log and prove nothing acknowledged is missing.
 *
 * For each segment, in offset order: check its header (magic, version, CRC, base offset = name,
 * same log id and block size as the others), then follow its batches. Sealed segments start from
 * the last index entry that verifies (their earlier batches are checked by every read); the last
 * segment is scanned whole. Where the chain stops, any valid batch further on means acknowledged
 * data follows damage: SEGLOG_CORRUPT with file and position. Otherwise the rest is a torn tail of
 * the one unacknowledged batch in flight at the crash, and the log continues where the chain
 * stopped. Between segments the next base must equal the offset where the previous one ended.
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
import type { ChainFile, IndexEntry, SegmentExpectation, SegmentHeader } from '@seglog/format';
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
  /** Byte position of the last batch of the last segment, or null when it holds none. */
  readonly tailLastBatchPositionBytes: number | null;
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
  readonly lastBatchPositionBytes: number | null;
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
    const beyond = await wrapIo('read', segment.path, () => findBatchBeyond(file, scan.endPositionBytes, scan.endOffset));
    if (beyond !== null) {
      throw SeglogError.corrupt(
        `${segment.path}: damaged batch at byte ${scan.endPositionBytes} (offset ${scan.endOffset}, ${scan.stop.reason}) is followed by valid data at byte ${beyond.positionBytes}; refusing to drop acknowledged records`,
        { file: segment.path, positionBytes: scan.endPositionBytes, offset: scan.endOffset },
      );
    }
    const torn = isLast && (await wrapIo('read', segment.path, () => blockHoldsData(file, scan.endPositionBytes)));
    return {
      header,
      endOffset: scan.endOffset,
      endPositionBytes: scan.endPositionBytes,
      sizeBytes,
      batches: scan.batches,
      entries: scan.entries,
      rebuiltIndex: isLast || seed.length === 0,
      tornTailAt: torn ? scan.endPositionBytes : null,
      lastBatchPositionBytes: scan.lastBatchPositionBytes,
    };
  } finally {
    await handle.close().catch(() => undefined);
  }
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
    tailLastBatchPositionBytes: tail.lastBatchPositionBytes,
    tailFormatVersion: tail.header.version,
    report: { segments: segments.length, batchesScanned, tornTailAt: tail.tornTailAt },
  };
}
