/**
 * One job: adding jobs (addStandardJob / addDelayedJob / addPrioritizedJob.lua) and the job and
 * queue mutations that are not moves: data, progress, logs, queue meta, custom events, the event
 * stream's length and the rate limiter.
 */
import type {
  AddCommand,
  AddLogCommand,
  ClearLogsCommand,
  ProgressCommand,
  PublishCommand,
  RateLimitCommand,
  RemoveMetaCommand,
  SetMetaCommand,
  TrimEventsCommand,
  UpdateDataCommand,
} from './commands.js';
import { refused, serverClock } from './commands.js';
import type { Refused } from './commands.js';
import { EVENTS_MAX_LENGTH_DEFAULT } from './event-stream.js';
import type { JobRecord } from './job-record.js';
import { newJobRecord } from './job-record.js';
import { dedupOptionsOf, deduplicate } from './dedup.js';
import { addDependency, findJob } from './flows.js';
import type { Universe } from './flows.js';
import { MISSING_JOB, PARENT_MISSING } from './locks.js';
import type { QueueState } from './queue-state.js';

const MAX_EVENTS_META = 'opts.maxLenEvents';

/**
 * Returns the job's id (an existing job with the same custom id is kept, as Redis does), or -5
 * when the parent it names does not exist.
 */
export function applyAdd(universe: Universe, queue: QueueState, command: AddCommand): string | Refused {
  const { now } = command;
  const parent = command.parentKey === undefined ? undefined : findJob(universe, command.parentKey);
  if (command.parentKey !== undefined && parent === undefined) return refused(PARENT_MISSING);
  queue.idCounter++;
  ensureMaxEvents(queue);
  const id = command.id === '' ? String(queue.idCounter) : command.id;
  if (queue.jobs.has(id)) {
    queue.event(now, 'duplicated', 'jobId', id);
    return id;
  }
  const dedup = dedupOptionsOf(command);
  if (dedup !== undefined) {
    const holder = deduplicate(queue, command, dedup, id);
    if (holder !== undefined) return holder;
  }
  const job = newJob(id, command);
  if (dedup !== undefined) job.deduplicationId = dedup.id;
  queue.jobs.set(id, job);
  queue.event(now, 'added', 'jobId', id, 'name', job.name);
  if (parent !== undefined && command.asDependency === true) addDependency(parent.job, `${queue.name}:${id}`);
  if (command.waitChildren === true) {
    job.state = 'waiting-children';
    queue.waitingChildren.add(id, command.timestamp);
    queue.event(now, 'waiting-children', 'jobId', id);
  } else if (job.delay > 0) {
    const due = job.timestamp + job.delay;
    queue.addDelayed(job, due);
    queue.event(now, 'delayed', 'jobId', id, 'delay', due);
  } else {
    queue.enqueue(job, command.opts.lifo === true);
    queue.event(now, 'waiting', 'jobId', id);
  }
  return id;
}

function newJob(id: string, command: AddCommand): JobRecord {
  const job = newJobRecord(id, command.name, command.data, command.opts, command.timestamp);
  if (command.parentKey !== undefined) job.parentKey = command.parentKey;
  if (command.parent !== undefined) job.parent = command.parent;
  if (command.repeatJobKey !== undefined) job.repeatJobKey = command.repeatJobKey;
  return job;
}

function ensureMaxEvents(queue: QueueState): void {
  if (!queue.meta.has(MAX_EVENTS_META)) queue.meta.set(MAX_EVENTS_META, String(EVENTS_MAX_LENGTH_DEFAULT));
}

export function applyUpdateData(queue: QueueState, command: UpdateDataCommand): Refused | number {
  const job = queue.jobs.get(command.id);
  if (job === undefined) return refused(MISSING_JOB);
  job.data = command.data;
  return 0;
}

export function applyProgress(queue: QueueState, command: ProgressCommand): Refused | number {
  const job = queue.jobs.get(command.id);
  if (job === undefined) return refused(MISSING_JOB);
  ensureMaxEvents(queue);
  job.progress = command.progress;
  queue.event(command.now, 'progress', 'jobId', command.id, 'data', JSON.stringify(command.progress));
  return 0;
}

/** Returns the number of log rows kept. */
export function applyAddLog(queue: QueueState, command: AddLogCommand): Refused | number {
  const job = queue.jobs.get(command.id);
  if (job === undefined) return refused(MISSING_JOB);
  job.logs.push(command.row);
  if (command.keep > 0 && job.logs.length > command.keep) job.logs.splice(0, job.logs.length - command.keep);
  return job.logs.length;
}

export function applyClearLogs(queue: QueueState, command: ClearLogsCommand): number {
  const job = queue.jobs.get(command.id);
  if (job === undefined) return 0;
  if (command.keep > 0) job.logs.splice(0, Math.max(0, job.logs.length - command.keep));
  else job.logs = [];
  return 0;
}

/** Returns how many fields were new (HSET's reply). */
export function applySetMeta(queue: QueueState, command: SetMetaCommand): number {
  let added = 0;
  for (const [field, value] of Object.entries(command.values)) {
    if (!queue.meta.has(field)) added++;
    queue.meta.set(field, value);
    if (field === MAX_EVENTS_META) queue.events.maxLength = positiveOr(Number(value), EVENTS_MAX_LENGTH_DEFAULT);
  }
  return added;
}

export function applyRemoveMeta(queue: QueueState, command: RemoveMetaCommand): number {
  let removed = 0;
  for (const field of command.fields) if (queue.meta.delete(field)) removed++;
  return removed;
}

/** Returns the new entry's id. */
export function applyPublish(queue: QueueState, command: PublishCommand): string {
  const id = queue.events.append(command.now, [...command.fields]);
  if (command.maxEvents > 0) queue.events.trim(Math.max(command.maxEvents, queue.events.maxLength));
  return id;
}

export function applyTrimEvents(queue: QueueState, command: TrimEventsCommand): number {
  return queue.events.trim(command.maxLength);
}

/** Queue.rateLimit / Worker.rateLimit: closes the limiter for `expireMs` (SET limiter MAX PX). */
export function applyRateLimit(queue: QueueState, command: RateLimitCommand): number {
  const serverNow = serverClock(command);
  if (command.expireMs <= 0) {
    const had = queue.limiter.untilMs > serverNow ? 1 : 0;
    queue.limiter = { count: 0, untilMs: 0 };
    return had;
  }
  queue.limiter = { count: Number.MAX_SAFE_INTEGER, untilMs: serverNow + command.expireMs };
  return 1;
}

function positiveOr(value: number, fallback: number): number {
  return Number.isFinite(value) && value > 0 ? value : fallback;
}
