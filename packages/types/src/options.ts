/**
 * One job: the public option shapes. Defaults and validation live in @seglog/store.
 */
import type { Clock, FileIO } from './file-io.js';

export interface FixedCommitWindow {
  /** How long an open batch may wait for company once the disk is idle. 0 = seal at once. */
  readonly fixedMicros: number;
}

/**
 * The adaptive window: a controller sets it from measured fdatasync latency and the rate of
 * independent arrivals, within `maxMicros` (default 2000) and never above half the recent
 * fdatasync latency.
 */
export interface AdaptiveCommitWindow {
  readonly adaptive: { readonly maxMicros?: number };
}

export type CommitWindow = 'adaptive' | FixedCommitWindow | AdaptiveCommitWindow;

export type SyncMethod = 'fdatasync' | 'open_datasync';

export interface LogOptions {
  /** The log directory; created if missing. */
  readonly dir: string;
  /** The I/O engine; defaults to the real one on node:fs. */
  readonly io?: FileIO;
  readonly clock?: Clock;
  /** Segment file size; segments roll before a batch would cross it. Default 64 MiB. */
  readonly segmentBytes?: number;
  /** Alignment unit of every batch: a power of two from 512 to 65536. Default 4096. */
  readonly blockBytes?: number;
  /** Largest payload accepted by `append`. Default 1 MiB. */
  readonly maxRecordBytes?: number;
  /** Largest batch (framing included) written with one writev. Default 4 MiB. */
  readonly maxBatchBytes?: number;
  /** Payload bytes accepted but not yet durable; past this, appends wait. Default 64 MiB. */
  readonly maxInFlightBytes?: number;
  /**
   * Batches in the kernel at once: the next sealed batch is written while earlier ones are still
   * being written or flushed, and appends still resolve strictly in offset order. 1 is the old
   * one-batch-at-a-time commit. Default 1 (measured: docs/benchmarks.md), at most 8.
   */
  readonly maxBatchesInFlight?: number;
  /** Default `'adaptive'`. `{ fixedMicros: N }` pins it. */
  readonly commitWindow?: CommitWindow;
  /** Most records in one batch. Default 65536. */
  readonly maxBatchRecords?: number;
  /** Length of the sliding interval of `metrics().recent`, milliseconds. Default 10000. */
  readonly recentIntervalMillis?: number;
  /**
   * Fill the next segment with zeros in the background before it is needed. `'auto'` (the
   * default) does it while recent batches are small (under 128 KiB on average), where overwriting
   * allocated blocks makes each fdatasync cheaper, and skips it for large batches, where the zero
   * fill would double the bytes written. `true` always, `false` never.
   */
  readonly preallocate?: boolean | 'auto';
  /**
   * How a batch is made durable. `'fdatasync'`: one writev, then one fdatasync. `'open_datasync'`:
   * the segment is opened with O_DSYNC and the writev itself is durable when it returns, one system
   * call (and one trip to the thread pool) instead of two; `metrics().writeMicros` is then 0 and
   * the whole write counts as `flushMicros`. Named after PostgreSQL's `wal_sync_method`.
   * Default `'open_datasync'`.
   */
  readonly syncMethod?: SyncMethod;
  /** Write a sparse index entry at most every this many segment bytes. Default 16 KiB. */
  readonly indexIntervalBytes?: number;
  /**
   * Payload bytes that appends waiting for `maxInFlightBytes` room may hold (as copies). Past it,
   * `append`/`appendMany` reject at once with SEGLOG_OVERLOADED, get no offset and write nothing.
   * Default 16 MiB: reached only by callers that do not await (or by more than 16 concurrent
   * awaiting appenders of 1 MiB records beyond `maxInFlightBytes`: raise it for those).
   */
  readonly maxQueuedBytes?: number;
  /** Permission bits of files the log creates, before the umask. Default 0o600 (owner only). */
  readonly fileMode?: number;
  /** Permission bits of directories `openLog` creates, before the umask. Default 0o700. */
  readonly dirMode?: number;
  /**
   * Open even when the log ends below its HEAD checkpoint (acknowledged records were lost after
   * the fact: a cut or zeroed tail, a deleted segment). The lost offsets are handed out again,
   * `truncateEpoch` in HEAD is bumped, and `log.lostRecords` says which. Default false: such a
   * log fails to open with SEGLOG_CORRUPT naming both offsets.
   */
  readonly acceptDataLoss?: boolean;
  /**
   * The 16-byte id a new log is created with (it goes into every segment header and every batch
   * checksum, so a segment copied in from another log is refused). Default: 16 random bytes. Give
   * it to make the files of a seeded test or a fuzz replay byte-exact. An existing log keeps its
   * id: a different one here is SEGLOG_INVALID_OPTION.
   */
  readonly logId?: Uint8Array;
  /**
   * The offset a new log's first record gets. Default 0. A log restored from a copy that had
   * lost its start to retention (@seglog/jetstream's `restore`) keeps the original offsets this
   * way: it opens empty at `firstOffset`, and reads below it answer SEGLOG_BEHIND_RETENTION as if
   * retention had dropped them. An existing log keeps its offsets: a value above its first offset
   * (so it cannot have been created with it) is SEGLOG_INVALID_OPTION.
   */
  readonly firstOffset?: number;
  /**
   * Automatic retention, applied in the background (docs/retention.md): whole sealed segments are
   * dropped, oldest first, while the log is over `maxBytes` or while their newest record is older
   * than `maxAgeMs`; the segment being appended to is never dropped, and retention holds are
   * honoured. Checked every `intervalMs` (default 60 s). Off when not given.
   */
  readonly retention?: RetentionOptions;
}

export interface RetentionOptions {
  /** Keep the segment and index files of the log at or under this many bytes (whole segments). */
  readonly maxBytes?: number;
  /** Drop a sealed segment once its last append is older than this. */
  readonly maxAgeMs?: number;
  /** How often the background pass runs, ms. Default `limits.retentionIntervalMsDefault`. */
  readonly intervalMs?: number;
}

export interface ReaderOptions {
  readonly dir: string;
  readonly io?: FileIO;
  /**
   * The `Log` of this process: the reader takes the durable end from it instead of the HEAD file,
   * and may opt in to `visibility: 'written'`. Without it, the durable end comes from HEAD (any
   * process); see docs/architecture.md "What a reader sees".
   */
  readonly durable?: DurableSource;
  /**
   * `'durable'` (the default): only acknowledged records. `'written'` (only with `durable`): also
   * records whose write completed but whose flush has not, which a power loss can take back.
   */
  readonly visibility?: ReaderVisibility;
  /**
   * Bytes of verified batch data a reader keeps in memory: decoded batches (for `read`) and batch
   * headers with their chunk tables (for `get`). Default 32 MiB (`readLimits.readerCacheBytesDefault`);
   * docs/tuning.md.
   */
  readonly cacheBytes?: number;
  /** At most this many batches cached, on top of `cacheBytes`. Default: only `cacheBytes` bounds. */
  readonly cacheBatches?: number;
  /** Open segment handles kept. Default 16. */
  readonly cacheHandles?: number;
}

export type ReaderVisibility = 'durable' | 'written';

/** Something that knows which offsets are durable: a `Log` is one. */
export interface DurableSource {
  /** One past the last durable offset. */
  readonly durableOffset: number;
  /**
   * Optional wake-up hook for followers in this process: `listener` is called after each batch
   * becomes durable, with the new `durableOffset`; returns a function that unsubscribes.
   */
  onDurable?(listener: (durableOffset: number) => void): () => void;
  /** Optional: the low-water mark (a `Log`'s `firstOffset`); offsets below it were dropped by retention. */
  readonly firstOffset?: number;
  /** Optional: bumped by every `truncateAfter` (a `Log`'s `truncateEpoch`): offsets were reused. */
  readonly truncateEpoch?: number;
  /** Optional: where the newest reuse of offsets began (a `Log`'s `truncatedAt`). */
  readonly truncatedAt?: number;
  /**
   * Optional: the offset of a `truncateAfter` in progress (a `Log`'s `pendingTruncation`), from
   * just before it is announced in HEAD until the cut log is reopened; undefined otherwise. Nothing
   * from it on is visible meanwhile, and the chain may end below it on purpose (a split batch's kept
   * records wait in a temp file until a rename), as HEAD's pending truncation tells other processes.
   */
  readonly pendingTruncation?: number;
}

export interface LogRecord {
  readonly offset: number;
  readonly payload: Uint8Array;
  /**
   * Wall-clock milliseconds when the record's batch was sealed (format v2's batch header);
   * undefined for records in format-v1 segments, which do not carry it.
   */
  readonly appendTimeMs: number | undefined;
}
