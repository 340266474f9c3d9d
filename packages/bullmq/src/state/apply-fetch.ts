/**
 * One job: taking the next job (BullMQ's moveToActive): promote the delayed jobs that are due,
 * honour the rate limiter, pause and global concurrency, then take from wait (right end) or else the
 * lowest-scored prioritized job, lock it for the worker and return it. When no job is taken the
 * result says why: the limiter's remaining ms, or the next delayed job's due time.
 */
import { serverClock } from './commands.js';
import type { FetchCommand, FetchSpec, UnreserveCommand } from './commands.js';
import { lockHeld, lockUntil } from './locks.js';
import type { JobRecord } from './job-record.js';
import { toJobJson } from './job-record.js';
import type { JobJson } from 'bullmq';
import type { QueueState } from './queue-state.js';

/** BullMQ's tuple: [jobData, jobId, rateLimitDelay, delayUntil]. */
export type NextJobResult = [JobJson | null, string, number, number];

/** At most this many delayed jobs promoted per call, as promoteDelayedJobs.lua. */
const PROMOTE_BATCH = 1000;

export function promoteDueJobs(queue: QueueState, now: number): void {
  const due = queue.delayed.upTo((now + 1) * 0x1000 - 1, PROMOTE_BATCH);
  for (const id of due) {
    queue.delayed.remove(id);
    const job = queue.jobs.get(id);
    if (job === undefined) continue;
    queue.enqueue(job, false);
    queue.event(now, 'waiting', 'jobId', id, 'prev', 'delayed');
    job.delay = 0;
  }
}

/** Limiter ms left when `maxJobs` jobs were already taken in the current window; 0 when open. */
export function rateLimitTtl(queue: QueueState, maxJobs: number | undefined, serverNow: number): number {
  if (maxJobs === undefined || queue.limiter.untilMs <= serverNow) return 0;
  if (queue.limiter.count >= maxJobs) return queue.limiter.untilMs - serverNow;
  return 0;
}

/** moveToActive: always a tuple ([null, '', 0, 0] when there is nothing to take or wait for). */
export function fetchNext(queue: QueueState, spec: FetchSpec, now: number, serverNow: number): NextJobResult {
  return fetchNextJob(queue, spec, now, serverNow) ?? [null, '', 0, 0];
}

/**
 * fetchNextJob.lua: a job, or why not (limiter ttl, paused, next delayed due time); undefined when
 * there is nothing at all, which is when a finishing move emits `drained`.
 */
export function fetchNextJob(
  queue: QueueState,
  spec: FetchSpec,
  now: number,
  serverNow: number,
): NextJobResult | undefined {
  promoteDueJobs(queue, now);
  const maxJobs = limiterMax(queue, spec);
  const ttl = rateLimitTtl(queue, maxJobs, serverNow);
  if (ttl > 0) return [null, '', ttl, 0];
  if (queue.pausedOrMaxed) return [null, '', 0, 0];
  const metaDuration = queue.meta.get('duration');
  const duration = spec.limiterDuration ?? (metaDuration !== undefined ? Number(metaDuration) : undefined);
  const job = takeNext(queue);
  if (job !== undefined) return [activate(queue, job, spec, { maxJobs, duration }, now, serverNow), job.id, 0, 0];
  const nextDelayed = queue.nextDelayedMs();
  return nextDelayed === undefined ? undefined : [null, '', 0, nextDelayed];
}

/** The limiter's max: the queue's global one (setGlobalRateLimit) before the worker's own. */
function limiterMax(queue: QueueState, spec: FetchSpec): number | undefined {
  const metaMax = queue.meta.get('max');
  return metaMax !== undefined ? Number(metaMax) : spec.limiterMax;
}

/**
 * What a fetch would answer when applying it would change nothing: no delayed job due, and the
 * limiter closed, the queue paused or maxed, or nothing waiting. The backend then answers from the
 * applied state without a record (a durable record that changes nothing is a flush wasted, and a
 * rate-limited or idle worker asks often). Undefined when the fetch must be proposed. Answers
 * exactly as fetchNext would on the same state and clocks.
 */
export function idleFetch(
  queue: QueueState | undefined,
  spec: FetchSpec,
  now: number,
  serverNow: number,
): NextJobResult | undefined {
  if (queue === undefined) return [null, '', 0, 0];
  if (queue.delayed.upTo((now + 1) * 0x1000 - 1, 1).length > 0) return undefined;
  const ttl = rateLimitTtl(queue, limiterMax(queue, spec), serverNow);
  if (ttl > 0) return [null, '', ttl, 0];
  if (queue.pausedOrMaxed) return [null, '', 0, 0];
  if (queue.wait.length > 0 || queue.prioritized.size > 0) return undefined;
  return [null, '', 0, queue.nextDelayedMs() ?? 0];
}

function takeNext(queue: QueueState): JobRecord | undefined {
  for (;;) {
    const id = queue.wait.popRight() ?? queue.prioritized.popFirst()?.member;
    if (id === undefined) return undefined;
    const job = queue.jobs.get(id);
    if (job !== undefined) return job;
  }
}

function activate(
  queue: QueueState,
  job: JobRecord,
  spec: FetchSpec,
  limit: { maxJobs: number | undefined; duration: number | undefined },
  now: number,
  serverNow: number,
): JobJson {
  if (limit.maxJobs !== undefined) countAgainstLimiter(queue, limit.duration ?? 0, serverNow);
  job.state = 'active';
  queue.active.pushLeft(job.id);
  if (spec.token !== '0') job.lock = { token: spec.token, untilMs: lockUntil(serverNow, spec.lockDuration) };
  queue.event(now, 'active', 'jobId', job.id, 'prev', 'waiting');
  job.processedOn = now;
  if (spec.name !== undefined) job.processedBy = spec.name;
  job.attemptsStarted++;
  return toJobJson(job);
}

function countAgainstLimiter(queue: QueueState, duration: number, now: number): void {
  if (queue.limiter.untilMs <= now) queue.limiter = { count: 0, untilMs: 0 };
  queue.limiter.count++;
  if (queue.limiter.count === 1) queue.limiter.untilMs = now + Math.floor(Math.abs(duration));
}

/** A prefetching moveToActive: the first result, and the jobs taken for the worker's next tokens. */
export interface FetchBatchResult {
  readonly next: NextJobResult;
  readonly reserved: [token: string, id: string][];
}

/**
 * The first fetch as usual; when it took a job, one more job per extra token while the queue has
 * one to give (the limiter, pause and global concurrency are checked before each, so a batch takes
 * exactly what that many sequential fetches would have).
 */
export function fetchBatch(queue: QueueState, command: FetchCommand, more: readonly string[]): FetchBatchResult {
  const serverNow = serverClock(command);
  const next = fetchNext(queue, command, command.now, serverNow);
  const reserved: [string, string][] = [];
  if (next[0] === null) return { next, reserved };
  for (const token of more) {
    const taken = fetchNextJob(queue, { ...command, token }, command.now, serverNow);
    if (taken === undefined || taken[0] === null) break;
    reserved.push([token, taken[1]]);
  }
  return { next, reserved };
}

/**
 * Undoes prefetched activations nobody claimed (the worker paused, closed or asked with another
 * token): each job still active under its reservation token goes back to the taking end of wait
 * (or back into prioritized), in reverse, so the queue's order is as before; its start is not
 * counted. Returns the ids given back.
 */
export function unreserve(queue: QueueState, command: UnreserveCommand): string[] {
  const serverNow = serverClock(command);
  const released: string[] = [];
  for (const [token, id] of [...command.jobs].reverse()) {
    const job = queue.jobs.get(id);
    if (job === undefined || job.state !== 'active' || lockHeld(job, serverNow) !== token) continue;
    if (!queue.active.remove(id)) continue;
    delete job.lock;
    queue.stalled.delete(id);
    job.attemptsStarted = Math.max(0, job.attemptsStarted - 1);
    if (job.priority > 0) queue.pushBackPrioritized(job);
    else {
      job.state = 'wait';
      queue.wait.pushRight(id);
    }
    queue.event(command.now, 'waiting', 'jobId', id, 'prev', 'active');
    released.push(id);
  }
  return released.reverse();
}
