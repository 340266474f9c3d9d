/**
 * One job: the plain records a queue keeps besides its jobs (a job scheduler, a deduplication
 * key), in a file of their own so that the queue state and the code that changes them do not
 * import each other.
 */
import type { JobsOptions } from 'bullmq';
import type { ParentRef } from './job-record.js';

export interface SchedulerRecord {
  id: string;
  name: string;
  every?: number;
  pattern?: string;
  tz?: string;
  limit?: number;
  startDate?: number;
  endDate?: number;
  offset?: number;
  data?: string;
  opts?: JobsOptions;
  ic: number;
}

/**
 * keepLastIfActive: the last job added while the key's job was active, created when that job
 * finishes (requeueDeduplicatedJob.lua). `id` is the id the add reserved for it.
 */
export interface DedupNext {
  id: string;
  name: string;
  data: string;
  opts: JobsOptions;
  parentKey?: string;
  parent?: ParentRef;
  asDependency?: boolean;
  repeatJobKey?: string;
}

export interface DedupKey {
  jobId: string;
  /** Backend-clock ms when the key lapses; absent = until its job finishes or is removed. */
  untilMs?: number;
}
