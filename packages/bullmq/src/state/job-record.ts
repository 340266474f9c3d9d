/**
 * One job: what the backend keeps for one BullMQ job (the Redis backend's job hash), and its
 * conversion to the `JobJson` shape BullMQ's `Job.fromJSON` reads.
 *
 * `data`, `returnvalue` and `stacktrace` stay JSON text, as BullMQ hands them over and reads them
 * back; `opts` is the options object BullMQ passed to `addJob`.
 */
import type { JobJson, JobsOptions } from 'bullmq';

export type JobStateName = 'wait' | 'prioritized' | 'delayed' | 'active' | 'completed' | 'failed' | 'waiting-children';

export interface ParentRef {
  id: string;
  queueKey: string;
  fpof?: boolean;
  cpof?: boolean;
  idof?: boolean;
  rdof?: boolean;
}

export interface JobLock {
  token: string;
  /** Wall-clock ms when the lock lapses (Redis: the lock key's PX expiry). */
  untilMs: number;
}

export interface JobRecord {
  id: string;
  name: string;
  data: string;
  opts: JobsOptions;
  timestamp: number;
  delay: number;
  priority: number;
  progress: unknown;
  attemptsMade: number;
  attemptsStarted: number;
  stalledCounter: number;
  state: JobStateName;
  processedOn?: number;
  finishedOn?: number;
  failedReason?: string;
  stacktrace?: string;
  returnvalue?: string;
  processedBy?: string;
  deferredFailure?: string;
  parentKey?: string;
  /** The parent's id and queue, with the child's failure policy (fpof/cpof/idof/rdof), as BullMQ sends it. */
  parent?: ParentRef;
  /** A parent's pending children, as `<queue>:<id>` keys (Redis `:dependencies`). */
  deps?: string[];
  /** Completed children and their return values (JSON text) (Redis `:processed`). */
  processed?: Record<string, string>;
  /** Children whose failure was ignored or let the parent continue, with the reason (Redis `:failed`). */
  ignored?: Record<string, string>;
  /** Children that failed and fail the parent, with the time (Redis `:unsuccessful`). */
  unsuccessful?: Record<string, number>;
  repeatJobKey?: string;
  deduplicationId?: string;
  logs: string[];
  lock?: JobLock;
}

/** A job as an add creates it: no attempts yet, in wait until the caller places it. */
export function newJobRecord(id: string, name: string, data: string, opts: JobsOptions, timestamp: number): JobRecord {
  return {
    id,
    name,
    data,
    opts,
    timestamp,
    delay: numberOr(opts.delay, 0),
    priority: numberOr(opts.priority, 0),
    progress: 0,
    attemptsMade: 0,
    attemptsStarted: 0,
    stalledCounter: 0,
    state: 'wait',
    logs: [],
  };
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

export function toJobJson(job: JobRecord): JobJson {
  const json: JobJson = {
    id: job.id,
    name: job.name,
    data: job.data,
    opts: job.opts,
    progress: job.progress as JobJson['progress'],
    attemptsMade: job.attemptsMade,
    attemptsStarted: job.attemptsStarted,
    timestamp: job.timestamp,
    delay: job.delay,
    priority: job.priority,
    failedReason: job.failedReason ?? '',
    returnvalue: job.returnvalue ?? 'null',
    stacktrace: job.stacktrace ?? '[]',
    stalledCounter: job.stalledCounter,
  };
  if (job.finishedOn !== undefined) json.finishedOn = job.finishedOn;
  if (job.processedOn !== undefined) json.processedOn = job.processedOn;
  if (job.parentKey !== undefined) json.parentKey = job.parentKey;
  if (job.parent !== undefined) json.parent = job.parent;
  if (job.repeatJobKey !== undefined) json.repeatJobKey = job.repeatJobKey;
  if (job.deduplicationId !== undefined) json.deduplicationId = job.deduplicationId;
  if (job.deferredFailure !== undefined) json.deferredFailure = job.deferredFailure;
  if (job.processedBy !== undefined) json.processedBy = job.processedBy;
  return json;
}
