/**
 * One job: the wall-clock time of the last append in a sealed segment, for age-based retention:
 * the `appendTimeMs` of its last batch (format v2). Found from the segment's last index entry and
 * a short walk to the end of the chain, so it reads about one index interval, not the segment.
 * Undefined for a segment whose batches carry no time (v1), or that cannot be read: retention
 * then falls back to the file's mtime (retention.ts).
 */
import { join } from 'node:path';
import { limits } from '@seglog/types';
import type { FileIO } from '@seglog/types';
import { batchAt, decodeIndexEntries, decodeSegmentHeader, indexFileName, readFully } from '@seglog/format';
import type { ChainFile, IndexEntry } from '@seglog/format';
import { closeFlushed } from './io-errors.js';
import type { SegmentFacts } from './retention.js';

/** Batches walked at most after the last index entry (an entry is written every few of them). */
const WALK_BATCHES_MAX = 1 << 20;

async function lastIndexEntry(io: FileIO, dir: string, baseOffset: number): Promise<IndexEntry | undefined> {
  const path = join(dir, indexFileName(baseOffset));
  const stat = await io.stat(path);
  if (stat === null || stat.sizeBytes === 0) return undefined;
  const handle = await io.open(path, 'read');
  try {
    const bytes = new Uint8Array(stat.sizeBytes);
    const read = await readFully(handle, bytes, 0);
    return decodeIndexEntries(bytes.subarray(0, read)).pop();
  } finally {
    await closeFlushed(handle);
  }
}

export async function segmentLastAppendMs(io: FileIO, dir: string, segment: SegmentFacts): Promise<number | undefined> {
  try {
    const handle = await io.open(segment.path, 'read');
    try {
      const header = new Uint8Array(limits.blockBytesMax);
      const headerRead = await readFully(handle, header, 0);
      const { logId, blockBytes } = decodeSegmentHeader(header.subarray(0, headerRead), segment.path);
      const file: ChainFile = { source: handle, sizeBytes: await handle.sizeBytes(), logId, blockBytes };
      const entry = await lastIndexEntry(io, dir, segment.baseOffset);
      let position = entry === undefined ? blockBytes : entry.blockNumber * blockBytes;
      let expected = entry === undefined ? segment.baseOffset : entry.firstOffset;
      let last: number | undefined;
      for (let walked = 0; walked < WALK_BATCHES_MAX; walked++) {
        const step = await batchAt(file, position, expected);
        if (step.kind === 'break') break;
        last = step.header.appendTimeMs;
        expected += step.header.recordCount;
        position += step.spanBytes;
      }
      return last;
    } finally {
      await closeFlushed(handle);
    }
  } catch {
    return undefined; // unreadable here: the mtime stands in, and recovery or a reader reports damage
  }
}
