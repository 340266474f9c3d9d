/**
 * One job: a queue's state as JSON and back, for the machine's snapshots. Lists keep their
 * left-to-right order and sets their scores, so a restored queue is indistinguishable from the one
 * that was snapshotted (the replay test checks byte equality).
 */
import { EventStream } from './event-stream.js';
import type { JobRecord } from './job-record.js';
import type { JobList } from './job-list.js';
import { QueueState } from './queue-state.js';
import type { MetricsState, RateLimiterState } from './queue-state.js';
import type { DedupKey, DedupNext, SchedulerRecord } from './records.js';
import type { ScoredSet } from './scored-set.js';

type Scored = [string, number][];

export interface QueueSnapshot {
  name: string;
  jobs: JobRecord[];
  wait: string[];
  active: string[];
  prioritized: Scored;
  delayed: Scored;
  completed: Scored;
  failed: Scored;
  waitingChildren: Scored;
  stalled: string[];
  stalledCheckUntilMs: number;
  meta: [string, string][];
  events: ReturnType<EventStream['toJSON']>;
  idCounter: number;
  priorityCounter: number;
  metrics: { completed: MetricsState; failed: MetricsState };
  limiter: RateLimiterState;
  schedulers?: SchedulerRecord[];
  dedup?: [string, DedupKey][];
  dedupNext?: [string, DedupNext][];
  repeat?: Scored;
}

export function snapshotQueue(queue: QueueState): QueueSnapshot {
  return {
    name: queue.name,
    jobs: [...queue.jobs.values()],
    wait: queue.wait.all(),
    active: queue.active.all(),
    prioritized: scored(queue.prioritized),
    delayed: scored(queue.delayed),
    completed: scored(queue.completed),
    failed: scored(queue.failed),
    waitingChildren: scored(queue.waitingChildren),
    stalled: [...queue.stalled],
    stalledCheckUntilMs: queue.stalledCheckUntilMs,
    meta: [...queue.meta.entries()],
    events: queue.events.toJSON(),
    idCounter: queue.idCounter,
    priorityCounter: queue.priorityCounter,
    metrics: queue.metrics,
    limiter: queue.limiter,
    schedulers: [...queue.schedulers.values()],
    repeat: scored(queue.repeat),
    dedup: [...queue.dedup.entries()],
    dedupNext: [...queue.dedupNext.entries()],
  };
}

export function restoreQueue(snapshot: QueueSnapshot): QueueState {
  const queue = new QueueState(snapshot.name);
  for (const job of snapshot.jobs) queue.jobs.set(job.id, job);
  fillList(queue.wait, snapshot.wait);
  fillList(queue.active, snapshot.active);
  fillSet(queue.prioritized, snapshot.prioritized);
  fillSet(queue.delayed, snapshot.delayed);
  fillSet(queue.completed, snapshot.completed);
  fillSet(queue.failed, snapshot.failed);
  fillSet(queue.waitingChildren, snapshot.waitingChildren);
  queue.stalled = new Set(snapshot.stalled);
  queue.stalledCheckUntilMs = snapshot.stalledCheckUntilMs;
  for (const [field, value] of snapshot.meta) queue.meta.set(field, value);
  queue.events = EventStream.fromJSON(snapshot.events);
  queue.idCounter = snapshot.idCounter;
  queue.priorityCounter = snapshot.priorityCounter;
  queue.metrics = snapshot.metrics;
  queue.limiter = snapshot.limiter;
  for (const scheduler of snapshot.schedulers ?? []) queue.schedulers.set(scheduler.id, scheduler);
  fillSet(queue.repeat, snapshot.repeat ?? []);
  for (const [id, key] of snapshot.dedup ?? []) queue.dedup.set(id, key);
  for (const [id, next] of snapshot.dedupNext ?? []) queue.dedupNext.set(id, next);
  return queue;
}

function scored(set: ScoredSet): Scored {
  return set.entries().map((entry) => [entry.member, entry.score]);
}

function fillList(list: JobList, leftToRight: readonly string[]): void {
  for (let i = leftToRight.length - 1; i >= 0; i--) list.pushLeft(leftToRight[i] as string);
}

function fillSet(set: ScoredSet, entries: Scored): void {
  for (const [member, score] of entries) set.add(member, score);
}
