/**
 * One job: lock checks, as removeLock.lua and extendLock.lua. A lock is held while its expiry is
 * in the future at the command's `now`; token '0' means "no lock expected" (a manual move).
 */
import type { JobRecord } from './job-record.js';
import type { QueueState } from './queue-state.js';
import { limits } from '@seglog/types';

export const MISSING_JOB = -1;
export const MISSING_LOCK = -2;
export const NOT_IN_STATE = -3;
export const PENDING_CHILDREN = -4;
export const PARENT_MISSING = -5;
export const LOCK_MISMATCH = -6;
export const FAILED_CHILDREN = -9;

/**
 * When a lock granted or extended by a command proposed at `now` lapses: `duration` plus the
 * delivery allowance (the same again, at most limits.bullmqLockAllowanceMillisMax), because the
 * worker only holds the job once the record is durable and handed over. A pure function of the
 * command, so a replay decides every lock exactly as the live run did.
 */
export function lockUntil(now: number, duration: number): number {
  const allowance = Math.min(Math.max(duration, 0), limits.bullmqLockAllowanceMillisMax);
  return now + duration + allowance;
}

export function lockHeld(job: JobRecord, now: number): string | undefined {
  return job.lock !== undefined && job.lock.untilMs > now ? job.lock.token : undefined;
}

/** Releases the worker's lock; 0, or -6 (held by another token) / -2 (no lock). */
export function releaseLock(queue: QueueState, job: JobRecord, token: string, now: number): number {
  if (token === '0') return 0;
  const held = lockHeld(job, now);
  if (held === token) {
    delete job.lock;
    queue.stalled.delete(job.id);
    return 0;
  }
  return held !== undefined ? LOCK_MISMATCH : MISSING_LOCK;
}

/** Extends a lock the token still holds; true when extended. */
export function extendLock(
  queue: QueueState,
  job: JobRecord | undefined,
  token: string,
  duration: number,
  now: number,
): boolean {
  if (job === undefined || lockHeld(job, now) !== token) return false;
  job.lock = { token, untilMs: lockUntil(now, duration) };
  queue.stalled.delete(job.id);
  return true;
}
