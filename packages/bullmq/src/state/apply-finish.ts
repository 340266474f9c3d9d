/**
 * One job: the moves out of active (moveToFinished, moveToDelayed, retryJob,
 * moveJobFromActiveToWait), each fenced by the worker's lock token, with the option of taking the
 * next job in the same record (fetchNext), as the Redis scripts do.
 */
import type { ActiveToWaitCommand, DelayCommand, FinishCommand, KeepJobsSpec, RetryCommand } from './commands.js';
import { refused, serverClock } from './commands.js';
import type { Refused } from './commands.js';
import { fetchNextJob, promoteDueJobs } from './apply-fetch.js';
import type { NextJobResult } from './apply-fetch.js';
import type { JobRecord } from './job-record.js';
import { releaseOnFinish, takeDedupNext } from './dedup.js';
import { applyAdd } from './apply-job.js';
import { childCompleted, childFailed, detachFromParent, pendingCount } from './flows.js';
import type { Universe } from './flows.js';
import { FAILED_CHILDREN, MISSING_JOB, NOT_IN_STATE, PENDING_CHILDREN, releaseLock } from './locks.js';
import type { QueueState } from './queue-state.js';
import { recordMetric } from './metrics.js';

export type MoveResult = Refused | NextJobResult | 0;

/** Removed by age at most this many at once, as Redis's keepJobs.limit default. */
const KEEP_AGE_LIMIT_DEFAULT = 1000;

export function applyFinish(universe: Universe, queue: QueueState, command: FinishCommand): MoveResult {
  const { now, id } = command;
  const job = queue.jobs.get(id);
  if (job === undefined) return refused(MISSING_JOB);
  if (command.target === 'completed') {
    if (pendingCount(job) > 0) return refused(PENDING_CHILDREN);
    if (Object.keys(job.unsuccessful ?? {}).length > 0) return refused(FAILED_CHILDREN);
  }
  const taken = takeFromActive(queue, job, command);
  if (taken !== undefined) return taken;
  queue.events.trim(queue.events.maxLength);
  releaseOnFinish(queue, job, serverClock(command));
  addDedupNext(universe, queue, job, now);
  if (command.target === 'completed') childCompleted(universe, queue, job, command.value, now);
  else childFailed(universe, queue, job, command.value, now);
  job.attemptsMade++;
  const target = command.target === 'completed' ? queue.completed : queue.failed;
  if (command.keep.count !== 0) {
    job.state = command.target;
    target.add(id, now);
    job.finishedOn = now;
    if (command.target === 'completed') job.returnvalue = command.value;
    else {
      job.failedReason = command.value;
      delete job.deferredFailure;
    }
    trimFinished(queue, target, command.keep, now);
  } else {
    detachFromParent(universe, queue, job, false, now);
    queue.removeJob(job);
  }
  const valueField = command.target === 'completed' ? 'returnvalue' : 'failedReason';
  queue.event(now, command.target, 'jobId', id, valueField, command.value, 'prev', 'active');
  if (command.target === 'failed' && job.attemptsMade >= command.attempts) {
    queue.event(now, 'retries-exhausted', 'jobId', id, 'attemptsMade', job.attemptsMade);
  }
  if (command.maxMetrics !== undefined && command.maxMetrics > 0) {
    recordMetric(queue.metrics[command.target], command.maxMetrics, now);
  }
  if (command.fetch !== undefined) {
    const next = fetchNextJob(queue, command.fetch, now, serverClock(command));
    if (next !== undefined) return next;
  }
  if (queue.drained) queue.event(now, 'drained');
  return 0;
}

export function applyDelay(queue: QueueState, command: DelayCommand): MoveResult {
  const { now, id } = command;
  const job = queue.jobs.get(id);
  if (job === undefined) return refused(MISSING_JOB);
  const taken = takeFromActive(queue, job, command);
  if (taken !== undefined) return taken;
  if (!command.skipAttempt) job.attemptsMade++;
  job.delay = command.delay;
  queue.addDelayed(job, command.dueMs);
  queue.event(now, 'delayed', 'jobId', id, 'delay', command.dueMs);
  if (command.fetch !== undefined) {
    const next = fetchNextJob(queue, command.fetch, now, serverClock(command));
    if (next !== undefined && next[0] !== null) return next;
  }
  return 0;
}

export function applyRetry(queue: QueueState, command: RetryCommand): MoveResult {
  const { now, id } = command;
  promoteDueJobs(queue, now);
  const job = queue.jobs.get(id);
  if (job === undefined) return refused(MISSING_JOB);
  const taken = takeFromActive(queue, job, command);
  if (taken !== undefined) return taken;
  queue.enqueue(job, command.lifo);
  job.attemptsMade++;
  queue.event(now, 'waiting', 'jobId', id, 'prev', 'active');
  return 0;
}

/** Returns the limiter's remaining ms (BullMQ waits that long), or a refusal. */
export function applyActiveToWait(queue: QueueState, command: ActiveToWaitCommand): Refused | number {
  const { now, id } = command;
  const job = queue.jobs.get(id);
  if (job === undefined) return refused(MISSING_JOB);
  const lock = releaseLock(queue, job, command.token, serverClock(command));
  if (lock < 0) return refused(lock);
  if (job.state === 'active' && queue.active.remove(id)) {
    if (job.priority > 0) queue.pushBackPrioritized(job);
    else {
      job.state = 'wait';
      queue.wait.pushRight(id);
    }
    queue.event(now, 'waiting', 'jobId', id, 'prev', 'active');
  }
  return Math.max(0, queue.limiter.untilMs - serverClock(command));
}

/**
 * The start of every move out of active, as the scripts do it: release the worker's lock (fenced
 * by its token), set the fields the move carries, take the job out of the active list. Undefined
 * when done; the refusal otherwise (the fields are set even if the job then proves not active, as
 * on Redis).
 */
function takeFromActive(
  queue: QueueState,
  job: JobRecord,
  command: FinishCommand | DelayCommand | RetryCommand,
): Refused | undefined {
  const lock = releaseLock(queue, job, command.token, serverClock(command));
  if (lock < 0) return refused(lock);
  applyFields(job, command.fields);
  if (job.state !== 'active' || !queue.active.remove(job.id)) return refused(NOT_IN_STATE);
  return undefined;
}

/** Fields BullMQ asks to set with a move (failedReason, stacktrace). */
function applyFields(job: JobRecord, fields: Record<string, string> | undefined): void {
  if (fields === undefined) return;
  if (fields['failedReason'] !== undefined) job.failedReason = fields['failedReason'];
  if (fields['stacktrace'] !== undefined) job.stacktrace = fields['stacktrace'];
}

/** removeOnComplete / removeOnFail with an age or a count: drop the oldest finished jobs. */
function trimFinished(queue: QueueState, target: QueueState['completed'], keep: KeepJobsSpec, now: number): void {
  if (keep.age !== undefined && keep.age !== null) {
    const limit = keep.limit ?? KEEP_AGE_LIMIT_DEFAULT;
    for (const id of target.upTo(now - keep.age * 1000, limit)) dropJob(queue, id);
  }
  if (keep.count !== undefined && keep.count > 0 && target.size > keep.count) {
    for (const id of target.range(0, target.size - keep.count - 1)) dropJob(queue, id);
  }
}

function dropJob(queue: QueueState, id: string): void {
  const job = queue.jobs.get(id);
  if (job !== undefined) queue.removeJob(job);
}

/** requeueDeduplicatedJob.lua: the job kept (keepLastIfActive) while this one was active is added now. */
function addDedupNext(universe: Universe, queue: QueueState, job: JobRecord, now: number): void {
  const dedupId = job.deduplicationId;
  const next = dedupId === undefined ? undefined : takeDedupNext(queue, dedupId, now);
  if (dedupId === undefined || next === undefined) return;
  if (queue.dedup.get(dedupId)?.jobId === job.id) queue.dedup.delete(dedupId);
  applyAdd(universe, queue, next);
}
