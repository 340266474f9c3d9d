/**
 * One job: the queue-level and job-level admin transitions: pause/resume, drain, clean,
 * obliterate, promote, reprocess and retry of finished jobs, remove, change delay/priority.
 * Each follows the Redis script of the same name (cited), including the events it emits.
 */
import type {
  ChangeDelayCommand,
  ChangePriorityCommand,
  CleanCommand,
  DrainCommand,
  ObliterateCommand,
  PauseCommand,
  PromoteAllCommand,
  PromoteCommand,
  RemoveCommand,
  ReprocessCommand,
  RetryFinishedCommand,
  RemoveChildrenCommand,
  RemoveDependencyCommand,
  WaitChildrenCommand,
} from './commands.js';
import { refused, serverClock } from './commands.js';
import type { Refused } from './commands.js';
import type { JobRecord } from './job-record.js';
import { detachFromParent, findJob, pendingCount, removeHard } from './flows.js';
import type { Universe } from './flows.js';
import { FAILED_CHILDREN, MISSING_JOB, NOT_IN_STATE, PARENT_MISSING, lockHeld, releaseLock } from './locks.js';
import type { QueueState } from './queue-state.js';

/** pause-7.lua: the flag only; jobs stay in wait (and count as waiting). */
export function applyPause(queue: QueueState, command: PauseCommand): number {
  if (command.paused) queue.meta.set('paused', '1');
  else queue.meta.delete('paused');
  queue.event(command.now, command.paused ? 'paused' : 'resumed');
  return 0;
}

/** drain-5.lua: removes waiting and prioritized jobs, and delayed ones when asked. */
export function applyDrain(universe: Universe, queue: QueueState, command: DrainCommand): number {
  const ids = [...queue.wait.all()];
  if (command.delayed) ids.push(...queue.delayed.range(0, -1));
  ids.push(...queue.prioritized.range(0, -1));
  for (const id of ids) {
    const job = queue.jobs.get(id);
    if (job !== undefined) removeHard(universe, queue, job, command.now);
  }
  return 0;
}

/** cleanJobsInSet-3.lua: jobs of `state` older than `before`, at most `limit` (0 = all); returns their ids. */
export function applyClean(universe: Universe, queue: QueueState, command: CleanCommand): string[] {
  const removed: string[] = [];
  const limit = command.limit > 0 ? command.limit : Number.POSITIVE_INFINITY;
  for (const id of candidates(queue, command.state)) {
    if (removed.length >= limit) break;
    const job = queue.jobs.get(id);
    if (job === undefined) continue;
    if (command.state === 'active' && lockHeld(job, serverClock(command)) !== undefined) continue;
    if (cleanTime(job, command.state) > command.before) continue;
    removeHard(universe, queue, job, command.now);
    removed.push(id);
  }
  queue.event(command.now, 'cleaned', 'count', removed.length);
  return removed;
}

/** Oldest first, as the scripts walk them (lists from the right end, sets by score). */
function candidates(queue: QueueState, state: string): string[] {
  const set = queue.setOf(state);
  if (set === undefined) return [];
  return 'pushLeft' in set ? set.all().reverse() : set.range(0, -1);
}

function cleanTime(job: JobRecord, state: string): number {
  switch (state) {
    case 'completed':
    case 'failed':
      return job.finishedOn ?? job.timestamp;
    case 'delayed':
    case 'active':
      return job.processedOn ?? job.timestamp;
    default:
      return job.timestamp;
  }
}

/**
 * obliterate-2.lua: -1 not paused, -2 active jobs without force; else removes up to `count` jobs:
 * 1 = more left, 0 = done (the queue is gone).
 */
export function applyObliterate(
  universe: Universe,
  queue: QueueState,
  command: ObliterateCommand,
  dropQueue: () => void,
): number {
  if (!queue.paused) return -1;
  if (queue.active.length > 0 && !command.force) return -2;
  let budget = command.count;
  const order = [
    queue.active,
    queue.delayed,
    queue.completed,
    queue.wait,
    queue.prioritized,
    queue.failed,
    queue.waitingChildren,
  ];
  for (const set of order) {
    const ids = 'pushLeft' in set ? set.all() : set.range(0, -1);
    for (const id of ids) {
      if (budget <= 0) return 1;
      const job = queue.jobs.get(id);
      if (job !== undefined) removeHard(universe, queue, job, command.now);
      else set.remove(id);
      budget--;
    }
  }
  if (budget <= 0 && queue.jobs.size > 0) return 1;
  dropQueue();
  return 0;
}

/** promote-9.lua. */
export function applyPromote(queue: QueueState, command: PromoteCommand): Refused | number {
  const job = queue.jobs.get(command.id);
  if (job === undefined || job.state !== 'delayed') return refused(NOT_IN_STATE);
  queue.delayed.remove(job.id);
  if (job.priority > 0) queue.addPrioritized(job);
  else {
    job.state = 'wait';
    queue.wait.pushLeft(job.id);
  }
  queue.event(command.now, 'waiting', 'jobId', job.id, 'prev', 'delayed');
  job.delay = 0;
  return 0;
}

/** moveJobsToWait-8.lua on `delayed` (Queue.promoteJobs): up to `count` delayed jobs to wait; 1 = batch full. */
export function applyPromoteAll(queue: QueueState, command: PromoteAllCommand): number {
  const ids = queue.delayed.range(0, command.count - 1);
  for (const id of ids) queue.event(command.now, 'waiting', 'jobId', id, 'prev', 'delayed');
  for (const id of ids) {
    queue.delayed.remove(id);
    const job = queue.jobs.get(id);
    if (job === undefined) continue;
    job.state = 'wait';
    queue.wait.pushLeft(id);
  }
  return command.count - ids.length <= 0 ? 1 : 0;
}

/** reprocessJob-8.lua: a finished job back to wait; 1, or a refusal. */
export function applyReprocess(queue: QueueState, command: ReprocessCommand): Refused | number {
  const job = queue.jobs.get(command.id);
  if (job === undefined) return refused(MISSING_JOB);
  if (job.state !== command.state) return refused(NOT_IN_STATE);
  queue.detach(job);
  if (command.resetAttemptsMade) job.attemptsMade = 0;
  if (command.resetAttemptsStarted) job.attemptsStarted = 0;
  delete job.finishedOn;
  delete job.processedOn;
  if (command.state === 'completed') delete job.returnvalue;
  else delete job.failedReason;
  job.state = 'wait';
  if (command.lifo) queue.wait.pushRight(job.id);
  else queue.wait.pushLeft(job.id);
  queue.event(command.now, 'waiting', 'jobId', job.id, 'prev', command.state);
  return 1;
}

/** moveJobsToWait-8.lua: up to `count` finished jobs (finished at or before `before`) back to wait; 1 = more left. */
export function applyRetryFinished(queue: QueueState, command: RetryFinishedCommand): number {
  const set = command.state === 'completed' ? queue.completed : queue.failed;
  const ids = set.upTo(command.before, command.count);
  for (const id of ids) {
    const job = queue.jobs.get(id);
    if (job === undefined) continue;
    delete job.finishedOn;
    delete job.processedOn;
    if (command.state === 'completed') delete job.returnvalue;
    else delete job.failedReason;
    queue.event(command.now, 'waiting', 'jobId', id, 'prev', command.state);
  }
  for (const id of ids) {
    set.remove(id);
    const job = queue.jobs.get(id);
    if (job === undefined) continue;
    job.state = 'wait';
    queue.wait.pushLeft(id);
  }
  return command.count - ids.length <= 0 ? 1 : 0;
}

/**
 * removeJob-2.lua: 1 removed, 0 when the job (or, with removeChildren, one of its children) is
 * locked by a worker. A missing job counts as removed. Its parent stops waiting for it.
 */
export function applyRemove(universe: Universe, queue: QueueState, command: RemoveCommand): number {
  const job = queue.jobs.get(command.id);
  if (job === undefined) return 1;
  if (locked(universe, job, command.removeChildren, serverClock(command))) return 0;
  removeWithChildren(universe, queue, job, command.removeChildren, command.now);
  return 1;
}

function locked(universe: Universe, job: JobRecord, children: boolean, serverNow: number): boolean {
  if (lockHeld(job, serverNow) !== undefined) return true;
  if (!children) return false;
  return childKeys(job).some((key) => {
    const child = findJob(universe, key);
    return child !== undefined && locked(universe, child.job, true, serverNow);
  });
}

function childKeys(job: JobRecord): string[] {
  return [
    ...(job.deps ?? []),
    ...Object.keys(job.processed ?? {}),
    ...Object.keys(job.ignored ?? {}),
    ...Object.keys(job.unsuccessful ?? {}),
  ];
}

function removeWithChildren(
  universe: Universe,
  queue: QueueState,
  job: JobRecord,
  children: boolean,
  now: number,
): void {
  if (children) {
    for (const key of childKeys(job)) {
      const child = findJob(universe, key);
      if (child === undefined) continue;
      delete child.job.parent;
      delete child.job.parentKey;
      removeWithChildren(universe, child.queue, child.job, true, now);
    }
  }
  detachFromParent(universe, queue, job, false, now);
  const prev = job.state === 'wait' ? 'waiting' : job.state;
  queue.removeJob(job);
  queue.event(now, 'removed', 'jobId', job.id, 'prev', prev);
}

/** removeUnprocessedChildren-2.lua: the pending children go (with their own children), locked ones stay. */
export function applyRemoveChildren(universe: Universe, queue: QueueState, command: RemoveChildrenCommand): number {
  const job = queue.jobs.get(command.id);
  if (job === undefined) return 0;
  for (const key of [...(job.deps ?? [])]) {
    const child = findJob(universe, key);
    if (child === undefined || locked(universe, child.job, true, serverClock(command))) continue;
    removeWithChildren(universe, child.queue, child.job, true, command.now);
  }
  return 0;
}

/** removeChildDependency-1.lua: 0 when the dependency was removed, 1 when there was none; -1 / -5 refusals. */
export function applyRemoveDependency(
  universe: Universe,
  queue: QueueState,
  command: RemoveDependencyCommand,
): Refused | number {
  const job = queue.jobs.get(command.id);
  if (job === undefined) return refused(MISSING_JOB);
  if (findJob(universe, command.parentKey) === undefined) return refused(PARENT_MISSING);
  const before = findJob(universe, command.parentKey)?.job.deps?.length ?? 0;
  detachFromParent(universe, queue, job, false, command.now);
  const after = findJob(universe, command.parentKey)?.job.deps?.length ?? 0;
  if (after === before) return 1;
  delete job.parent;
  delete job.parentKey;
  return 0;
}

/** moveToWaitingChildren-7.lua: 0 moved, 1 nothing to wait for, or a refusal. */
export function applyWaitChildren(queue: QueueState, command: WaitChildrenCommand): Refused | number {
  const job = queue.jobs.get(command.id);
  if (job === undefined) return refused(MISSING_JOB);
  if (Object.keys(job.unsuccessful ?? {}).length > 0) return refused(FAILED_CHILDREN);
  const pending = command.child !== undefined ? (job.deps ?? []).includes(command.child) : pendingCount(job) > 0;
  if (!pending) return 1;
  const lock = releaseLock(queue, job, command.token, serverClock(command));
  if (lock < 0) return refused(lock);
  if (job.state !== 'active' || !queue.active.remove(job.id)) return refused(NOT_IN_STATE);
  job.state = 'waiting-children';
  queue.waitingChildren.add(job.id, command.now);
  queue.event(command.now, 'waiting-children', 'jobId', job.id, 'prev', 'active');
  return 0;
}

/** changeDelay-4.lua. */
export function applyChangeDelay(queue: QueueState, command: ChangeDelayCommand): Refused | number {
  const job = queue.jobs.get(command.id);
  if (job === undefined) return refused(MISSING_JOB);
  if (job.state !== 'delayed') return refused(NOT_IN_STATE);
  const due = command.delay > 0 ? command.now + command.delay : command.now;
  queue.delayed.remove(job.id);
  job.delay = command.delay;
  queue.addDelayed(job, due);
  queue.event(command.now, 'delayed', 'jobId', job.id, 'delay', due);
  return 0;
}

/** changePriority-7.lua: re-places a waiting or prioritized job under its new priority. */
export function applyChangePriority(queue: QueueState, command: ChangePriorityCommand): Refused | number {
  const job = queue.jobs.get(command.id);
  if (job === undefined) return refused(MISSING_JOB);
  const waiting = job.state === 'wait' || job.state === 'prioritized';
  if (waiting) queue.detach(job);
  job.priority = command.priority;
  if (!waiting) return 0;
  if (command.priority === 0) {
    job.state = 'wait';
    if (command.lifo) queue.wait.pushRight(job.id);
    else queue.wait.pushLeft(job.id);
  } else if (command.lifo) queue.pushBackPrioritized(job);
  else queue.addPrioritized(job);
  return 0;
}
