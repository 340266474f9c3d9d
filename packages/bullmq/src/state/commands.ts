/**
 * One job: the commands the BullMQ state machine applies, one per state change BullMQ asks for.
 * Each carries its queue (`q`, the qualified name) and the wall-clock time it was proposed at
 * (`now`), so applying it is a pure function of the state and the record: replay after a crash
 * makes exactly the same decisions (lock expiry, due delayed jobs, event ids) as the live run did.
 * A record holds one or more commands (addBulk is one record: all or nothing).
 */
import type { JobsOptions } from 'bullmq';
import type { ParentRef } from './job-record.js';

interface Base {
  readonly q: string;
  /** The proposer's wall clock (Date.now): the times BullMQ sees (processedOn, finishedOn, delays). */
  readonly now: number;
  /**
   * The backend's own clock for lock and rate-limit expiry, the role Redis's server clock plays:
   * real time even when the application fakes `Date` (BullMQ's tests do). Defaults to `now`.
   */
  readonly serverNow?: number;
}

/** The clock locks, the stalled check and the limiter run on. */
export function serverClock(command: Base): number {
  return command.serverNow ?? command.now;
}

export interface KeepJobsSpec {
  /** 0 removes the job at once, -1 (or absent) keeps every job, n > 0 keeps the newest n. */
  readonly count?: number;
  /** Seconds: finished jobs older than this are removed. */
  readonly age?: number;
  /** At most this many removed by age in one go (default 1000, as Redis). */
  readonly limit?: number;
}

/** What a worker needs to take its next job in the same record (fetchNext). */
export interface FetchSpec {
  readonly token: string;
  readonly lockDuration: number;
  readonly name?: string;
  readonly limiterMax?: number;
  readonly limiterDuration?: number;
}

export interface AddCommand extends Base {
  readonly t: 'add';
  /** Custom id, or '' for the queue's counter. */
  readonly id: string;
  readonly name: string;
  readonly data: string;
  readonly opts: JobsOptions;
  readonly timestamp: number;
  readonly parentKey?: string;
  readonly parent?: ParentRef;
  /** Register the job as a pending child of `parentKey` (BullMQ's parentDependenciesKey). */
  readonly asDependency?: boolean;
  /** A flow parent: it waits for its children in `waiting-children`. */
  readonly waitChildren?: boolean;
  readonly repeatJobKey?: string;
}

export interface SchedulerOpts {
  readonly name?: string;
  readonly every?: number;
  readonly pattern?: string;
  readonly tz?: string;
  readonly limit?: number;
  readonly startDate?: number;
  readonly endDate?: number;
  readonly offset?: number;
}

export interface AddSchedulerCommand extends Base {
  readonly t: 'addScheduler';
  readonly id: string;
  readonly nextMillis: number;
  readonly templateData: string;
  readonly templateOpts: JobsOptions;
  readonly opts: SchedulerOpts;
  /** The iteration job's options (the template plus this iteration's repeat fields). */
  readonly jobOpts: JobsOptions;
}

export interface UpdateSchedulerCommand extends Base {
  readonly t: 'updateScheduler';
  readonly id: string;
  readonly nextMillis: number;
  readonly jobOpts: JobsOptions;
  readonly producerId?: string;
}

export interface RemoveSchedulerCommand extends Base {
  readonly t: 'removeScheduler';
  readonly id: string;
}

export interface DropDedupKeyCommand extends Base {
  readonly t: 'dropDedupKey';
  readonly dedupId: string;
  /** Only if the key names this job (removeDeduplicationKey); absent = unconditionally. */
  readonly jobId?: string;
}

export interface RemoveChildrenCommand extends Base {
  readonly t: 'removeChildren';
  readonly id: string;
}

export interface RemoveDependencyCommand extends Base {
  readonly t: 'removeDependency';
  readonly id: string;
  readonly parentKey: string;
}

export interface WaitChildrenCommand extends Base {
  readonly t: 'waitChildren';
  readonly id: string;
  readonly token: string;
  /** Wait only if this child (`<queue>:<id>`) is still pending. */
  readonly child?: string;
}

export interface FetchCommand extends Base, FetchSpec {
  readonly t: 'fetch';
  /**
   * Prefetch: the tokens of the worker's next fetches. After the first job, one more job is taken
   * for each token while the queue has one to give, all in this record (one flush for several
   * activations). The result then carries the reserved `[token, id]` pairs.
   */
  readonly more?: readonly string[];
}

/** Gives prefetched jobs nobody claimed back to the queue, as if they had not been taken. */
export interface UnreserveCommand extends Base {
  readonly t: 'unreserve';
  /** `[token, id]` in the order they were reserved. */
  readonly jobs: readonly (readonly [string, string])[];
}

export interface FinishCommand extends Base {
  readonly t: 'finish';
  readonly id: string;
  readonly token: string;
  readonly target: 'completed' | 'failed';
  /** The return value as JSON text, or the failed reason. */
  readonly value: string;
  readonly keep: KeepJobsSpec;
  readonly attempts: number;
  readonly fields?: Record<string, string>;
  readonly fetch?: FetchSpec;
  readonly maxMetrics?: number;
}

export interface DelayCommand extends Base {
  readonly t: 'delay';
  readonly id: string;
  readonly token: string;
  readonly dueMs: number;
  readonly delay: number;
  readonly skipAttempt: boolean;
  readonly fields?: Record<string, string>;
  readonly fetch?: FetchSpec;
}

export interface RetryCommand extends Base {
  readonly t: 'retry';
  readonly id: string;
  readonly token: string;
  readonly lifo: boolean;
  readonly fields?: Record<string, string>;
}

export interface ActiveToWaitCommand extends Base {
  readonly t: 'activeToWait';
  readonly id: string;
  readonly token: string;
}

export interface ExtendLocksCommand extends Base {
  readonly t: 'extendLocks';
  readonly ids: readonly string[];
  readonly tokens: readonly string[];
  readonly duration: number;
}

export interface StalledCommand extends Base {
  readonly t: 'stalled';
  readonly maxStalledCount: number;
  readonly stalledInterval: number;
}

export interface PromoteCommand extends Base {
  readonly t: 'promote';
  readonly id: string;
}

export interface PromoteAllCommand extends Base {
  readonly t: 'promoteAll';
  readonly count: number;
}

export interface PauseCommand extends Base {
  readonly t: 'pause';
  readonly paused: boolean;
}

export interface DrainCommand extends Base {
  readonly t: 'drain';
  readonly delayed: boolean;
}

export interface CleanCommand extends Base {
  readonly t: 'clean';
  readonly state: string;
  /** Jobs whose time is at or before this ms are removed. */
  readonly before: number;
  readonly limit: number;
}

export interface ObliterateCommand extends Base {
  readonly t: 'obliterate';
  readonly force: boolean;
  readonly count: number;
}

export interface RemoveCommand extends Base {
  readonly t: 'remove';
  readonly id: string;
  readonly removeChildren: boolean;
}

export interface ReprocessCommand extends Base {
  readonly t: 'reprocess';
  readonly id: string;
  readonly state: 'completed' | 'failed';
  readonly lifo: boolean;
  readonly resetAttemptsMade: boolean;
  readonly resetAttemptsStarted: boolean;
}

export interface RetryFinishedCommand extends Base {
  readonly t: 'retryFinished';
  readonly state: 'completed' | 'failed';
  readonly count: number;
  readonly before: number;
}

export interface UpdateDataCommand extends Base {
  readonly t: 'updateData';
  readonly id: string;
  readonly data: string;
}

export interface ProgressCommand extends Base {
  readonly t: 'progress';
  readonly id: string;
  readonly progress: unknown;
}

export interface AddLogCommand extends Base {
  readonly t: 'addLog';
  readonly id: string;
  readonly row: string;
  readonly keep: number;
}

export interface ClearLogsCommand extends Base {
  readonly t: 'clearLogs';
  readonly id: string;
  readonly keep: number;
}

export interface ChangeDelayCommand extends Base {
  readonly t: 'changeDelay';
  readonly id: string;
  readonly delay: number;
}

export interface ChangePriorityCommand extends Base {
  readonly t: 'changePriority';
  readonly id: string;
  readonly priority: number;
  readonly lifo: boolean;
}

export interface SetMetaCommand extends Base {
  readonly t: 'setMeta';
  readonly values: Record<string, string>;
}

export interface RemoveMetaCommand extends Base {
  readonly t: 'removeMeta';
  readonly fields: readonly string[];
}

export interface PublishCommand extends Base {
  readonly t: 'publish';
  readonly fields: readonly string[];
  readonly maxEvents: number;
}

export interface TrimEventsCommand extends Base {
  readonly t: 'trimEvents';
  readonly maxLength: number;
}

export interface RateLimitCommand extends Base {
  readonly t: 'rateLimit';
  /** ms the limiter stays closed from `now`; 0 removes it. */
  readonly expireMs: number;
}

export type BullCommand =
  | AddCommand
  | FetchCommand
  | UnreserveCommand
  | FinishCommand
  | DelayCommand
  | RetryCommand
  | ActiveToWaitCommand
  | ExtendLocksCommand
  | StalledCommand
  | PromoteCommand
  | PromoteAllCommand
  | PauseCommand
  | DrainCommand
  | CleanCommand
  | ObliterateCommand
  | RemoveCommand
  | ReprocessCommand
  | RetryFinishedCommand
  | UpdateDataCommand
  | ProgressCommand
  | AddLogCommand
  | ClearLogsCommand
  | ChangeDelayCommand
  | ChangePriorityCommand
  | SetMetaCommand
  | RemoveMetaCommand
  | PublishCommand
  | TrimEventsCommand
  | RateLimitCommand
  | WaitChildrenCommand
  | RemoveChildrenCommand
  | RemoveDependencyCommand
  | AddSchedulerCommand
  | UpdateSchedulerCommand
  | RemoveSchedulerCommand
  | DropDedupKeyCommand;

/** A transition that BullMQ reports as a negative code (`finishedErrors`): -1 missing job, -2 missing lock, ... */
export interface Refused {
  readonly code: number;
}

export function refused(code: number): Refused {
  return { code };
}

export function isRefused(value: unknown): value is Refused {
  return typeof value === 'object' && value !== null && 'code' in value && Object.keys(value).length === 1;
}
