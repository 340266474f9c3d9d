/**
 * One job: carry out a truncation after an offset on disk (`log.truncateAfter`), idempotently, so
 * the same code finishes one that a crash cut short: an open that finds HEAD's
 * `pendingTruncation` kind 1 runs it before recovery.
 *
 * The log keeps records below `offset` and loses every record at `offset` and after. Steps, each
 * safe to cut by a crash (HEAD's pending mark was flushed before the first one):
 * 1. Segments starting at or above `offset` are unlinked, highest first (the first segment stays
 *    even then: an emptied log keeps a segment, so its next offset survives), then the directory
 *    is fsynced.
 * 2. In the last segment left, the batch holding `offset` is found. If it starts at `offset`, the
 *    file is cut there. If it starts below, its records before `offset` are acknowledged and must
 *    stay, but a batch cannot be shortened in place without risking them to a torn write: they go
 *    into a new segment file `truncate.seg.tmp` (header and one batch, fdatasynced, its directory
 *    entry fsynced) first, then the
 *    old segment is cut at that batch, then the temp file is renamed to the segment name of the
 *    batch's first offset and the directory fsynced.
 * 3. A rerun finds the chain ending at `offset` (done), or below it with the temp file present
 *    (the cut happened, the rename did not: rename it), or the batch still whole (start over).
 * Cut segments lose their `.idx`; recovery rebuilds it.
 */
import { join } from 'node:path';
import { SeglogError } from '@seglog/types';
import type { FileHandle, FileIO } from '@seglog/types';
import {
  batchAt,
  batchPayloads,
  decodeSegmentHeader,
  encodeBatch,
  encodeSegmentHeader,
  indexFileName,
  parseSegmentFileName,
  readBatchBytes,
  readFully,
  scanChain,
  segmentFileName,
} from '@seglog/format';
import type { ChainFile, SegmentHeader } from '@seglog/format';
import { limits, readLimits } from '@seglog/types';
import { closeAbandoned, closeFlushed, wrapIo } from './io-errors.js';

export const TRUNCATE_TMP_NAME = 'truncate.seg.tmp';

interface Listed {
  readonly baseOffset: number;
  readonly path: string;
}

async function listSegments(io: FileIO, dir: string): Promise<Listed[]> {
  const names = await wrapIo('readdir', dir, () => io.readdir(dir));
  const found: Listed[] = [];
  for (const name of names) {
    const baseOffset = parseSegmentFileName(name);
    if (baseOffset !== null) found.push({ baseOffset, path: join(dir, name) });
  }
  return found.sort((a, b) => a.baseOffset - b.baseOffset);
}

async function unlinkIfThere(io: FileIO, path: string): Promise<boolean> {
  if ((await wrapIo('stat', path, () => io.stat(path))) === null) return false;
  await wrapIo('unlink', path, () => io.unlink(path));
  return true;
}

async function readHeader(handle: FileHandle, path: string): Promise<SegmentHeader> {
  const bytes = new Uint8Array(limits.blockBytesMax);
  const read = await wrapIo('read', path, () => readFully(handle, bytes, 0));
  return decodeSegmentHeader(bytes.subarray(0, read), path);
}

/** Where the chain of `file` meets `offset`: a batch starting at or holding it, or the chain's end. */
type Meeting =
  | {
      readonly kind: 'batch';
      readonly positionBytes: number;
      readonly firstOffset: number;
      readonly payloads: Uint8Array[];
      /** The batch's stamp (v2), carried over to the batch of kept records; undefined in v1. */
      readonly ackedOffset: number | undefined;
      readonly appendTimeMs: number | undefined;
    }
  | { readonly kind: 'end'; readonly positionBytes: number; readonly endOffset: number };

async function meet(file: ChainFile, path: string, baseOffset: number, offset: number): Promise<Meeting> {
  // One windowed scan of the segment gives sparse entries; the walk from the last one at or below
  // `offset` then reads only a few batches.
  const indexIntervalBytes = limits.indexIntervalBytesDefault;
  const scan = await scanChain(file, { positionBytes: file.blockBytes, offset: baseOffset, indexIntervalBytes });
  if (scan.endOffset <= offset) return { kind: 'end', positionBytes: scan.endPositionBytes, endOffset: scan.endOffset };
  const start = scan.entries.filter((entry) => entry.firstOffset <= offset).pop();
  let position = start === undefined ? file.blockBytes : start.blockNumber * file.blockBytes;
  let expected = start === undefined ? baseOffset : start.firstOffset;
  for (;;) {
    const step = await batchAt(file, position, expected);
    if (step.kind === 'break') {
      const problem = `${path}: the chain breaks at byte ${position} (${step.reason}), before offset ${offset}`;
      throw SeglogError.corrupt(problem, { file: path, positionBytes: position, offset: expected });
    }
    if (expected + step.header.recordCount > offset) {
      const probeBytes = readLimits.batchProbeBytes;
      const bytes = await readBatchBytes(file.source, position, probeBytes, expected, () => file.sizeBytes);
      const payloads = batchPayloads(bytes, 0, step.header).slice(0, offset - expected);
      const { ackedOffset, appendTimeMs } = step.header;
      return { kind: 'batch', positionBytes: position, firstOffset: expected, payloads, ackedOffset, appendTimeMs };
    }
    expected += step.header.recordCount;
    position += step.spanBytes;
  }
}

/** Cuts `path` to `lengthBytes`, durably, and drops its index (recovery rebuilds it). */
async function cut(
  io: FileIO,
  handle: FileHandle,
  path: string,
  baseOffset: number,
  lengthBytes: number,
): Promise<void> {
  await wrapIo('truncate', path, () => handle.truncate(lengthBytes));
  await wrapIo('fdatasync', path, () => handle.datasync());
  await unlinkIfThere(io, join(path, '..', indexFileName(baseOffset)));
}

/** Writes the kept records of a split batch as a whole new segment under the temp name. */
async function writeKept(
  io: FileIO,
  dir: string,
  header: SegmentHeader,
  kept: Extract<Meeting, { kind: 'batch' }>,
  fileMode: number,
): Promise<void> {
  const tmp = join(dir, TRUNCATE_TMP_NAME);
  const { blockBytes, logId } = header;
  const { firstOffset, payloads } = kept;
  // A v1 batch has no stamp: the kept batch (v2) says everything before it was acknowledged and
  // takes the time of the truncation as its append time.
  const stamp = { ackedOffset: kept.ackedOffset ?? firstOffset, appendTimeMs: kept.appendTimeMs ?? Date.now() };
  const bytes = [
    encodeSegmentHeader({ blockBytes, baseOffset: firstOffset, logId }),
    encodeBatch(logId, firstOffset, payloads, blockBytes, stamp),
  ];
  const handle = await wrapIo('open', tmp, () => io.open(tmp, 'truncate', { fileMode }));
  try {
    await wrapIo('writev', tmp, () => handle.writev(bytes, 0));
    await wrapIo('fdatasync', tmp, () => handle.datasync());
  } catch (error) {
    await closeAbandoned(handle);
    throw error;
  }
  await closeFlushed(handle);
  // The old segment is cut next: the kept records must then be findable after a power loss.
  await wrapIo('fsync', dir, () => io.syncDir(dir));
}

/** The base offset in the temp file's header, or null when there is none or it is not whole. */
async function tempBase(io: FileIO, dir: string): Promise<number | null> {
  const tmp = join(dir, TRUNCATE_TMP_NAME);
  if ((await wrapIo('stat', tmp, () => io.stat(tmp))) === null) return null;
  const handle = await wrapIo('open', tmp, () => io.open(tmp, 'read'));
  try {
    return (await readHeader(handle, tmp)).baseOffset;
  } catch {
    return null;
  } finally {
    await closeFlushed(handle);
  }
}

export interface TailTruncationInput {
  readonly io: FileIO;
  readonly dir: string;
  /** The first offset to drop: the log ends here afterwards. */
  readonly offset: number;
  readonly fileMode: number;
}

/** Makes the log on disk end at `offset` (see the file comment); safe to run again after a crash. */
export async function truncateTailOnDisk(input: TailTruncationInput): Promise<void> {
  const { io, dir, offset, fileMode } = input;
  const segments = await listSegments(io, dir);
  if (segments.length === 0) return;
  const doomed = segments.filter((segment, i) => i > 0 && segment.baseOffset >= offset).reverse();
  for (const segment of doomed) {
    await unlinkIfThere(io, join(dir, indexFileName(segment.baseOffset)));
    await wrapIo('unlink', segment.path, () => io.unlink(segment.path));
  }
  if (doomed.length > 0) await wrapIo('fsync', dir, () => io.syncDir(dir));
  const last = segments[segments.length - 1 - doomed.length]!;
  const handle = await wrapIo('open', last.path, () => io.open(last.path, 'write'));
  try {
    const header = await readHeader(handle, last.path);
    const sizeBytes = await wrapIo('stat', last.path, () => handle.sizeBytes());
    const file: ChainFile = { source: handle, sizeBytes, logId: header.logId, blockBytes: header.blockBytes };
    const met = await wrapIo('read', last.path, () => meet(file, last.path, last.baseOffset, offset));
    const tmp = join(dir, TRUNCATE_TMP_NAME);
    if (met.kind === 'batch' && met.firstOffset === offset) {
      await cut(io, handle, last.path, last.baseOffset, met.positionBytes);
      await unlinkIfThere(io, tmp);
    } else if (met.kind === 'batch') {
      await writeKept(io, dir, header, met, fileMode);
      await cut(io, handle, last.path, last.baseOffset, met.positionBytes);
      await renameKept(io, dir, met.firstOffset);
    } else if (met.endOffset < offset) {
      if ((await tempBase(io, dir)) !== met.endOffset) {
        const problem = `${last.path} ends at offset ${met.endOffset}, below the truncation point ${offset}, and no kept records are waiting in ${TRUNCATE_TMP_NAME}`;
        const details = { file: last.path, positionBytes: met.positionBytes, offset: met.endOffset };
        throw SeglogError.corrupt(problem, details);
      }
      await cut(io, handle, last.path, last.baseOffset, met.positionBytes);
      await renameKept(io, dir, met.endOffset);
    } else {
      // The chain ends at `offset`: cut whatever follows it (a torn tail, a sealed segment's trailer).
      if (met.positionBytes < sizeBytes) await cut(io, handle, last.path, last.baseOffset, met.positionBytes);
      await unlinkIfThere(io, tmp);
    }
  } finally {
    await closeFlushed(handle);
  }
}

async function renameKept(io: FileIO, dir: string, baseOffset: number): Promise<void> {
  const target = join(dir, segmentFileName(baseOffset));
  await wrapIo('rename', join(dir, TRUNCATE_TMP_NAME), () => io.rename(join(dir, TRUNCATE_TMP_NAME), target));
  await wrapIo('fsync', dir, () => io.syncDir(dir));
}
