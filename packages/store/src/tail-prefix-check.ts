/**
 * One job: after open, verify the start of the last segment that open trusted instead of scanning
 * (recovery.ts `tailTrusted`), and count its batches for the segment's trailer.
 *
 * Open scans the last segment only from a batch that HEAD vouches for, so a damaged batch before
 * it is not seen at open. This check walks that part in the background, with every CRC, as the
 * open used to: the chain from block 1 must reach the trusted batch's position carrying its first
 * offset. Anything else is acknowledged data damaged (the part lies below HEAD's durable end):
 * SEGLOG_CORRUPT naming the file, the byte and the offset where the chain breaks. The log then
 * refuses writes (the caller poisons it), reads of the damaged records fail the same way, and
 * `seglog verify` names it too. The batch count is what the segment's trailer needs at the next
 * roll (segment-writer.ts waits for it there), since open counted only the batches it scanned.
 */
import { readLimits, SeglogError } from '@seglog/types';
import type { FileIO } from '@seglog/types';
import { scanChain } from '@seglog/format';
import type { ChainFile } from '@seglog/format';
import type { TrustedPrefix } from './recovery.js';
import { wrapIo } from './io-errors.js';

export interface TailPrefixTarget {
  readonly io: FileIO;
  /** The last segment's file. */
  readonly path: string;
  readonly baseOffset: number;
  readonly logId: Uint8Array;
  readonly blockBytes: number;
  readonly trusted: TrustedPrefix;
}

/** Resolves with the number of batches in the trusted part, or rejects SEGLOG_CORRUPT (or SEGLOG_IO). */
export async function checkTailPrefix(target: TailPrefixTarget): Promise<number> {
  const { io, path, trusted, blockBytes } = target;
  const handle = await wrapIo('open', path, () => io.open(path, 'read'));
  try {
    // The file as far as the trusted batch: the scan stops there at the latest, never reads past it.
    const file: ChainFile = { source: handle, sizeBytes: trusted.positionBytes, logId: target.logId, blockBytes };
    const start = { positionBytes: blockBytes, offset: target.baseOffset, indexIntervalBytes: trusted.positionBytes };
    const scan = await wrapIo('read', path, () => scanChain(file, start, readLimits.scanWindowBytes));
    if (scan.endPositionBytes === trusted.positionBytes && scan.endOffset === trusted.offset) return scan.batches;
    const reached = scan.endPositionBytes === trusted.positionBytes ? `offset ${scan.endOffset}` : scan.stop.reason;
    throw SeglogError.corrupt(
      `${path}: damaged batch at byte ${scan.endPositionBytes} (offset ${scan.endOffset}, ${reached}) before the batch at byte ${trusted.positionBytes} (offset ${trusted.offset}) that HEAD records as acknowledged; acknowledged records are damaged`,
      { file: path, positionBytes: scan.endPositionBytes, offset: scan.endOffset },
    );
  } finally {
    await handle.close().catch(() => undefined);
  }
}
