/**
 * One job: `removeOnComplete` / `removeOnFail` (on the job, else the worker) as the keep spec the
 * state machine applies: `true` removes at once, `false` keeps all, a number keeps the newest n,
 * `{ age, count, limit }` as given. Same rules as the Redis backend's getKeepJobs.
 */
import type { KeepJobs } from 'bullmq';
import type { KeepJobsSpec } from './state/commands.js';

export function keepJobs(
  own: boolean | number | KeepJobs | undefined,
  worker: boolean | number | KeepJobs | undefined,
): KeepJobsSpec {
  const chosen = own === undefined ? worker : own;
  if (chosen === undefined) return { count: -1 };
  if (typeof chosen === 'boolean') return { count: chosen ? 0 : -1 };
  if (typeof chosen === 'number') return { count: chosen };
  const given = chosen as { count?: unknown; age?: unknown; limit?: unknown };
  const spec: { count?: number; age?: number; limit?: number } = {};
  if (typeof given.count === 'number') spec.count = given.count;
  if (typeof given.age === 'number') spec.age = given.age;
  if (typeof given.limit === 'number') spec.limit = given.limit;
  return spec;
}
