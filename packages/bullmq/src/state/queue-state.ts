/**
 * One job: the state of one BullMQ queue (one qualified name) and the small operations every
 * transition shares: where a job sits, putting a job into wait or prioritized, taking it out of
 * wherever it is, and appending events. The transitions themselves live in `apply-*.ts`.
 */
import { EventStream } from './event-stream.js';
import { JobList } from './job-list.js';
import type { JobRecord, JobStateName } from './job-record.js';
import type { DedupKey, DedupNext, SchedulerRecord } from './records.js';
import { ScoredSet } from './scored-set.js';

/** Redis's priority score: priority in the high bits, an insertion counter below (FIFO per priority). */
const PRIORITY_SHIFT = 0x1_0000_0000;
/** Redis's delayed score: the due time in ms times 4096, plus a counter for FIFO within one ms. */
export const DELAY_SCORE_SHIFT = 0x1000;

export interface MetricsState {
  count: number;
  prevTs: number;
  prevCount: number;
  /** Per-minute counts, newest first. */
  data: number[];
}

export interface RateLimiterState {
  count: number;
  untilMs: number;
}

export class QueueState {
  readonly name: string;
  readonly jobs = new Map<string, JobRecord>();
  readonly wait = new JobList();
  readonly active = new JobList();
  readonly prioritized = new ScoredSet();
  readonly delayed = new ScoredSet();
  readonly completed = new ScoredSet();
  readonly failed = new ScoredSet();
  readonly waitingChildren = new ScoredSet();
  /** Active ids the last stalled check saw; the next check moves those that have no lock by then. */
  stalled = new Set<string>();
  stalledCheckUntilMs = 0;
  readonly meta = new Map<string, string>();
  events = new EventStream();
  idCounter = 0;
  priorityCounter = 0;
  metrics: { completed: MetricsState; failed: MetricsState } = { completed: emptyMetrics(), failed: emptyMetrics() };
  limiter: RateLimiterState = { count: 0, untilMs: 0 };
  /** Job schedulers by id, and their next times (Redis `repeat` sorted set). */
  readonly schedulers = new Map<string, SchedulerRecord>();
  readonly repeat = new ScoredSet();
  /** Deduplication keys by id. */
  readonly dedup = new Map<string, DedupKey>();
  /** keepLastIfActive: the job to add when the active holder of a key finishes, by deduplication id. */
  readonly dedupNext = new Map<string, DedupNext>();

  constructor(name: string) {
    this.name = name;
  }

  get paused(): boolean {
    return this.meta.has('paused');
  }

  /** Paused, or at the queue's global concurrency (meta `concurrency`). */
  get pausedOrMaxed(): boolean {
    if (this.paused) return true;
    const concurrency = Number(this.meta.get('concurrency'));
    return Number.isFinite(concurrency) && concurrency > 0 && this.active.length >= concurrency;
  }

  event(nowMs: number, name: string, ...pairs: (string | number)[]): string {
    return this.events.append(nowMs, ['event', name, ...pairs.map(String)]);
  }

  /** Puts a job whose state is being set into wait (priority 0) or prioritized; `lifo` puts it on the taking end. */
  enqueue(job: JobRecord, lifo: boolean): void {
    if (job.priority > 0) {
      this.addPrioritized(job);
    } else {
      job.state = 'wait';
      if (lifo) this.wait.pushRight(job.id);
      else this.wait.pushLeft(job.id);
    }
  }

  addPrioritized(job: JobRecord): void {
    job.state = 'prioritized';
    this.priorityCounter++;
    this.prioritized.add(job.id, job.priority * PRIORITY_SHIFT + this.priorityCounter);
  }

  /** A prioritized job put back (moved from active to wait): first among its priority. */
  pushBackPrioritized(job: JobRecord): void {
    job.state = 'prioritized';
    this.prioritized.add(job.id, job.priority * PRIORITY_SHIFT);
  }

  addDelayed(job: JobRecord, dueMs: number): void {
    job.state = 'delayed';
    const min = dueMs * DELAY_SCORE_SHIFT;
    const max = (dueMs + 1) * DELAY_SCORE_SHIFT - 1;
    let score = min;
    const entries = this.delayed.entries();
    // The highest score already used in this ms, +1 (FIFO within one ms, as getDelayedScore.lua).
    for (let i = entries.length - 1; i >= 0; i--) {
      const entry = entries[i];
      if (entry === undefined || entry.score < min) break;
      if (entry.score <= max) {
        score = Math.min(entry.score + 1, max);
        break;
      }
    }
    this.delayed.add(job.id, score);
  }

  /** The due time (ms) of the next delayed job, or undefined. */
  nextDelayedMs(): number | undefined {
    const first = this.delayed.first();
    return first === undefined ? undefined : Math.floor(first.score / DELAY_SCORE_SHIFT);
  }

  /** Takes a job out of whichever state collection holds it (the job record stays). */
  detach(job: JobRecord): void {
    switch (job.state) {
      case 'wait':
        this.wait.remove(job.id);
        break;
      case 'active':
        this.active.remove(job.id);
        break;
      case 'prioritized':
        this.prioritized.remove(job.id);
        break;
      case 'delayed':
        this.delayed.remove(job.id);
        break;
      case 'completed':
        this.completed.remove(job.id);
        break;
      case 'failed':
        this.failed.remove(job.id);
        break;
      case 'waiting-children':
        this.waitingChildren.remove(job.id);
        break;
    }
    this.stalled.delete(job.id);
  }

  /** Deletes a job and every trace of it (a deduplication key it holds included). */
  removeJob(job: JobRecord): void {
    this.detach(job);
    this.jobs.delete(job.id);
    const dedupId = job.deduplicationId;
    if (dedupId !== undefined && this.dedup.get(dedupId)?.jobId === job.id) this.dedup.delete(dedupId);
  }

  /**
   * The collection holding jobs of a BullMQ state name. `waiting` is the wait list; `paused` is
   * BullMQ 5's paused list, always empty in 6.x (a paused queue keeps its jobs in wait), so it has
   * none.
   */
  setOf(state: string): JobList | ScoredSet | undefined {
    switch (state) {
      case 'wait':
      case 'waiting':
        return this.wait;
      case 'active':
        return this.active;
      case 'prioritized':
        return this.prioritized;
      case 'delayed':
        return this.delayed;
      case 'completed':
        return this.completed;
      case 'failed':
        return this.failed;
      case 'waiting-children':
        return this.waitingChildren;
      default:
        return undefined;
    }
  }

  /** True when nothing is left to work on (Redis emits `drained` then). */
  get drained(): boolean {
    return this.wait.length === 0 && this.active.length === 0 && this.prioritized.size === 0;
  }

  stateOf(id: string): JobStateName | undefined {
    return this.jobs.get(id)?.state;
  }
}

export function emptyMetrics(): MetricsState {
  return { count: 0, prevTs: 0, prevCount: 0, data: [] };
}
