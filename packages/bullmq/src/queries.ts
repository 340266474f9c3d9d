/**
 * One job: the read-only getters, answered from the applied (hence durable) state without a
 * record: counts, ranges, a job's state and data, logs, metrics, the limiter's ttl. Each follows
 * the Redis script of the same name, so ids come back in the same order.
 */
import type { JobJson, JobState, JobType } from 'bullmq';
import { DELAY_SCORE_SHIFT } from './state/queue-state.js';
import type { QueueState } from './state/queue-state.js';
import { toJobJson } from './state/job-record.js';
import type { JobList } from './state/job-list.js';

const PRIORITY_SHIFT = 0x1_0000_0000;

export function counts(queue: QueueState | undefined, types: readonly string[], delayedBefore?: number): number[] {
  return types.map((type) => {
    if (queue === undefined) return 0;
    if (type === 'delayed' && delayedBefore !== undefined) {
      return queue.delayed.countBetween(0, (delayedBefore + 1) * DELAY_SCORE_SHIFT - 1);
    }
    const set = queue.setOf(type);
    if (set === undefined) return 0;
    return 'pushLeft' in set ? set.length : set.size;
  });
}

export function countsPerPriority(queue: QueueState | undefined, priorities: readonly number[]): number[] {
  return priorities.map((priority) => {
    if (queue === undefined) return 0;
    if (priority === 0) return queue.wait.length;
    return queue.prioritized.countBetween(priority * PRIORITY_SHIFT, (priority + 1) * PRIORITY_SHIFT - 1);
  });
}

/** getRanges-1.lua: one id list per type. */
export function ranges(
  queue: QueueState | undefined,
  types: readonly JobType[],
  start: number,
  end: number,
  asc: boolean,
): string[][] {
  return types.map((type) => {
    const set = queue?.setOf(type === 'waiting' ? 'wait' : type);
    if (set === undefined) return [];
    if ('pushLeft' in set) return listRange(set, start, end, asc);
    return (set).range(start, end, asc);
  });
}

function listRange(list: JobList, start: number, end: number, asc: boolean): string[] {
  if (!asc) return list.range(start, end);
  const from = end === -1 ? 0 : -(end + 1);
  const to = start === -1 ? 0 : -(start + 1);
  return list.range(from, to);
}

/** getState-8.lua's answer for a job. */
export function jobState(queue: QueueState | undefined, id: string): JobState | 'unknown' {
  const state = queue?.jobs.get(id)?.state;
  if (state === undefined) return 'unknown';
  return state === 'wait' ? 'waiting' : state;
}

export function jobData(queue: QueueState | undefined, id: string): JobJson | undefined {
  const job = queue?.jobs.get(id);
  return job === undefined ? undefined : toJobJson(job);
}

/** isFinished-3.lua: 1 completed, 2 failed, 0 not finished, -1 missing. */
export function finished(
  queue: QueueState | undefined,
  id: string,
  jobKey: string,
  withValue: boolean,
): number | [number, string] {
  const job = queue?.jobs.get(id);
  if (job === undefined) return withValue ? [-1, `Missing key for job ${jobKey}. isFinished`] : -1;
  if (job.state === 'completed') return withValue ? [1, job.returnvalue ?? 'null'] : 1;
  if (job.state === 'failed') return withValue ? [2, job.failedReason ?? ''] : 2;
  return withValue ? ([0] as unknown as [number, string]) : 0;
}

/** isJobInList / state membership for Job.isCompleted, isActive, ... */
export function inState(queue: QueueState | undefined, state: string, id: string): boolean {
  const job = queue?.jobs.get(id);
  if (job === undefined) return false;
  switch (state) {
    case 'wait':
    case 'waiting':
      return job.state === 'wait';
    case 'paused':
      return job.state === 'wait' && queue?.paused === true;
    default:
      return job.state === state;
  }
}

/** LRANGE semantics over a job's log rows; `asc` false reads newest first. */
export function logs(
  queue: QueueState | undefined,
  id: string,
  start: number,
  end: number,
  asc: boolean,
): { logs: string[]; count: number } {
  const rows = queue?.jobs.get(id)?.logs ?? [];
  const ordered = asc ? rows : [...rows].reverse();
  const count = rows.length;
  const from = start < 0 ? Math.max(count + start, 0) : start;
  const to = end < 0 ? count + end : Math.min(end, count - 1);
  return { logs: to < from ? [] : ordered.slice(from, to + 1), count };
}

/** getRateLimitTtl-2.lua: ms left in the window, 0 when open, -2 when there is no window. */
export function rateLimitTtl(queue: QueueState | undefined, maxJobs: number | undefined, now: number): number {
  if (queue === undefined) return maxJobs ? 0 : -2;
  const metaMax = queue.meta.get('max');
  const max = maxJobs ? maxJobs : metaMax !== undefined ? Number(metaMax) : undefined;
  const left = queue.limiter.untilMs - now;
  if (max !== undefined) return left > 0 && queue.limiter.count >= max ? left : 0;
  return left > 0 ? left : -2;
}

/** getMetrics-2.lua: [[count, prevTS, prevCount], data slice, number of points]. */
export function metrics(queue: QueueState | undefined, type: 'completed' | 'failed', start: number, end: number): [string[], string[], number] {
  const state = queue?.metrics[type];
  if (state === undefined || state.count === 0) return [[], [], 0];
  const data = state.data;
  const from = start < 0 ? Math.max(data.length + start, 0) : start;
  const to = end < 0 ? data.length + end : Math.min(end, data.length - 1);
  const slice = to < from ? [] : data.slice(from, to + 1).map(String);
  return [[String(state.count), String(state.prevTs), String(state.prevCount)], slice, data.length];
}
