/**
 * One job: every bound and tuning constant seglog uses, each named once, with the relationships
 * between them asserted at import (TigerBeetle's constants.zig is the model).
 *
 * Naming: what is bounded, then its unit, then the qualifier: `segmentBytesMax`, `blockBytesMin`,
 * `recentIntervalMillisDefault`. Numbers without a unit end in `Count`, `Ratio` (a multiple) or
 * `Fraction` (a part of one, 0..1). User options are validated against these once, at open (see
 * options.ts in @seglog/store); a `...Default` is the value used when the option is not given.
 */
import { assert } from './assert.js';

const KiB = 1024;
const MiB = 1024 * KiB;

export const limits = {
  // ---- Segments and blocks (on-disk geometry) ----
  /** Smallest block: one disk sector. */
  blockBytesMin: 512,
  /** Largest block we accept; larger blocks only add padding. */
  blockBytesMax: 64 * KiB,
  blockBytesDefault: 4 * KiB,
  /** A segment holds its header block and at least a few batch blocks. */
  segmentBlocksMin: 4,
  /** Batch positions are stored as u32 block numbers and sizes as u32 bytes, so stay under 2^32. */
  segmentBytesMax: 2 ** 31,
  segmentBytesDefault: 64 * MiB,
  /** Offsets are JS numbers; 2^53 records is beyond any disk. */
  offsetMax: Number.MAX_SAFE_INTEGER,

  // ---- Records, batches and backpressure ----
  /** Default `maxBatchBytes`. */
  batchBytesMaxDefault: 4 * MiB,
  /** Default `maxRecordBytes`. */
  recordBytesMaxDefault: 1 * MiB,
  /** Default `maxBatchRecords`; the option may go up to u32. */
  batchRecordsMaxDefault: 65_536,
  batchRecordsMaxMax: 2 ** 32 - 1,
  /** Default `maxInFlightBytes` (raised to two batches when `maxBatchBytes` is larger). */
  inFlightBytesMaxDefault: 64 * MiB,
  /** Largest `maxInFlightBytes` accepted: a TiB of payload waiting for the disk is a misconfiguration. */
  inFlightBytesMaxMax: 2 ** 40,
  /**
   * Default `maxQueuedBytes`: payload bytes of appends waiting for in-flight room (held as copies,
   * since the caller may reuse its buffers); past it, appends are refused with SEGLOG_OVERLOADED.
   * A caller that awaits each append holds at most one record here, so only callers that do not
   * await reach it.
   */
  queuedBytesMaxDefault: 16 * MiB,
  /** Largest `maxQueuedBytes` accepted. */
  queuedBytesMaxMax: 2 ** 40,
  /**
   * A record larger than `maxBatchBytes / largeRecordBatchDivisorCount` waits in the large-record
   * queue when it must wait, so a flood of large records cannot starve small appenders of room.
   */
  largeRecordBatchDivisorCount: 16,
  /**
   * Default `maxBatchesInFlight`: batches written (and being flushed) at once, acknowledged in
   * offset order. Chosen by measurement on a quiet machine: 1 beat 2 in every cell
   * (docs/benchmarks.md, "Batches in flight").
   */
  batchesInFlightCountDefault: 1,
  /** Largest `maxBatchesInFlight`: past a few, batches only get smaller and the disk no faster. */
  batchesInFlightCountMax: 8,
  /**
   * Weight of the newest figure in the smoothed count of records in flight per acknowledgement
   * (the appenders in a closed loop), from which a batch's share is `count / maxBatchesInFlight`.
   */
  recordsInFlightSmoothingFraction: 0.25,
  /**
   * Target size of a chunk of a version-2 batch: a run of whole records with its own CRC, so a get
   * reads and verifies about this much (or its one record, when bigger) instead of the whole batch.
   * docs/format.md ("Chunks, and why") has the measurements behind it.
   */
  batchChunkBytes: 16 * KiB,

  // ---- Files and directories ----
  /**
   * Files seglog creates: owner read/write only (a log holds user data, as etcd and PostgreSQL's do).
   * Option `fileMode`.
   */
  fileModeDefault: 0o600,
  /** Directories openLog creates: owner only. Option `dirMode`. */
  dirModeDefault: 0o700,
  /**
   * The HEAD checkpoint is fdatasynced at most this often while the durable end moves (also at each
   * roll and at close).
   */
  headSyncIntervalMicros: 1_000_000,
  /**
   * While appends keep coming, HEAD's durable end is written at most this often (and always once
   * they stop: the write after the last acknowledgement is never skipped). A write per batch cost a
   * second system call and two thread wake-ups per batch, half the CPU of one appender (docs/
   * benchmarks.md, "What limits each missed target"); readers in other processes learn a new end
   * at most this much later while the writer is busy.
   */
  headWriteIntervalMicros: 1_000,

  // ---- Sparse index ----
  /** Default `indexIntervalBytes`: one index entry per this many segment bytes, at most. */
  indexIntervalBytesDefault: 16 * KiB,
  /** Index entries buffered before one write: 256 entries of 16 bytes is one 4 KiB write. */
  indexWriteEntriesCount: 256,

  // ---- Preallocation of the next segment ----
  /** Zero fill is written in chunks of this size, so it never holds a whole segment of zeros. */
  zeroFillChunkBytes: 1 * MiB,
  /**
   * Zero fill is flushed after every this many bytes, not once at the end: a flush of a whole
   * segment of zeros (64 MiB) occupies the disk for tens of milliseconds, and every batch flushed
   * meanwhile waits behind it (issue 11 item 4; `main.js tails` in benchmarks/). Bounded steps keep
   * what a batch can wait behind to one step.
   */
  zeroFillStepBytes: 1 * MiB,
  /**
   * Under `preallocate: 'auto'`, the next segment is zero-filled only while the average batch is
   * smaller than this (`main.js preallocate` in benchmarks/; docs/benchmarks.md has the figures): an
   * overwrite of allocated blocks makes small flushes cheaper, while for large batches writing
   * every byte twice costs more than the cheaper flushes save.
   */
  autoZeroFillBatchBytesMax: 128 * KiB,
  /** Weight of the newest batch in the average batch size that `'auto'` compares. */
  averageBatchBytesSmoothingFraction: 0.1,
  /** The next segment is prepared in the background once the active one is this full. */
  prepareNextSegmentFullFraction: 0.5,

  // ---- Commit window (see commit-window.ts for why each rule exists) ----
  /** The commit window is bounded so a misconfiguration cannot park appends for seconds. */
  commitWindowMicrosMax: 100_000,
  /** Default ceiling of the adaptive window: far above any useful value, far below a stall. */
  adaptiveWindowMicrosMaxDefault: 2000,
  /** When engaged, the window is this part of the flush estimate. */
  windowFlushFraction: 0.1,
  /** The window never exceeds this part of the flush estimate (PostgreSQL's commit_delay guidance). */
  windowCapFlushFraction: 0.5,
  /** Independent arrivals per flush at which waiting starts to pay. */
  windowEngageLoadRatio: 0.5,
  /** Below this load an engaged window releases (hysteresis, so noise cannot make it flap). */
  windowReleaseLoadRatio: 0.25,
  /** Weight of a new sample in the flush estimate and the arrival rate. */
  windowSmoothingFraction: 0.2,
  /** Part of the distance to the target window covered per observation. */
  windowStepFraction: 0.3,
  /** A flush sample is clipped to this multiple of the estimate, so one stall cannot yank it. */
  flushSampleClipRatio: 4,
  /** The flush estimate follows the median of this many recent flushes, so isolated stalls are ignored. */
  flushMedianSamplesCount: 9,
  /**
   * The arrival rate is measured over periods of at least this long. Measured per batch instead,
   * the first append after open (or after a pause) arrives alone over a few hundred microseconds
   * and reads as thousands per second, which would open the window for a lone appender.
   */
  arrivalRatePeriodMicros: 10_000,

  // ---- Telemetry ----
  /** Default `recentIntervalMillis`, and its range. */
  recentIntervalMillisDefault: 10_000,
  recentIntervalMillisMin: 100,
  recentIntervalMillisMax: 3_600_000,

  // ---- Directory lock ----
  /** Each attempt publishes, meets a live holder, or clears one stale file; racing openers bound it. */
  lockAttemptsMax: 5,

  // ---- Retention and holds (issue 12) ----
  /** Default `retention.intervalMs`: how often the background pass looks for segments to drop. */
  retentionIntervalMsDefault: 60_000,
  /** Smallest `retention.intervalMs`: a pass lists the directory and stats files, so not a busy loop. */
  retentionIntervalMsMin: 10,
  /** Largest `retention.intervalMs` (one day). */
  retentionIntervalMsMax: 86_400_000,
  /**
   * How long `setRetentionHold` waits for a writer's drop intent (HEAD `pendingTruncation`) above
   * its offset to be committed. A live writer commits within one HEAD flush; an intent older than
   * this was left by a writer that died, and the next open clears it without dropping.
   */
  holdIntentWaitMs: 5_000,

  // ---- Push wake-up (issue 12) ----
  /**
   * Followers the writer's notify socket serves at once. Each poke costs the writer one write
   * system call per subscriber inside the acknowledgement path, so the fan-out is bounded; a
   * follower beyond it is closed at once and keeps its directory watch and poll.
   */
  notifySubscribersMax: 64,

  // ---- BullMQ backend (issue 14) ----
  /**
   * Most a BullMQ job lock is lengthened past `lockDuration` (the allowance is `lockDuration`
   * itself, up to this). A lock is granted when its command is proposed, but its worker only gets
   * the job once the record is durable, applied and handed over (group commit, fsync, event loop);
   * on Redis the lock starts as the reply leaves. Without the allowance a short lock (BullMQ's tests
   * use 100 ms) lapses under load before the worker's first extension, and a live job is taken back
   * as stalled. The cost: a dead worker's jobs are recovered up to this much later than on Redis.
   */
  bullmqLockAllowanceMillisMax: 1_000,
  /**
   * A BullMQ directory's periodic snapshot (past snapshotEveryRecords / snapshotEveryBytes) waits
   * until the record bytes since the last snapshot reach this multiple of that snapshot's size.
   * Every job a queue keeps (BullMQ keeps completed jobs unless removeOnComplete says otherwise) is
   * in every snapshot, so a fixed interval made the snapshot cost per job grow with the number
   * kept; in proportion, each logged byte costs at most one snapshot byte, and a reopen replays
   * at most about one snapshot's size of records after loading it.
   */
  bullmqSnapshotLogBytesRatio: 1,
} as const;

assert(limits.blockBytesMin <= limits.blockBytesDefault && limits.blockBytesDefault <= limits.blockBytesMax, 'default block in range');
assert(limits.segmentBytesDefault % limits.blockBytesMax === 0, 'default segment holds whole max blocks');
assert(limits.segmentBytesMax / limits.blockBytesMin < 2 ** 32, 'block numbers fit u32');
assert(limits.segmentBlocksMin * limits.blockBytesMax <= limits.segmentBytesMax, 'a smallest segment of largest blocks is allowed');
assert(limits.batchBytesMaxDefault < limits.segmentBytesDefault, 'a default batch fits in a default segment');
assert(limits.recordBytesMaxDefault < limits.batchBytesMaxDefault, 'a default record fits in a default batch');
assert(limits.inFlightBytesMaxDefault >= 2 * limits.batchBytesMaxDefault, 'two batches can be in flight');
assert(limits.batchesInFlightCountDefault >= 1, 'at least one batch can be in flight');
assert(limits.batchesInFlightCountDefault <= limits.batchesInFlightCountMax, 'default batches in flight in range');
assert(limits.inFlightBytesMaxDefault <= limits.inFlightBytesMaxMax, 'default in-flight bytes in range');
assert(limits.queuedBytesMaxDefault >= limits.recordBytesMaxDefault, 'a default-sized record can wait under the default queue cap');
assert((limits.fileModeDefault & 0o600) === 0o600 && (limits.dirModeDefault & 0o700) === 0o700, 'seglog can use what it creates');
assert(limits.batchChunkBytes >= 1 && limits.batchChunkBytes <= limits.batchBytesMaxDefault, 'a chunk is at most a batch');
assert(limits.batchRecordsMaxDefault <= limits.batchRecordsMaxMax, 'default batch records in range');
assert(limits.batchBytesMaxDefault / limits.largeRecordBatchDivisorCount < limits.recordBytesMaxDefault, 'under the defaults, records can be large');
assert(limits.indexIntervalBytesDefault >= limits.blockBytesDefault, 'an index interval spans at least one block');
assert(limits.indexIntervalBytesDefault <= limits.segmentBytesDefault, 'a default segment gets index entries');
assert(limits.zeroFillChunkBytes % limits.blockBytesMax === 0, 'zero-fill chunks are whole blocks');
assert(limits.zeroFillStepBytes % limits.zeroFillChunkBytes === 0, 'a zero-fill step is whole chunks');
assert(limits.autoZeroFillBatchBytesMax < limits.batchBytesMaxDefault, "'auto' can see batches on both sides of its threshold");
assert(limits.averageBatchBytesSmoothingFraction > 0 && limits.averageBatchBytesSmoothingFraction <= 1, 'smoothing weight in (0, 1]');
assert(limits.prepareNextSegmentFullFraction > 0 && limits.prepareNextSegmentFullFraction < 1, 'the next segment is prepared before the roll');
assert(limits.adaptiveWindowMicrosMaxDefault <= limits.commitWindowMicrosMax, 'default adaptive ceiling in range');
assert(limits.windowFlushFraction <= limits.windowCapFlushFraction, 'the target window is under its cap');
assert(limits.windowCapFlushFraction <= 0.5, 'never wait more than half a flush');
assert(limits.windowReleaseLoadRatio < limits.windowEngageLoadRatio, 'hysteresis: release below engage');
assert(limits.windowSmoothingFraction > 0 && limits.windowSmoothingFraction <= 1, 'smoothing weight in (0, 1]');
assert(limits.windowStepFraction > 0 && limits.windowStepFraction <= 1, 'step in (0, 1]');
assert(limits.flushSampleClipRatio > 1, 'clipping keeps samples above the estimate');
assert(limits.flushMedianSamplesCount % 2 === 1, 'an odd sample count has one median');
assert(limits.arrivalRatePeriodMicros >= limits.adaptiveWindowMicrosMaxDefault, 'a rate period spans at least one default-sized window');
assert(limits.recentIntervalMillisMin <= limits.recentIntervalMillisDefault && limits.recentIntervalMillisDefault <= limits.recentIntervalMillisMax, 'default interval in range');
assert(limits.lockAttemptsMax >= 2, 'a racing opener gets a second attempt after clearing a stale lock');

// ---- Reading segments: store recovery, the reader, and tools that scan (issue 10 item 3) ----
// Kept as its own block so the writer's limits above can be restructured separately.

export const readLimits = {
  /** One read window of a chain scan (recovery, verify): few large sequential reads. */
  scanWindowBytes: 1024 * 1024,
  /** First read of one batch looked up by position (an index entry's); most batches fit. */
  batchProbeBytes: 64 * 1024,
  /** One read of the reader, handed from batch to batch along a walk. */
  readerChunkBytes: 64 * 1024,
  /**
   * Bytes of verified batches (decoded ones, and headers with chunk tables) a reader caches by
   * default (`cacheBytes`). A reader doing random gets stays within this plus its fixed costs.
   */
  readerCacheBytesDefault: 32 * 1024 * 1024,
  /** The largest `cacheBytes` accepted: a reader's cache is memory, not a second copy of the log. */
  readerCacheBytesMax: 2 ** 40,
  /** What a cached batch head (header, position, bookkeeping) costs beyond its chunk table. */
  readerCachedHeadOverheadBytes: 256,

  /** Open segment handles a reader keeps by default (`cacheHandles`). */
  readerOpenHandlesDefault: 16,
  /** Segment indexes a reader keeps in memory; each holds one entry per index interval at most. */
  readerSegmentIndexesMax: 1024,
  /** Index entries of a sealed segment that recovery tries, newest first, before a full scan. */
  recoveryIndexTriesMax: 8,
  /**
   * Open scans the last segment from its last index entry that HEAD vouches for (a batch below
   * HEAD's durable end) when the part before that entry is at least this long; a shorter part is
   * scanned too, as it costs a few ms. The part left out is verified in the background after open
   * and on every read (docs/reliability.md, "What open checks").
   */
  recoveryTrustedPrefixBytesMin: 4 * 1024 * 1024,
  /**
   * Reads of HEAD in a row that find no valid slot before a reader gives up (SEGLOG_CORRUPT). A
   * slot being rewritten fails its CRC but the other slot stays valid, so a read sees no valid slot
   * only when it copied the two slots across a HEAD flush (the writer moved on to the other slot
   * meanwhile): its thread was descheduled mid-copy on a loaded machine. Retries back off
   * (`headReadRetryMs`, doubling) so they do not meet the same burst of writes.
   */
  headReadAttempts: 6,
  /** The first wait before a HEAD read is retried; doubles each time (1, 2, 4, 8, 16 ms). */
  headReadRetryMs: 1,
  /**
   * A reader that keeps HEAD open (reader visible-end.ts) opens it anew when a read brings no news
   * and it has held it this long: on NFS only an open revalidates the client's cache of the file.
   */
  headReopenMs: 1000,
  /**
   * A reader that keeps HEAD open checks that it was not replaced (one fstat) when a read brings no
   * news and the last news is this old: a follower's read right after taking news skips it.
   */
  headLinkCheckMs: 10,
  /**
   * A follower's safety-net poll of the durable end when no wake-up came: starts at this delay,
   * doubles up to `followPollMaxMs`, and starts over whenever the end moved. Wake-ups (the log's
   * hook, the writer's socket, a directory watch) usually come first; the poll covers file systems
   * that give none. While one of them is known to work, the poll stays at `followPollMaxMs`.
   */
  followPollMinMs: 5,
  followPollMaxMs: 1000,
  /**
   * How often a follower without a connection to the writer's notify socket tries to connect
   * again (no writer yet, a writer that crashed and restarts). A failed connect is one refused
   * system call, so once a second costs nothing while it brings a restarted writer's pokes back.
   */
  notifyReconnectMs: 1000,
} as const;

// The reader adds in-memory index entries at the writer's default interval
// (`limits.indexIntervalBytesDefault`), so a segment read without its `.idx` is indexed as densely.
assert(limits.indexIntervalBytesDefault % limits.blockBytesMin === 0, 'the reader indexes whole blocks');
assert(readLimits.batchProbeBytes >= limits.blockBytesMax, 'a probe read holds at least one block');
assert(readLimits.readerChunkBytes >= limits.blockBytesMax, 'a reader chunk holds at least one block');
assert(readLimits.scanWindowBytes >= readLimits.batchProbeBytes, 'a scan window holds a probe');

// ---- Shipping to NATS JetStream (@seglog/jetstream, issue 16) ----

export const shipLimits = {
  /** Publishes awaiting their stream acknowledgement at once, by default (`maxInFlight`). */
  inFlightCountDefault: 2048,
  /** Largest `maxInFlight`: each in-flight publish holds a reply subscription entry in the client. */
  inFlightCountMax: 65_536,
  /** Payload bytes awaiting acknowledgement at once, by default (`maxInFlightBytes`). */
  inFlightBytesDefault: 16 * 1024 * 1024,
  /** How long one publish waits for its acknowledgement before the shipper re-syncs with the stream. */
  publishTimeoutMillisDefault: 5000,
  /** How long `ship()` keeps trying to reach the stream before it gives up (an election takes ~5 s). */
  startTimeoutMillisDefault: 60_000,
  /**
   * How often the shipped position is written to the retention hold while it moves. Each write is
   * a small file written and flushed, so not per acknowledgement; the stream, not the hold, decides
   * where shipping resumes, so a hold that lags only keeps records on disk a little longer.
   */
  holdIntervalMillisDefault: 1000,
  /** Backoff between attempts to reach the stream after a failure: starts here, doubles to the max. */
  retryMillisMin: 100,
  retryMillisMax: 5000,
  /** Direct gets restore keeps in flight, and records it appends to the log at once. */
  restoreBatchCount: 1024,
  /** Duplicate window of a stream `ship` creates (JetStream's default); exactly-once does not rely on it. */
  duplicateWindowMillisDefault: 120_000,
  /**
   * Payload bytes `holdLag` (and so `seglog stat`) reads to count the bytes behind a shipper's
   * hold exactly; past them it estimates the rest from the mean record size read, so a shipper
   * stopped for days does not make `stat` read the whole log.
   */
  holdLagReadBytesMax: 64 * 1024 * 1024,
} as const;

assert(shipLimits.inFlightCountDefault <= shipLimits.inFlightCountMax, 'default in-flight count in range');
assert(shipLimits.retryMillisMin < shipLimits.retryMillisMax, 'backoff can grow');
assert(shipLimits.inFlightBytesDefault >= limits.recordBytesMaxDefault, 'a default-sized record can be in flight');
