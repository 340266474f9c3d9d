/**
 * One job: BullMQ's `IQueueBackend` over a seglog log directory. Every method that changes state
 * becomes one record of commands, proposed to the directory's shared state machine (hub.ts); it
 * resolves only once the record is durable and applied, so BullMQ never sees a success that a
 * crash could undo. Reads answer from the applied state (queries.ts) without a record. The
 * blocking primitives (waitForJob, readEvents) wait on the hub's per-queue wake-ups.
 *
 * Instances are per Queue / Worker / QueueEvents (BullMQ's factory contract); they share the hub
 * of their directory, so many queues share one log and one group commit.
 */
import { EventEmitter } from 'node:events';
import { clearTimeout as clearRealTimeout, setTimeout as setRealTimeout } from 'node:timers';
import type {
  IQueueBackend,
  JobJson,
  JobProgress,
  JobState,
  JobType,
  JobsOptions,
  KeepJobs,
  KeyPrefixOptions,
  KeysMap,
  MinimalJob,
  MoveToDelayedOpts,
  MoveToWaitingChildrenOpts,
  DependenciesOpts,
  ParentKeyOpts,
  QueueBaseOptions,
  RepeatableOptions,
  RetryJobOpts,
  RetryOptions,
  StreamReadRaw,
  WorkerOptions,
} from 'bullmq';
import { QueueKeys } from 'bullmq';
import { finishedErrors } from './finished-errors.js';
import { clientName, parseNodeKey } from './identity.js';
import type { Hub } from './hub.js';
import { BackendClosedError, closedError } from './hub.js';
import { keepJobs } from './keep-jobs.js';
import { dedupHolder } from './state/dedup.js';
import { schedulerHash } from './state/schedulers.js';
import * as dependencies from './dependencies.js';
import * as queries from './queries.js';
import type { ParentRef } from './state/job-record.js';
import type { FetchBatchResult, NextJobResult } from './state/apply-fetch.js';
import { idleFetch } from './state/apply-fetch.js';
import { toJobJson } from './state/job-record.js';
import { lockHeld } from './state/locks.js';
import { Prefetch, RESERVATION_IDLE_MS } from './prefetch.js';
import { isRefused } from './state/commands.js';
import type { AddCommand, BullCommand, FetchSpec, SchedulerOpts } from './state/commands.js';
import type { QueueState } from './state/queue-state.js';
import { waitForEvents, waitForJobAvailable } from './waits.js';

/** Events handed to one readEvents call at most (XREAD COUNT). */
const READ_EVENTS_BATCH = 1000;
const LOCK_DURATION_DEFAULT = 30_000;
const STALLED_INTERVAL_DEFAULT = 30_000;
const MAX_STALLED_COUNT_DEFAULT = 1;

export interface BackendRole {
  readonly blocking?: boolean;
  readonly withBlockingConnection?: boolean;
}

export class SeglogQueueBackend extends EventEmitter implements IQueueBackend {
  readonly #hub: Hub;
  readonly #name: string;
  readonly #prefix: string;
  readonly #opts: WorkerOptions;
  readonly #owns: boolean;
  readonly #ready: Promise<void>;
  readonly #keys: KeysMap;
  #closing: Promise<void> | undefined;
  /** Cancels the blocked waitForJob / readEvents calls (close, disconnectBlocking). */
  readonly #cancels = new Set<() => void>();
  #blockingDisconnected = false;
  /** A Worker's backend: the one that may prefetch. */
  #worker = false;
  readonly #prefetch = new Prefetch();
  readonly #fetches = new Set<Promise<NextJobResult>>();
  #idleTimer: NodeJS.Timeout | undefined;
  /** What '$' means for this backend: the stream's end when it became ready, then the last id it returned. */
  #eventCursor: string | undefined;

  constructor(hub: Hub, name: string, opts: QueueBaseOptions, role: BackendRole = {}, owns = true) {
    super();
    this.#hub = hub;
    this.#name = name;
    this.#prefix = (opts as KeyPrefixOptions).prefix ?? 'bull';
    this.#opts = opts;
    this.#owns = owns;
    this.#keys = new QueueKeys(this.#prefix).getKeys(name);
    this.#ready = owns ? this.#start(role) : Promise.resolve();
    this.#ready.catch((error: unknown) => this.emit('error', error));
  }

  // ---- lifecycle ----

  waitUntilReady(): Promise<void> {
    return this.#ready;
  }

  get closing(): Promise<void> | undefined {
    return this.#closing;
  }

  close(_force?: boolean): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async disconnect(): Promise<void> {
    this.#cancelWaits();
    await this.close();
  }

  async setName(name: string): Promise<void> {
    await this.#turn();
    this.#hub.setClientName(this, name);
  }

  get minimumBlockTimeout(): number {
    return 0.001;
  }

  /** BullMQ >= 6.7 reads this; waits here are in-process wake-ups, so an hour is safe. */
  get maximumBlockTimeout(): number {
    return 3600;
  }

  forQueue(queueName: string, prefix?: string): IQueueBackend {
    const opts: QueueBaseOptions & KeyPrefixOptions = { ...this.#opts, prefix: prefix ?? this.#prefix };
    return new SeglogQueueBackend(this.#hub, queueName, opts, {}, false);
  }

  // ---- identity ----

  get qualifiedName(): string {
    return `${this.#prefix}:${this.#name}`;
  }

  get keys(): KeysMap {
    return this.#keys;
  }

  toKey(type: string): string {
    return `${this.qualifiedName}:${type}`;
  }

  parseNodeKey(key: string): { prefix: string; queueName: string; id: string } {
    return parseNodeKey(key);
  }

  clientName(suffix = ''): string {
    return clientName(this.#prefix, this.#name, suffix);
  }

  // ---- adding jobs ----

  async addJob(job: JobJson, jobId: string, parentKeyOpts?: ParentKeyOpts): Promise<string> {
    const command = this.#addCommand(job, jobId, parentKeyOpts);
    const [id] = await this.#propose([command]);
    if (isRefused(id)) throw finishedErrors({ code: id.code, jobId, parentKey: command.parentKey ?? '', command: 'addJob' });
    return id as string;
  }

  async addJobs(entries: { job: JobJson; jobId: string; parentKeyOpts?: ParentKeyOpts }[]): Promise<string[]> {
    if (entries.length === 0) return [];
    const commands = entries.map((entry) => this.#addCommand(entry.job, entry.jobId, entry.parentKeyOpts));
    const ids = await this.#propose(commands);
    ids.forEach((id, index) => {
      if (isRefused(id)) {
        const parentKey = commands[index]?.parentKey ?? '';
        throw finishedErrors({ code: id.code, jobId: commands[index]?.id ?? '', parentKey, command: 'addJob' });
      }
    });
    return ids as string[];
  }

  /** The whole tree (roots first, across queues) is one record: all of it, or none. */
  async addFlow(
    entries: { jobData: JobJson; jobId: string; parentKeyOpts: ParentKeyOpts; prefix: string; queueName: string }[],
  ): Promise<[Error | null, string | number][]> {
    if (entries.length === 0) return [];
    const commands = entries.map((entry) => {
      const own = entry.queueName === this.#name && entry.prefix === this.#prefix;
      const sibling = own ? this : this.#sibling(entry.queueName, entry.prefix);
      return sibling.#addCommand(entry.jobData, entry.jobId, entry.parentKeyOpts);
    });
    const results = await this.#propose(commands);
    return results.map((result) => [null, isRefused(result) ? result.code : (result as string)]);
  }

  async addJobScheduler(
    jobSchedulerId: string,
    nextMillis: number,
    templateData: string,
    templateOpts: JobsOptions,
    opts: RepeatableOptions,
    delayedJobOpts: JobsOptions,
  ): Promise<[string, number]> {
    const command: BullCommand = {
      t: 'addScheduler',
      q: this.qualifiedName,
      now: Date.now(),
      id: jobSchedulerId,
      nextMillis,
      templateData: templateData || '{}',
      templateOpts: templateOpts ?? {},
      opts: schedulerOpts(opts),
      jobOpts: delayedJobOpts ?? {},
    };
    const [result] = await this.#propose([command]);
    this.#throwIfRefused(result, jobSchedulerId, 'addJobScheduler');
    return result as [string, number];
  }

  // ---- moves ----

  /**
   * A worker's fetch. A job reserved for this token by an earlier fetch (prefetch.ts) is handed
   * out without a record; otherwise one record takes this job and, for a worker with free slots,
   * jobs for its next tokens too.
   */
  async moveToActive(token: string, name?: string): Promise<NextJobResult> {
    const fetching = this.#fetch(token, name);
    this.#fetches.add(fetching);
    try {
      return await fetching;
    } finally {
      this.#fetches.delete(fetching);
    }
  }

  async #fetch(token: string, name: string | undefined): Promise<NextJobResult> {
    if (this.#prefetch.mispredicted(token)) await this.#giveBack();
    await this.#turn();
    const claimed = this.#claim(token);
    if (claimed !== undefined) return claimed;
    const spec = this.#fetchSpec(token, name);
    const now = Date.now();
    // Only when nothing is in flight: a change proposed before this fetch (an add) must be seen.
    const idle = this.#hub.settled ? idleFetch(this.#queue(), spec, now, serverTime()) : undefined;
    if (idle !== undefined) {
      if (!this.#prefetching()) await this.#giveBack();
      return idle;
    }
    const concurrency = this.#opts.concurrency ?? 1;
    const more = this.#prefetching() ? this.#prefetch.plan(token, concurrency, this.#queue(), serverTime()) : [];
    const command: BullCommand = { t: 'fetch', ...spec, q: this.qualifiedName, now, ...(more.length === 0 ? {} : { more }) };
    const [result] = await this.#propose([command]);
    const next = more.length === 0 ? (result as NextJobResult) : this.#reserve(result as FetchBatchResult);
    if (!this.#prefetching()) await this.#giveBack();
    if (next[0] !== null) {
      this.#prefetch.handed(token, next[1]);
      await handOver();
    }
    return next;
  }

  async moveToCompleted<T, R, N extends string>(
    job: MinimalJob<T, R, N>,
    returnValue: R,
    removeOnComplete: boolean | number | KeepJobs,
    token: string,
    fetchNext: boolean,
  ): Promise<{ result: void | unknown[]; finishedOn: number }> {
    const value = JSON.stringify(returnValue) ?? 'null';
    return this.#finish(job, 'completed', value, keepJobs(removeOnComplete, this.#opts.removeOnComplete), token, fetchNext);
  }

  async moveToFailed<T, R, N extends string>(
    job: MinimalJob<T, R, N>,
    failedReason: string,
    removeOnFail: boolean | number | KeepJobs,
    token: string,
    fetchNext: boolean,
    fieldsToUpdate?: Record<string, unknown>,
  ): Promise<{ result: void | unknown[]; finishedOn: number }> {
    const keep = keepJobs(removeOnFail, this.#opts.removeOnFail);
    return this.#finish(job, 'failed', failedReason, keep, token, fetchNext, fieldsToUpdate);
  }

  async moveToDelayed(jobId: string, timestamp: number, delay: number, token = '0', opts: MoveToDelayedOpts = {}): Promise<void | unknown[]> {
    const dueMs = delay > 0 ? timestamp + delay : timestamp;
    const fetch = opts.fetchNext === true && this.#closing === undefined && token !== '0' ? this.#fetchSpec(token) : undefined;
    const command: BullCommand = {
      t: 'delay',
      q: this.qualifiedName,
      now: Date.now(),
      id: jobId,
      token,
      dueMs,
      delay,
      skipAttempt: opts.skipAttempt === true,
      ...fieldsOf(opts.fieldsToUpdate),
      ...(fetch === undefined ? {} : { fetch }),
    };
    const [result] = await this.#propose([command]);
    this.#throwIfRefused(result, jobId, 'moveToDelayed', 'active');
    const taken = Array.isArray(result) && result[0] !== null && result[0] !== undefined;
    if (taken) this.#prefetch.handed(token, String(result[1]));
    return Array.isArray(result) ? (result as unknown[]) : [];
  }

  async moveToWaitingChildren(jobId: string, token: string, opts: MoveToWaitingChildrenOpts = {}): Promise<boolean> {
    const child = opts.child === undefined ? undefined : `${opts.child.queue}:${opts.child.id}`;
    const command: BullCommand = { t: 'waitChildren', q: this.qualifiedName, now: Date.now(), id: jobId, token, ...(child === undefined ? {} : { child }) };
    const [result] = await this.#propose([command]);
    this.#throwIfRefused(result, jobId, 'moveToWaitingChildren', 'active');
    return result === 0;
  }

  async moveJobFromActiveToWait(jobId: string, token = '0'): Promise<number> {
    const [result] = await this.#propose([{ t: 'activeToWait', q: this.qualifiedName, now: Date.now(), id: jobId, token }]);
    this.#throwIfRefused(result, jobId, 'moveJobFromActiveToWait');
    return result as number;
  }

  async retryJob(jobId: string, lifo: boolean, token = '0', opts: RetryJobOpts = {}): Promise<void> {
    const command: BullCommand = { t: 'retry', q: this.qualifiedName, now: Date.now(), id: jobId, token, lifo, ...fieldsOf(opts.fieldsToUpdate) };
    const [result] = await this.#propose([command]);
    this.#throwIfRefused(result, jobId, 'retryJob', 'active');
  }

  async retryFinishedJob<T, R, N extends string>(job: MinimalJob<T, R, N>, state: 'failed' | 'completed', opts: RetryOptions = {}): Promise<void> {
    const command: BullCommand = {
      t: 'reprocess',
      q: this.qualifiedName,
      now: Date.now(),
      id: job.id ?? '',
      state,
      lifo: job.opts?.lifo === true,
      resetAttemptsMade: opts.resetAttemptsMade === true,
      resetAttemptsStarted: opts.resetAttemptsStarted === true,
    };
    const [result] = await this.#propose([command]);
    this.#throwIfRefused(result, job.id ?? '', 'reprocessJob', state);
  }

  async promote(jobId: string): Promise<void> {
    const [result] = await this.#propose([{ t: 'promote', q: this.qualifiedName, now: Date.now(), id: jobId }]);
    this.#throwIfRefused(result, jobId, 'promote', 'delayed');
  }

  async moveStalledJobsToWait(): Promise<string[]> {
    const command: BullCommand = {
      t: 'stalled',
      q: this.qualifiedName,
      now: Date.now(),
      maxStalledCount: this.#opts.maxStalledCount ?? MAX_STALLED_COUNT_DEFAULT,
      stalledInterval: this.#opts.stalledInterval ?? STALLED_INTERVAL_DEFAULT,
    };
    const [result] = await this.#propose([command]);
    return result as string[];
  }

  // ---- bulk admin ----

  async retryFinishedJobs(state: 'completed' | 'failed' = 'failed', count = 1000, timestamp = Date.now()): Promise<number> {
    const [result] = await this.#propose([{ t: 'retryFinished', q: this.qualifiedName, now: Date.now(), state, count, before: timestamp }]);
    return result as number;
  }

  async promoteJobs(count = 1000): Promise<number> {
    const [result] = await this.#propose([{ t: 'promoteAll', q: this.qualifiedName, now: Date.now(), count }]);
    return result as number;
  }

  async pause(pause: boolean): Promise<void> {
    await this.#propose([{ t: 'pause', q: this.qualifiedName, now: Date.now(), paused: pause }]);
  }

  async drain(delayed: boolean): Promise<void> {
    await this.#propose([{ t: 'drain', q: this.qualifiedName, now: Date.now(), delayed }]);
  }

  async cleanJobsByState(state: string, timestamp: number, limit = 0): Promise<string[]> {
    const [result] = await this.#propose([{ t: 'clean', q: this.qualifiedName, now: Date.now(), state, before: timestamp, limit }]);
    return result as string[];
  }

  async obliterate(opts: { force: boolean; count: number }): Promise<number> {
    await this.#turn();
    if (this.#queue() === undefined) return 0;
    const [result] = await this.#propose([{ t: 'obliterate', q: this.qualifiedName, now: Date.now(), force: opts.force, count: opts.count }]);
    if (result === -1) throw new Error('Cannot obliterate non-paused queue');
    if (result === -2) throw new Error('Cannot obliterate queue with active jobs');
    return result as number;
  }

  /** A job and its state change in one record here, so a job can never be orphaned: nothing to remove. */
  async removeOrphanedJobs(): Promise<number> {
    await this.#turn();
    return 0;
  }

  // ---- locks ----

  async extendLock(jobId: string, token: string, duration: number): Promise<number> {
    const failed = await this.extendLocks([jobId], [token], duration);
    return failed.length === 0 ? 1 : 0;
  }

  /**
   * Answers once the extension is queued in the log, not once it is durable. Its place in the log
   * is fixed when it is proposed, so every stalled check proposed after it (by any worker) is
   * applied after it and sees the extended lock; waiting for the flush only delayed BullMQ's next
   * renewal (its LockManager awaits each one) by a flush, and on a loaded machine a lock lapsed
   * while its renewal was being written. The answer is the applied state's: the ids this token
   * does not hold now. A record that still fails when applied (a stalled check already in flight
   * took the job) only means the worker learns at completion (`Missing lock`), as on Redis when a
   * lock lapses after a renewal. An extension lost in a crash only lets the job stall earlier,
   * which recovering that crash does anyway.
   */
  async extendLocks(jobIds: string[], tokens: string[], duration: number): Promise<string[]> {
    if (jobIds.length === 0) return [];
    if (this.#closing !== undefined && this.#owns) throw closedError();
    await this.#turn();
    const serverNow = serverTime();
    const command: BullCommand = { t: 'extendLocks', q: this.qualifiedName, now: Date.now(), serverNow, ids: jobIds, tokens, duration };
    const written = this.#hub.propose([command]);
    // Nobody awaits the record: its failure (a broken log) is reported as the backend's error, to
    // whoever listens (BullMQ's classes do; an owner's handle for a remote backend does not).
    written.catch((error: unknown) => {
      if (!(error instanceof BackendClosedError) && this.listenerCount('error') > 0) this.emit('error', error);
    });
    return this.#notHeld(jobIds, tokens, serverNow);
  }

  // ---- job mutations ----

  async updateData<T, R, N extends string>(job: MinimalJob<T, R, N>, data: T): Promise<void> {
    const id = job.id ?? '';
    const [result] = await this.#propose([{ t: 'updateData', q: this.qualifiedName, now: Date.now(), id, data: JSON.stringify(data ?? {}) }]);
    this.#throwIfRefused(result, id, 'updateData');
  }

  async updateProgress(jobId: string, progress: JobProgress): Promise<void> {
    const [result] = await this.#propose([{ t: 'progress', q: this.qualifiedName, now: Date.now(), id: jobId, progress }]);
    this.#throwIfRefused(result, jobId, 'updateProgress');
  }

  async addLog(jobId: string, logRow: string, keepLogs?: number): Promise<number> {
    const [result] = await this.#propose([{ t: 'addLog', q: this.qualifiedName, now: Date.now(), id: jobId, row: logRow, keep: keepLogs ?? 0 }]);
    this.#throwIfRefused(result, jobId, 'addLog');
    return result as number;
  }

  async clearLogs(jobId: string, keepLogs?: number): Promise<void> {
    await this.#propose([{ t: 'clearLogs', q: this.qualifiedName, now: Date.now(), id: jobId, keep: keepLogs ?? 0 }]);
  }

  async changeDelay(jobId: string, delay: number): Promise<void> {
    const [result] = await this.#propose([{ t: 'changeDelay', q: this.qualifiedName, now: Date.now(), id: jobId, delay }]);
    this.#throwIfRefused(result, jobId, 'changeDelay', 'delayed');
  }

  async changePriority(jobId: string, priority = 0, lifo = false): Promise<void> {
    const [result] = await this.#propose([{ t: 'changePriority', q: this.qualifiedName, now: Date.now(), id: jobId, priority, lifo }]);
    this.#throwIfRefused(result, jobId, 'changePriority');
  }

  async remove(jobId: string, removeChildren: boolean): Promise<number> {
    const [result] = await this.#propose([{ t: 'remove', q: this.qualifiedName, now: Date.now(), id: jobId, removeChildren }]);
    return result as number;
  }

  async removeUnprocessedChildren(jobId: string): Promise<void> {
    await this.#propose([{ t: 'removeChildren', q: this.qualifiedName, now: Date.now(), id: jobId }]);
  }

  async removeChildDependency(jobId: string, parentKey: string): Promise<boolean> {
    const [result] = await this.#propose([{ t: 'removeDependency', q: this.qualifiedName, now: Date.now(), id: jobId, parentKey }]);
    if (isRefused(result)) throw finishedErrors({ code: result.code, jobId, parentKey, command: 'removeChildDependency' });
    return result === 0;
  }

  async removeDeduplicationKey(deduplicationId: string, jobId: string): Promise<number> {
    const [result] = await this.#propose([{ t: 'dropDedupKey', q: this.qualifiedName, now: Date.now(), dedupId: deduplicationId, jobId }]);
    return result as number;
  }

  async deleteDeduplicationKey(deduplicationId: string): Promise<number> {
    const [result] = await this.#propose([{ t: 'dropDedupKey', q: this.qualifiedName, now: Date.now(), dedupId: deduplicationId }]);
    return result as number;
  }

  // ---- job schedulers ----

  async updateJobSchedulerNextMillis(
    jobSchedulerId: string,
    nextMillis: number,
    _templateData: string,
    delayedJobOpts: JobsOptions,
    producerId?: string,
  ): Promise<string | null> {
    const command: BullCommand = {
      t: 'updateScheduler',
      q: this.qualifiedName,
      now: Date.now(),
      id: jobSchedulerId,
      nextMillis,
      jobOpts: delayedJobOpts ?? {},
      ...(producerId === undefined ? {} : { producerId }),
    };
    const [result] = await this.#propose([command]);
    return result as string | null;
  }

  async removeJobScheduler(jobSchedulerId: string): Promise<number> {
    const [result] = await this.#propose([{ t: 'removeScheduler', q: this.qualifiedName, now: Date.now(), id: jobSchedulerId }]);
    return result as number;
  }

  async getJobScheduler(id: string): Promise<[string[] | null, string | null]> {
    await this.#turn();
    const queue = this.#queue();
    const scheduler = queue?.schedulers.get(id);
    if (scheduler === undefined) return [null, null];
    return [Object.entries(schedulerHash(scheduler)).flat(), String(queue?.repeat.score(id) ?? '')];
  }

  async isJobScheduler(id: string): Promise<boolean> {
    await this.#turn();
    return this.#queue()?.schedulers.has(id) ?? false;
  }

  async getJobSchedulerData(key: string): Promise<Record<string, string>> {
    await this.#turn();
    const scheduler = this.#queue()?.schedulers.get(key);
    return scheduler === undefined ? {} : schedulerHash(scheduler);
  }

  /** `[id, nextMillis, id, nextMillis, ...]`, by next time. */
  async getJobSchedulersRange(start: number, end: number, asc: boolean): Promise<string[]> {
    await this.#turn();
    const repeat = this.#queue()?.repeat;
    if (repeat === undefined) return [];
    return repeat.range(start, end, asc).flatMap((id) => [id, String(repeat.score(id))]);
  }

  async getJobSchedulersCount(): Promise<number> {
    await this.#turn();
    return this.#queue()?.schedulers.size ?? 0;
  }

  // ---- queries ----

  async getState(jobId: string): Promise<JobState | 'unknown'> {
    await this.#turn();
    return queries.jobState(this.#queue(), jobId);
  }

  async isFinished(jobId: string, returnValue?: boolean): Promise<number | [number, string]> {
    await this.#turn();
    return queries.finished(this.#queue(), jobId, this.toKey(jobId), returnValue === true);
  }

  async isMaxed(): Promise<boolean> {
    await this.#turn();
    const queue = this.#queue();
    return queue !== undefined && !queue.paused && queue.pausedOrMaxed;
  }

  async isJobInState(state: string, jobId: string): Promise<boolean> {
    await this.#turn();
    return queries.inState(this.#queue(), state, jobId);
  }

  async getJobData(jobId: string): Promise<JobJson | undefined> {
    await this.#turn();
    return queries.jobData(this.#queue(), jobId);
  }

  async getDeduplicationJobId(deduplicationId: string): Promise<string | null> {
    await this.#turn();
    return dedupHolder(this.#queue(), deduplicationId, serverTime());
  }

  async getJobLogs(
    jobId: string,
    start: number,
    end: number,
    asc: boolean,
  ): Promise<{ logs: string[]; count: number }> {
    await this.#turn();
    return queries.logs(this.#queue(), jobId, start, end, asc);
  }

  async getRateLimitTtl(maxJobs?: number): Promise<number> {
    await this.#turn();
    return queries.rateLimitTtl(this.#queue(), maxJobs, serverTime());
  }

  async getCounts(types: JobType[], delayedTimestamp?: number): Promise<number[]> {
    await this.#turn();
    return queries.counts(this.#queue(), types, delayedTimestamp);
  }

  async getCountsPerPriority(priorities: number[]): Promise<number[]> {
    await this.#turn();
    return queries.countsPerPriority(this.#queue(), priorities);
  }

  async getRanges(types: JobType[], start = 0, end = -1, asc = false): Promise<[string][]> {
    await this.#turn();
    return queries.ranges(this.#queue(), types, start, end, asc) as unknown as [string][];
  }

  async getDependencyCounts(jobId: string, types: string[]): Promise<number[]> {
    await this.#turn();
    return dependencies.counts(this.#queue()?.jobs.get(jobId), types);
  }

  async getDependencies(jobId: string, opts: DependenciesOpts = {}): Promise<dependencies.DependencyPages> {
    await this.#turn();
    return dependencies.pages(this.#queue()?.jobs.get(jobId), opts);
  }

  async getProcessedChildrenValues(jobId: string): Promise<Record<string, string>> {
    await this.#turn();
    return { ...this.#queue()?.jobs.get(jobId)?.processed };
  }

  async getIgnoredChildrenFailures(jobId: string): Promise<Record<string, string>> {
    await this.#turn();
    return { ...this.#queue()?.jobs.get(jobId)?.ignored };
  }

  async getMetrics(type: 'completed' | 'failed', start = 0, end = -1): Promise<[string[], string[], number]> {
    await this.#turn();
    return queries.metrics(this.#queue(), type, start, end);
  }

  async getClientList(): Promise<string[]> {
    await this.#turn();
    return [this.#hub.clientList()];
  }

  /** BullMQ's classes paginate a parent's `<id>:dependencies` (pending) and `<id>:processed` keys. */
  async paginate(key: string, opts: { start: number; end: number; fetchJobs?: boolean }): Promise<dependencies.Page> {
    await this.#turn();
    return dependencies.paginate(this.#hub.state, key, opts);
  }

  // ---- queue meta ----

  async setQueueMeta(values: Record<string, string | number>): Promise<number> {
    const strings = Object.fromEntries(Object.entries(values).map(([field, value]) => [field, String(value)]));
    const [result] = await this.#propose([{ t: 'setMeta', q: this.qualifiedName, now: Date.now(), values: strings }]);
    return result as number;
  }

  async getQueueMetaField(field: string): Promise<string | null> {
    await this.#turn();
    return this.#queue()?.meta.get(field) ?? null;
  }

  async getQueueMetaFields(fields: string[]): Promise<(string | null)[]> {
    await this.#turn();
    const meta = this.#queue()?.meta;
    return fields.map((field) => meta?.get(field) ?? null);
  }

  async getQueueMeta(): Promise<Record<string, string>> {
    await this.#turn();
    return Object.fromEntries(this.#queue()?.meta ?? []);
  }

  async removeQueueMetaFields(fields: string[]): Promise<number> {
    if (fields.length === 0) return 0;
    const [result] = await this.#propose([{ t: 'removeMeta', q: this.qualifiedName, now: Date.now(), fields }]);
    return result as number;
  }

  async hasQueueMetaField(field: string): Promise<boolean> {
    await this.#turn();
    return this.#queue()?.meta.has(field) ?? false;
  }

  async setRateLimit(expireTimeMs: number): Promise<void> {
    await this.#propose([{ t: 'rateLimit', q: this.qualifiedName, now: Date.now(), expireMs: Math.max(1, expireTimeMs) }]);
  }

  async removeRateLimitKey(): Promise<number> {
    const [result] = await this.#propose([{ t: 'rateLimit', q: this.qualifiedName, now: Date.now(), expireMs: 0 }]);
    return result as number;
  }

  /** The legacy `priority` key never exists here. */
  async removeDeprecatedPriorityKey(): Promise<number> {
    await this.#turn();
    return 0;
  }

  async trimEvents(maxLength: number): Promise<number> {
    const [result] = await this.#propose([{ t: 'trimEvents', q: this.qualifiedName, now: Date.now(), maxLength }]);
    return result as number;
  }

  // ---- events ----

  async publishEvent(fields: Record<string, string | number>, maxEvents: number): Promise<string> {
    const flat: string[] = [];
    if (fields['event'] !== undefined) flat.push('event', String(fields['event']));
    for (const [field, value] of Object.entries(fields)) if (field !== 'event') flat.push(field, String(value));
    const [result] = await this.#propose([{ t: 'publish', q: this.qualifiedName, now: Date.now(), fields: flat, maxEvents }]);
    return result as string;
  }

  async readEvents(id: string, blockTimeout: number): Promise<StreamReadRaw> {
    if (this.#closing !== undefined) return null;
    await this.#turn();
    // A close that came during the turn cancelled no wait yet: check again before blocking.
    if (this.#closing !== undefined) return null;
    const cursor = id === '$' ? (this.#eventCursor ?? this.#queue()?.events.lastId ?? '0-0') : id;
    const wait = { cursor, limit: READ_EVENTS_BATCH, blockMs: blockTimeout };
    const entries = await waitForEvents(this.#hub, this.qualifiedName, wait, this.#cancels);
    if (entries === undefined || entries.length === 0 || this.#closing !== undefined) return null;
    this.#eventCursor = (entries[entries.length - 1] as { id: string }).id;
    return [[this.toKey('events'), entries.map((entry) => [entry.id, entry.fields])]] as unknown as StreamReadRaw;
  }

  // ---- the worker's blocking wait ----

  async waitForJob(blockTimeout: number): Promise<{ member: string; score: number } | null> {
    if (this.#closing !== undefined || this.#blockingDisconnected) return null;
    await this.#turn();
    if (this.#closing !== undefined || this.#blockingDisconnected) return null;
    return waitForJobAvailable(this.#hub, this.qualifiedName, blockTimeout * 1000, this.#cancels);
  }

  /** The worker pauses or closes: it will fetch no more, so its reservations go back to the queue. */
  async disconnectBlocking(_wait?: boolean): Promise<void> {
    this.#blockingDisconnected = true;
    this.#cancelWaits();
    await this.#giveBack();
  }

  async reconnectBlocking(): Promise<void> {
    this.#blockingDisconnected = false;
  }

  // ---- internals ----

  async #start(role: BackendRole): Promise<void> {
    await this.#hub.acquire();
    if (role.withBlockingConnection === true) {
      this.#worker = true;
      const name = this.#opts.name;
      this.#hub.setClientName(this, this.clientName(name === undefined ? '' : `:w:${name}`));
    }
    if (role.blocking === true) this.#eventCursor = this.#queue()?.events.lastId ?? '0-0';
    setImmediate(() => this.emit('ready'));
  }

  async #shutdown(): Promise<void> {
    this.#cancelWaits();
    if (!this.#owns) return;
    this.#hub.removeClient(this);
    await this.#ready.catch(() => undefined);
    await Promise.allSettled([...this.#fetches]);
    await this.#giveBack();
    await this.#hub.release();
    this.emit('close');
  }

  /**
   * What a read (and every call that is not a record) waits for: the backend to be open, then one
   * macrotask. A datastore round trip gives the other work of the process a turn before the answer
   * comes back; answering in the same tick would let a caller observe states Redis never shows
   * (e.g. a worker's job `active` but not yet handed to its processor).
   */
  async #turn(): Promise<void> {
    await this.#ready;
    await handOver();
  }

  /** Prefetch only for a running worker (it has a blocking connection) that is not pausing or closing. */
  #prefetching(): boolean {
    return this.#worker && !this.#blockingDisconnected && this.#closing === undefined;
  }

  /** The job reserved for `token`, as moveToActive's tuple, if it is still active under it. */
  #claim(token: string): NextJobResult | undefined {
    const queue = this.#queue();
    const id = this.#prefetch.claim(token, queue, serverTime());
    const job = id === undefined ? undefined : queue?.jobs.get(id);
    if (id === undefined || job === undefined) return undefined;
    // The worker is still claiming: the rest of its reservations get a fresh idle period, so a
    // slow event loop (a loaded machine) does not give back jobs it is about to ask for.
    if (this.#prefetch.reservedCount > 0) this.#armIdleGiveBack(true);
    return [toJobJson(job), id, 0, 0];
  }

  #reserve(batch: FetchBatchResult): NextJobResult {
    if (batch.reserved.length > 0) {
      this.#prefetch.reserve(batch.reserved);
      this.#armIdleGiveBack();
    }
    return batch.next;
  }

  /** Reservations left unclaimed hold locks nobody extends: give them back after a while. */
  #armIdleGiveBack(restart = false): void {
    if (this.#idleTimer !== undefined && !restart) return;
    clearRealTimeout(this.#idleTimer);
    // node:timers, not the global: an application (or BullMQ's tests) faking timers must not keep them.
    this.#idleTimer = setRealTimeout(() => {
      this.#idleTimer = undefined;
      this.#giveBack().catch((error: unknown) => this.emit('error', error));
    }, RESERVATION_IDLE_MS);
    this.#idleTimer.unref();
  }

  /** Gives every unclaimed reservation back to the queue (one record). */
  async #giveBack(): Promise<void> {
    const jobs = this.#prefetch.drain();
    if (jobs.length === 0) return;
    const command: BullCommand = { t: 'unreserve', q: this.qualifiedName, now: Date.now(), serverNow: serverTime(), jobs };
    await this.#hub.propose([command]);
  }

  /** The ids whose lock `tokens` do not hold in the applied state at `serverNow`. */
  #notHeld(jobIds: readonly string[], tokens: readonly string[], serverNow: number): string[] {
    const queue = this.#queue();
    return jobIds.filter((id, index) => {
      const job = queue?.jobs.get(id);
      return job === undefined || job.state !== 'active' || lockHeld(job, serverNow) !== (tokens[index] ?? '');
    });
  }

  #cancelWaits(): void {
    for (const cancel of [...this.#cancels]) cancel();
  }

  #queue(): QueueState | undefined {
    return this.#hub.state.queue(this.qualifiedName);
  }

  async #propose(commands: BullCommand[]): Promise<unknown[]> {
    if (this.#closing !== undefined && this.#owns) throw closedError();
    await this.#turn();
    const serverNow = serverTime();
    return this.#hub.propose(commands.map((command) => ({ ...command, serverNow })));
  }

  #addCommand(job: JobJson, jobId: string, parentKeyOpts: ParentKeyOpts | undefined): AddCommand {
    const opts = job.opts ?? {};
    const parentKey = parentKeyOpts?.parentKey || job.parentKey || undefined;
    return {
      t: 'add',
      q: this.qualifiedName,
      now: Date.now(),
      id: jobId || job.id || '',
      name: job.name,
      data: job.data ?? '{}',
      opts,
      timestamp: job.timestamp ?? Date.now(),
      ...(parentKey === undefined ? {} : { parentKey, asDependency: (parentKeyOpts?.parentDependenciesKey ?? '') !== '' || parentKeyOpts === undefined }),
      ...(job.parent === undefined ? {} : { parent: job.parent as ParentRef }),
      ...(parentKeyOpts?.addToWaitingChildren === true ? { waitChildren: true } : {}),
      ...(job.repeatJobKey === undefined ? {} : { repeatJobKey: job.repeatJobKey }),
    };
  }

  /** A missing parent is BullMQ's own error (`Missing key for parent job ...`); an existing one needs flows. */
  #sibling(queueName: string, prefix: string): SeglogQueueBackend {
    const opts: QueueBaseOptions & KeyPrefixOptions = { ...this.#opts, prefix };
    return new SeglogQueueBackend(this.#hub, queueName, opts, {}, false);
  }

  #fetchSpec(token: string, name?: string): FetchSpec {
    const limiter = this.#opts.limiter;
    const workerName = name ?? this.#opts.name;
    return {
      token,
      lockDuration: this.#opts.lockDuration ?? LOCK_DURATION_DEFAULT,
      ...(workerName === undefined ? {} : { name: workerName }),
      ...(limiter === undefined ? {} : { limiterMax: limiter.max, limiterDuration: limiter.duration }),
    };
  }

  async #finish<T, R, N extends string>(
    job: MinimalJob<T, R, N>,
    target: 'completed' | 'failed',
    value: string,
    keep: ReturnType<typeof keepJobs>,
    token: string,
    fetchNext: boolean,
    fieldsToUpdate?: Record<string, unknown>,
  ): Promise<{ result: void | unknown[]; finishedOn: number }> {
    const id = job.id ?? '';
    const now = Date.now();
    const maxMetrics = this.#opts.metrics?.maxDataPoints;
    const command: BullCommand = {
      t: 'finish',
      q: this.qualifiedName,
      now,
      id,
      token,
      target,
      value,
      keep,
      attempts: job.opts?.attempts ?? 1,
      ...fieldsOf(fieldsToUpdate),
      ...(fetchNext && this.#closing === undefined ? { fetch: this.#fetchSpec(token) } : {}),
      ...(maxMetrics === undefined ? {} : { maxMetrics }),
    };
    const [result] = await this.#propose([command]);
    this.#throwIfRefused(result, id, 'moveToFinished', 'active');
    if (Array.isArray(result) && result[0] !== null) {
      this.#prefetch.handed(token, String(result[1]));
      await handOver();
    }
    return { result: Array.isArray(result) ? result : undefined, finishedOn: now };
  }

  #throwIfRefused(result: unknown, jobId: string, command: string, state?: string): void {
    if (isRefused(result)) {
      throw finishedErrors({ code: result.code, jobId, command, ...(state === undefined ? {} : { state }) });
    }
  }
}

/**
 * The clock of locks and the limiter (Redis's server clock): the real time, read from the
 * monotonic performance clock so that an application faking `Date` (as BullMQ's own tests do with
 * sinon) cannot make locks lapse or the limiter stick.
 */
export function serverTime(): number {
  return Math.floor(performance.timeOrigin + performance.now());
}

/**
 * Lets the callers resolved by the same durable batch run first. A job added and taken in one
 * group commit resolves both calls in the same tick; on Redis the add's reply always comes first,
 * and code (BullMQ's own tests among it) registers its listeners after `await queue.add(...)`
 * and before the worker's `active` event. One macrotask restores that order.
 */
function handOver(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The scheduler fields the state keeps, from BullMQ's RepeatableOptions. */
function schedulerOpts(opts: RepeatableOptions): SchedulerOpts {
  const given = (opts ?? {}) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const field of ['name', 'every', 'pattern', 'tz', 'limit', 'startDate', 'endDate', 'offset']) {
    if (given[field] !== undefined && given[field] !== null) out[field] = given[field];
  }
  return out;
}

/** failedReason / stacktrace to set with a move, as strings (BullMQ sends the stacktrace as JSON text). */
function fieldsOf(fields: Record<string, unknown> | undefined): { fields?: Record<string, string> } {
  if (fields === undefined) return {};
  const out: Record<string, string> = {};
  for (const [field, value] of Object.entries(fields)) {
    if (value === undefined || value === null) continue;
    out[field] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  return { fields: out };
}
