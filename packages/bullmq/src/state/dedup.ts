/**
 * One job: deduplication (BullMQ's `deduplication` / `debounce` job options), as deduplicateJob.lua
 * keeps it: a deduplication id names the job that holds it; a second add with the same id adds
 * nothing and emits `deduplicated`, until the key lapses (`ttl`), is released when its job
 * finishes or is removed (no ttl), or is handed over: `extend` restarts the ttl, `replace` swaps a
 * still-delayed job for the new one (debounce).
 *
 * `keepLastIfActive`: the key has no ttl, and an add while the key's job is active is stored as
 * the key's next job (the last one wins), added when the active job completes or fails (see
 * apply-finish.ts), so at most one job per id is active and one waits.
 *
 * Key expiry runs on the backend's clock, like locks.
 */
import type { AddCommand, DropDedupKeyCommand } from './commands.js';
import { serverClock } from './commands.js';
import type { JobRecord } from './job-record.js';
import type { QueueState } from './queue-state.js';
import type { DedupKey, DedupNext } from './records.js';


export interface DedupOptions {
  readonly id: string;
  readonly ttl?: number;
  readonly extend?: boolean;
  readonly replace?: boolean;
  readonly keepLastIfActive?: boolean;
}

/** The deduplication options of an add, from `deduplication` or the legacy `debounce`. */
export function dedupOptionsOf(command: AddCommand): DedupOptions | undefined {
  const opts = command.opts as { deduplication?: DedupOptions; debounce?: DedupOptions };
  const given = opts.deduplication ?? opts.debounce;
  return given !== undefined && typeof given.id === 'string' ? given : undefined;
}

function liveKey(queue: QueueState, id: string, serverNow: number): DedupKey | undefined {
  const key = queue.dedup.get(id);
  if (key === undefined) return undefined;
  if (key.untilMs !== undefined && key.untilMs <= serverNow) {
    queue.dedup.delete(id);
    return undefined;
  }
  return key;
}

function setKey(queue: QueueState, options: DedupOptions, jobId: string, serverNow: number): void {
  const ttl = options.keepLastIfActive === true ? undefined : options.ttl;
  queue.dedup.set(options.id, ttl !== undefined && ttl > 0 ? { jobId, untilMs: serverNow + ttl } : { jobId });
}

/**
 * Decides an add with deduplication options: the id of the job that already holds the key (the
 * add adds nothing), or undefined when the new job `newId` is to be added (and now holds the key).
 */
export function deduplicate(
  queue: QueueState,
  command: AddCommand,
  options: DedupOptions,
  newId: string,
): string | undefined {
  const { now } = command;
  const serverNow = serverClock(command);
  const current = liveKey(queue, options.id, serverNow);
  if (options.replace === true) {
    if (current === undefined) {
      setKey(queue, options, newId, serverNow);
      return undefined;
    }
    const held = queue.jobs.get(current.jobId);
    if (held === undefined || held.state !== 'delayed') {
      storeNextIfActive(queue, command, options, current, newId);
      return current.jobId;
    }
    queue.dedupNext.delete(options.id);
    queue.removeJob(held);
    queue.event(now, 'removed', 'jobId', held.id, 'prev', 'delayed');
    queue.event(now, 'deduplicated', 'jobId', newId, 'deduplicationId', options.id, 'deduplicatedJobId', held.id);
    const keepTtl = options.keepLastIfActive !== true && options.extend !== true;
    if (keepTtl && options.ttl !== undefined && options.ttl > 0 && current.untilMs !== undefined) {
      queue.dedup.set(options.id, { jobId: newId, untilMs: current.untilMs });
    } else setKey(queue, options, newId, serverNow);
    return undefined;
  }
  if (current === undefined) {
    setKey(queue, options, newId, serverNow);
    return undefined;
  }
  if (storeNextIfActive(queue, command, options, current, newId)) return current.jobId;
  const extend = options.extend === true && options.ttl !== undefined && options.ttl > 0;
  if (extend) setKey(queue, options, current.jobId, serverNow);
  queue.event(now, 'deduplicated', 'jobId', current.jobId, 'deduplicationId', options.id, 'deduplicatedJobId', newId);
  return current.jobId;
}

/**
 * storeDeduplicatedNextJob.lua: with keepLastIfActive, an add while the key's job is active is kept
 * (replacing any earlier one) to be added when that job finishes; the key stops expiring meanwhile.
 */
function storeNextIfActive(
  queue: QueueState,
  command: AddCommand,
  options: DedupOptions,
  current: DedupKey,
  newId: string,
): boolean {
  if (options.keepLastIfActive !== true || queue.jobs.get(current.jobId)?.state !== 'active') return false;
  const next: DedupNext = { id: newId, name: command.name, data: command.data, opts: command.opts };
  if (command.parentKey !== undefined) next.parentKey = command.parentKey;
  if (command.parent !== undefined) next.parent = command.parent;
  if (command.asDependency !== undefined) next.asDependency = command.asDependency;
  if (command.repeatJobKey !== undefined) next.repeatJobKey = command.repeatJobKey;
  queue.dedupNext.set(options.id, next);
  delete current.untilMs;
  queue.event(command.now, 'deduplicated', 'jobId', current.jobId, 'deduplicationId', options.id, 'deduplicatedJobId', newId);
  return true;
}

/** The stored next job of `dedupId` as an add, removed from the queue's keeping; undefined if none. */
export function takeDedupNext(queue: QueueState, dedupId: string, now: number): AddCommand | undefined {
  const next = queue.dedupNext.get(dedupId);
  if (next === undefined) return undefined;
  queue.dedupNext.delete(dedupId);
  return {
    t: 'add',
    q: queue.name,
    now,
    id: next.id,
    name: next.name,
    data: next.data,
    opts: next.opts,
    timestamp: now,
    ...(next.parentKey === undefined ? {} : { parentKey: next.parentKey }),
    ...(next.parent === undefined ? {} : { parent: next.parent }),
    ...(next.asDependency === undefined ? {} : { asDependency: next.asDependency }),
    ...(next.repeatJobKey === undefined ? {} : { repeatJobKey: next.repeatJobKey }),
  };
}

/** removeDeduplicationKey / deleteDeduplicationKey: 1 when a key was dropped. */
export function applyDropDedupKey(queue: QueueState, command: DropDedupKeyCommand): number {
  const key = liveKey(queue, command.dedupId, serverClock(command));
  if (key === undefined || (command.jobId !== undefined && key.jobId !== command.jobId)) return 0;
  queue.dedup.delete(command.dedupId);
  return 1;
}

/** The job holding a live key, or null. */
export function dedupHolder(queue: QueueState | undefined, dedupId: string, serverNow: number): string | null {
  const key = queue?.dedup.get(dedupId);
  if (key === undefined || (key.untilMs !== undefined && key.untilMs <= serverNow)) return null;
  return key.jobId;
}

/** removeDeduplicationKeyIfNeededOnFinalization.lua: a key without ttl is released when its job finishes. */
export function releaseOnFinish(queue: QueueState, job: JobRecord, serverNow: number): void {
  const id = job.deduplicationId;
  if (id === undefined) return;
  const key = liveKey(queue, id, serverNow);
  if (key !== undefined && key.untilMs === undefined && key.jobId === job.id) queue.dedup.delete(id);
}

/** removeDeduplicationKeyIfNeededOnRemoval.lua: a removed job releases the key it holds. */
export function releaseOnRemove(queue: QueueState, job: JobRecord): void {
  const id = job.deduplicationId;
  if (id !== undefined && queue.dedup.get(id)?.jobId === job.id) queue.dedup.delete(id);
}
