/**
 * One job: lock extension and stalled-job recovery, as extendLocks.lua and
 * moveStalledJobsToWait.lua. The check is two-phase: each run moves the active jobs that the
 * previous run marked and that still hold no lock, then marks every active job again. A job whose
 * worker extends its lock (or finishes it) is unmarked, so a live job is never taken back.
 */
import { serverClock } from './commands.js';
import type { ExtendLocksCommand, StalledCommand } from './commands.js';
import { extendLock, lockHeld } from './locks.js';
import type { QueueState } from './queue-state.js';

/** Returns the ids whose lock could not be extended. */
export function applyExtendLocks(queue: QueueState, command: ExtendLocksCommand): string[] {
  const failed: string[] = [];
  command.ids.forEach((id, index) => {
    const token = command.tokens[index] ?? '';
    if (!extendLock(queue, queue.jobs.get(id), token, command.duration, serverClock(command))) failed.push(id);
  });
  return failed;
}

/** Returns the ids moved back to wait. */
export function applyStalled(queue: QueueState, command: StalledCommand): string[] {
  const { now } = command;
  const serverNow = serverClock(command);
  if (queue.stalledCheckUntilMs > serverNow) return [];
  queue.stalledCheckUntilMs = serverNow + command.stalledInterval;
  queue.events.trim(queue.events.maxLength);
  const moved: string[] = [];
  for (const id of queue.stalled) {
    const job = queue.jobs.get(id);
    if (job === undefined || job.state !== 'active' || lockHeld(job, serverNow) !== undefined) continue;
    if (!queue.active.remove(id)) continue;
    job.stalledCounter++;
    if (job.stalledCounter > command.maxStalledCount && job.repeatJobKey === undefined) {
      job.deferredFailure = 'job stalled more than allowable limit';
    }
    delete job.lock;
    job.state = 'wait';
    queue.wait.pushRight(id);
    queue.event(now, 'waiting', 'jobId', id, 'prev', 'active');
    queue.event(now, 'stalled', 'jobId', id);
    moved.push(id);
  }
  queue.stalled = new Set(queue.active.all());
  return moved;
}
