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
} from './commands.js';
import { refused, serverClock } from './commands.js';
import type { Refused } from './commands.js';
import type { JobRecord } from './job-record.js';
import { MISSING_JOB, NOT_IN_STATE, lockHeld } from './locks.js';
import type { QueueState } from './queue-state.js';

/** pause-7.lua: the flag only; jobs stay in wait (and count as waiting). */
export function applyPause(queue: QueueState, command: PauseCommand): number {
  if (command.paused) queue.meta.set('paused', '1');
  else queue.meta.delete('paused');
  queue.event(command.now, command.paused ? 'paused' : 'resumed');
  return 0;
}

/** drain-5.lua: removes waiting and prioritized jobs, and delayed ones when asked. */
export function applyDrain(queue: QueueState, command: DrainCommand): number {
  const ids = [...queue.wait.all(), ...queue.prioritized.range(0, -1)];
  if (command.delayed) ids.push(...queue.delayed.range(0, -1));
  for (const id of ids) {
    const job = queue.jobs.get(id);
    if (job !== undefined) queue.removeJob(job);
  }
  return 0;
}

/** cleanJobsInSet-3.lua: jobs of `state` older than `before`, at most `limit` (0 = all); returns their ids. */
export function applyClean(queue: QueueState, command: CleanCommand): string[] {
  const removed: string[] = [];
  const limit = command.limit > 0 ? command.limit : Number.POSITIVE_INFINITY;
  for (const id of candidates(queue, command.state)) {
    if (removed.length >= limit) break;
    const job = queue.jobs.get(id);
    if (job === undefined) continue;
    if (command.state === 'active' && lockHeld(job, serverClock(command)) !== undefined) continue;
    if (cleanTime(job, command.state) > command.before) continue;
    queue.removeJob(job);
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

/** obliterate-2.lua: -1 not paused, -2 active jobs without force; else removes up to `count` jobs, 1 = more left, 0 = done. */
export function applyObliterate(queue: QueueState, command: ObliterateCommand, dropQueue: () => void): number {
  if (!queue.paused) return -1;
  if (queue.active.length > 0 && !command.force) return -2;
  let budget = command.count;
  const order = [queue.active, queue.delayed, queue.completed, queue.wait, queue.prioritized, queue.failed, queue.waitingChildren];
  for (const set of order) {
    const ids = 'pushLeft' in set ? set.all() : set.range(0, -1);
    for (const id of ids) {
      if (budget <= 0) return 1;
      const job = queue.jobs.get(id);
      if (job !== undefined) queue.removeJob(job);
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

/** moveJobsToWait-8.lua on `delayed` (Queue.promoteJobs): up to `count` delayed jobs to wait; 1 = the batch was full. */
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

/** removeJob-2.lua: 1 removed, 0 when the job is locked by a worker. A missing job counts as removed. */
export function applyRemove(queue: QueueState, command: RemoveCommand): number {
  const job = queue.jobs.get(command.id);
  if (job === undefined) return 1;
  if (lockHeld(job, serverClock(command)) !== undefined) return 0;
  const prev = job.state === 'wait' ? 'waiting' : job.state;
  queue.removeJob(job);
  queue.event(command.now, 'removed', 'jobId', job.id, 'prev', prev);
  return 1;
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
