/**
 * One job: every bound seglog enforces, with the relationships between them asserted at import.
 * User options are validated against these once, at open (see options.ts in @seglog/store).
 */
import { assert } from './assert.js';

export const limits = {
  /** Smallest block: one disk sector. */
  blockBytesMin: 512,
  /** Largest block we accept; larger blocks only add padding. */
  blockBytesMax: 64 * 1024,
  blockBytesDefault: 4096,
  /** Batch positions are stored as u32 block numbers and sizes as u32 bytes, so stay under 2^32. */
  segmentBytesMax: 2 ** 31,
  segmentBytesDefault: 64 * 1024 * 1024,
  batchBytesMaxDefault: 4 * 1024 * 1024,
  recordBytesMaxDefault: 1024 * 1024,
  inFlightBytesMaxDefault: 64 * 1024 * 1024,
  /** The commit window is bounded so a misconfiguration cannot park appends for seconds. */
  commitWindowMicrosMax: 100_000,
  /** Offsets are JS numbers; 2^53 records is beyond any disk. */
  offsetMax: Number.MAX_SAFE_INTEGER,
  /** Default `indexIntervalBytes`: one index entry per this many segment bytes, at most. */
  indexIntervalBytesDefault: 16 * 1024,
} as const;

assert(limits.segmentBytesDefault % limits.blockBytesMax === 0, 'default segment holds whole max blocks');
assert(limits.batchBytesMaxDefault < limits.segmentBytesDefault, 'a default batch fits in a default segment');
assert(limits.recordBytesMaxDefault < limits.batchBytesMaxDefault, 'a default record fits in a default batch');
assert(limits.inFlightBytesMaxDefault >= 2 * limits.batchBytesMaxDefault, 'two batches can be in flight');

// ---- Reading segments: store recovery, the reader, and tools that scan (issue 10 item 3) ----
// Kept as its own block so the writer's limits above can be restructured separately.

export const readLimits = {
  /** One read window of a chain scan (recovery, verify): few large sequential reads. */
  scanWindowBytes: 1024 * 1024,
  /** First read of one batch looked up by position (an index entry's); most batches fit. */
  batchProbeBytes: 64 * 1024,
  /** One read of the reader, handed from batch to batch along a walk. */
  readerChunkBytes: 64 * 1024,
  /** Verified batches a reader caches by default (`cacheBatches`). */
  readerCachedBatchesDefault: 64,
  /** Open segment handles a reader keeps by default (`cacheHandles`). */
  readerOpenHandlesDefault: 16,
  /** Segment indexes a reader keeps in memory; each holds one entry per index interval at most. */
  readerSegmentIndexesMax: 1024,
  /** Index entries of a sealed segment that recovery tries, newest first, before a full scan. */
  recoveryIndexTriesMax: 8,
} as const;

// The reader adds in-memory index entries at the writer's default interval
// (`limits.indexIntervalBytesDefault`), so a segment read without its `.idx` is indexed as densely.
assert(limits.indexIntervalBytesDefault % limits.blockBytesMin === 0, 'the reader indexes whole blocks');
assert(limits.indexIntervalBytesDefault >= limits.blockBytesDefault, 'an index interval spans at least one block');
assert(readLimits.batchProbeBytes >= limits.blockBytesMax, 'a probe read holds at least one block');
assert(readLimits.readerChunkBytes >= limits.blockBytesMax, 'a reader chunk holds at least one block');
assert(readLimits.scanWindowBytes >= readLimits.batchProbeBytes, 'a scan window holds a probe');
