/**
 * One job: parent/child dependencies (BullMQ flows), as the Redis scripts keep them: a parent
 * waits in `waiting-children` while it has pending children; a completed child moves to the
 * parent's processed map with its return value; a failed child follows its failure policy
 * (fail the parent, let it continue, ignore the failure, or remove the dependency); the parent
 * goes back to wait (or delayed, or prioritized) when nothing is pending.
 *
 * Parents may live in another queue of the same directory, so these functions take the machine
 * (`Universe`) to find them.
 */
import type { JobRecord, ParentRef } from './job-record.js';
import type { QueueState } from './queue-state.js';

export interface Universe {
  queue(name: string): QueueState | undefined;
}

export interface ParentLink {
  readonly queue: QueueState;
  readonly job: JobRecord;
  readonly ref: ParentRef | undefined;
}

export function childKeyOf(queue: QueueState, job: JobRecord): string {
  return `${queue.name}:${job.id}`;
}

/** Splits `<queue>:<id>` (the queue part may itself hold colons). */
export function splitKey(key: string): [string, string] {
  const cut = key.lastIndexOf(':');
  return [key.slice(0, cut), key.slice(cut + 1)];
}

export function findJob(universe: Universe, key: string): { queue: QueueState; job: JobRecord } | undefined {
  const [queueName, id] = splitKey(key);
  const queue = universe.queue(queueName);
  const job = queue?.jobs.get(id);
  return queue === undefined || job === undefined ? undefined : { queue, job };
}

export function parentOf(universe: Universe, job: JobRecord): ParentLink | undefined {
  const key = job.parent !== undefined ? `${job.parent.queueKey}:${job.parent.id}` : job.parentKey;
  if (key === undefined) return undefined;
  const found = findJob(universe, key);
  return found === undefined ? undefined : { ...found, ref: job.parent };
}

export function addDependency(parent: JobRecord, childKey: string): void {
  parent.deps ??= [];
  if (!parent.deps.includes(childKey)) parent.deps.push(childKey);
}

/** SREM: true when the child was pending. */
export function removeDependency(parent: JobRecord, childKey: string): boolean {
  const index = parent.deps?.indexOf(childKey) ?? -1;
  if (index < 0 || parent.deps === undefined) return false;
  parent.deps.splice(index, 1);
  return true;
}

export function pendingCount(job: JobRecord): number {
  return job.deps?.length ?? 0;
}

/** moveParentToWait.lua: out of waiting-children, into delayed, wait (right end) or prioritized. */
export function moveParentToWait(queue: QueueState, parent: JobRecord, now: number, emitEvent = true): void {
  queue.detach(parent);
  if (parent.delay > 0) {
    const due = now + parent.delay;
    queue.addDelayed(parent, due);
    queue.event(now, 'delayed', 'jobId', parent.id, 'delay', due);
    return;
  }
  if (parent.priority > 0) queue.addPrioritized(parent);
  else {
    parent.state = 'wait';
    queue.wait.pushRight(parent.id);
  }
  if (emitEvent) queue.event(now, 'waiting', 'jobId', parent.id, 'prev', 'waiting-children');
}

function moveParentIfWaiting(link: ParentLink, now: number): void {
  if (link.job.state === 'waiting-children') moveParentToWait(link.queue, link.job, now);
}

/** updateParentDepsIfNeeded.lua, when a child completes. */
export function childCompleted(
  universe: Universe,
  queue: QueueState,
  child: JobRecord,
  value: string,
  now: number,
): void {
  const link = parentOf(universe, child);
  if (link === undefined) return;
  const key = childKeyOf(queue, child);
  if (!removeDependency(link.job, key)) return;
  link.job.processed ??= {};
  link.job.processed[key] = value;
  if (pendingCount(link.job) === 0) moveParentIfWaiting(link, now);
}

/** moveChildFromDependenciesIfNeeded.lua, when a child fails for good. */
export function childFailed(
  universe: Universe,
  queue: QueueState,
  child: JobRecord,
  reason: string,
  now: number,
): void {
  const link = parentOf(universe, child);
  const ref = child.parent;
  if (link === undefined || ref === undefined) return;
  const key = childKeyOf(queue, child);
  const parent = link.job;
  if (ref.fpof === true) {
    if (!removeDependency(parent, key)) return;
    parent.unsuccessful ??= {};
    parent.unsuccessful[key] = now;
    if (parent.state === 'waiting-children' || parent.state === 'delayed') {
      if (parent.state === 'delayed') parent.delay = 0;
      parent.deferredFailure = `child ${key} failed`;
      moveParentToWait(link.queue, parent, now);
    } else if (parent.state !== 'failed') {
      parent.deferredFailure = `child ${key} failed`;
    }
  } else if (ref.cpof === true) {
    if (!removeDependency(parent, key)) return;
    parent.ignored ??= {};
    parent.ignored[key] = reason;
    moveParentIfWaiting(link, now);
  } else if (ref.idof === true || ref.rdof === true) {
    if (!removeDependency(parent, key)) return;
    if (pendingCount(parent) === 0) moveParentIfWaiting(link, now);
    if (ref.idof === true) {
      parent.ignored ??= {};
      parent.ignored[key] = reason;
    }
  }
}

/**
 * removeParentDependencyKey.lua: a removed child stops being a dependency. When it was the last
 * one, the parent leaves waiting-children: removed too when `hard` (drain, clean) and it is in the
 * same queue, else moved to wait (with an event unless `hard`).
 */
export function detachFromParent(
  universe: Universe,
  queue: QueueState,
  child: JobRecord,
  hard: boolean,
  now: number,
): void {
  const link = parentOf(universe, child);
  if (link === undefined) return;
  if (!removeDependency(link.job, childKeyOf(queue, child))) return;
  if (pendingCount(link.job) > 0 || link.job.state !== 'waiting-children') return;
  if (hard && link.queue === queue) {
    detachFromParent(universe, link.queue, link.job, hard, now);
    link.queue.removeJob(link.job);
    return;
  }
  link.queue.waitingChildren.remove(link.job.id);
  link.job.state = 'wait';
  link.queue.wait.pushRight(link.job.id);
  if (!hard) link.queue.event(now, 'waiting', 'jobId', link.job.id, 'prev', 'waiting-children');
}

/** Removes a job as the drain/clean/obliterate scripts do (removeJob.lua): its parent link goes too. */
export function removeHard(universe: Universe, queue: QueueState, job: JobRecord, now: number): void {
  detachFromParent(universe, queue, job, true, now);
  queue.removeJob(job);
}
