/**
 * One job: the queue's options, their defaults and limits in one place, and their validation
 * (a coded SEGLOG_INVALID_OPTION for a bad value, a TypeError for a payload that is not bytes).
 */
import { SeglogError } from '@seglog/types';
import type { FileIO, LogOptions } from '@seglog/types';
import type { MachineOptions } from '../machine/index.js';
import type { BackoffPolicy } from './backoff.js';
import { checkBackoff } from './backoff.js';
import type { GroupFrom } from './commands.js';

export const queueLimits = {
  /** Priority lanes: 0 (default) to 7, higher first. */
  priorityMax: 7,
  dedupWindowMsDefault: 120_000,
  ackDeadlineMsDefault: 30_000,
  maxDeliveriesDefault: 5,
  concurrencyDefault: 1,
  keyConcurrencyDefault: 1,
  drainMsDefault: 5_000,
  /** enqueueMany splits its messages into records of at most this many payload bytes. */
  enqueueManyRecordBytes: 512 * 1024,
  /** Deliveries in one record (about 70 bytes each): keeps a record far below maxRecordBytes. */
  deliveriesPerRecordMax: 1024,
  /** Delivery records one pump proposes at most (they share the turn's group commit). */
  deliveryRecordsPerPumpMax: 8,
  /** Entries a group's lease line holds beyond twice its live leases before it drops stale ones. */
  leaseLineSlack: 1024,
  /** The timing wheel's resolution: deadlines fire at most this late. */
  wheelTickMs: 10,
  /** How often `seglog:queue:stats` is published while someone subscribes. */
  statsIntervalMsDefault: 1_000,
  /** Payloads enqueued in this process kept in memory for their delivery (0 turns the cache off). */
  payloadCacheBytesDefault: 32 * 1024 * 1024,
  /** Entries the payload cache's eviction order holds beyond twice its cached messages before compaction. */
  cacheOrderSlack: 1024,
} as const;

/** Wall-clock time and timers, injectable so a simulation replays exactly. */
export interface QueueClock {
  nowMs(): number;
  setTimer(callback: () => void, delayMs: number): unknown;
  clearTimer(handle: unknown): void;
}

export const systemQueueClock: QueueClock = {
  nowMs: () => Date.now(),
  setTimer: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface QueueOptions {
  /** The queue's directory: the log in `<dir>/log`, snapshots in `<dir>/snapshots`. */
  readonly dir: string;
  readonly io?: FileIO;
  /** How long a `dedupId` is remembered after its enqueue. Default 120000 (2 min, as NATS). */
  readonly dedupWindowMs?: number;
  /** Snapshot after this many records since the last one. Default 10000. */
  readonly snapshotEveryRecords?: MachineOptions<never, never>['snapshotEveryRecords'];
  /** Or after this many record bytes. Default 64 MiB. */
  readonly snapshotEveryBytes?: number;
  /** Wall-clock time and timers (deadlines, delays, backoff). Default: Date.now and setTimeout. */
  readonly clock?: QueueClock;
  /** Bytes of payloads enqueued here kept in memory so their delivery skips a log read. Default 32 MiB. */
  readonly payloadCacheBytes?: number;
  /** How often stats go out on the `seglog:queue:stats` diagnostics channel (while subscribed). Default 1000. */
  readonly statsIntervalMs?: number;
  /** Options of the underlying log (segment size, commit window, ...). */
  readonly log?: Omit<LogOptions, 'dir' | 'io'>;
  /**
   * Drop old log segments in the background (the log's `retention` option, docs/retention.md).
   * The queue's retention hold keeps every record it still needs: unsettled messages' payloads
   * and the records after its snapshots. Same as `log.retention`; this one wins.
   */
  readonly retention?: LogOptions['retention'];
}

export interface EnqueueOptions {
  /** Messages with the same key are delivered in order, at most `keyConcurrency` at a time. */
  readonly key?: string;
  /** Deliver no sooner than this many milliseconds from now. */
  readonly delayMs?: number;
  /** A second enqueue with this id within `dedupWindowMs` is dropped and returns the first one's offset. */
  readonly dedupId?: string;
  /** 0 (default) to 7; higher is delivered first. */
  readonly priority?: number;
}

export interface ConsumerOptions {
  /** Messages this consumer holds unsettled at once. Default 1. */
  readonly concurrency?: number;
  /** Lease length: a delivery not settled or extended by then is redelivered. Default 30000. */
  readonly ackDeadlineMs?: number;
  /** Deliveries before a message is dead-lettered. Default 5. */
  readonly maxDeliveries?: number;
  /** Delay before a lapsed lease or a nak without delayMs is redelivered. Default exponential 1 s .. 60 s. */
  readonly backoff?: BackoffPolicy;
  /** The dead-letter group, or false to drop. Default `<group>.dead`. */
  readonly deadLetter?: string | false;
  /** Messages of one key in flight at once. Default 1. */
  readonly keyConcurrency?: number;
  /** Where a new group starts: every message the queue holds ('earliest', default) or new ones. */
  readonly from?: GroupFrom;
}

export interface GroupPolicy {
  readonly ackDeadlineMs: number;
  readonly maxDeliveries: number;
  readonly backoff: BackoffPolicy;
  readonly deadLetter: string | undefined;
  readonly keyConcurrency: number;
}

export function checkGroupName(name: unknown): string {
  if (typeof name !== 'string' || name === '' || name.length > 200) throw SeglogError.invalidOption('group', `must be a non-empty string of at most 200 characters, got ${String(name)}`);
  return name;
}

export function resolvePolicy(group: string, options: ConsumerOptions): GroupPolicy {
  const deadLetter = options.deadLetter === undefined ? `${group}.dead` : options.deadLetter === false ? undefined : checkGroupName(options.deadLetter);
  if (deadLetter === group) throw SeglogError.invalidOption('deadLetter', 'must differ from the group itself');
  return {
    ackDeadlineMs: integer('ackDeadlineMs', options.ackDeadlineMs, queueLimits.ackDeadlineMsDefault, 1),
    maxDeliveries: integer('maxDeliveries', options.maxDeliveries, queueLimits.maxDeliveriesDefault, 1),
    backoff: checkBackoff(options.backoff),
    deadLetter,
    keyConcurrency: integer('keyConcurrency', options.keyConcurrency, queueLimits.keyConcurrencyDefault, 1),
  };
}

export function samePolicy(a: GroupPolicy, b: GroupPolicy): boolean {
  return (
    a.ackDeadlineMs === b.ackDeadlineMs &&
    a.maxDeliveries === b.maxDeliveries &&
    a.deadLetter === b.deadLetter &&
    a.keyConcurrency === b.keyConcurrency &&
    JSON.stringify(a.backoff) === JSON.stringify(b.backoff)
  );
}

export function checkPayload(payload: unknown): Uint8Array {
  if (!(payload instanceof Uint8Array)) throw new TypeError('payload must be a Uint8Array');
  return payload;
}

export function checkEnqueueOptions(options: EnqueueOptions): void {
  if (typeof options !== 'object' || options === null) throw SeglogError.invalidOption('enqueue options', 'must be an object');
  if (options.key !== undefined && (typeof options.key !== 'string' || options.key === '')) throw SeglogError.invalidOption('key', 'must be a non-empty string');
  if (options.dedupId !== undefined && (typeof options.dedupId !== 'string' || options.dedupId === '')) throw SeglogError.invalidOption('dedupId', 'must be a non-empty string');
  integer('delayMs', options.delayMs, 0, 0);
  integer('priority', options.priority, 0, 0, queueLimits.priorityMax);
}

export function integer(
  name: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min || value > max) throw SeglogError.invalidOption(name, `must be an integer from ${min} to ${max}, got ${value}`);
  return value;
}
