/**
 * One job: the plain records a queue keeps besides its jobs (a job scheduler, a deduplication
 * key), in a file of their own so that the queue state and the code that changes them do not
 * import each other.
 */
import type { JobsOptions } from 'bullmq';

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

export interface DedupKey {
  jobId: string;
  /** Backend-clock ms when the key lapses; absent = until its job finishes or is removed. */
  untilMs?: number;
}
