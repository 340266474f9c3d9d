/**
 * One job: job schedulers (BullMQ's upsertJobScheduler: `every` and cron `pattern`), as
 * addJobScheduler.lua / updateJobScheduler.lua / removeJobScheduler.lua keep them. A scheduler
 * holds its template and the time of its next iteration; exactly one iteration job
 * (`repeat:<scheduler>:<millis>`) waits for it (delayed, or in wait when due). When a worker takes
 * an iteration, BullMQ asks for the next one (updateScheduler), which this record adds.
 *
 * For `pattern` schedulers BullMQ computes the next time from the cron expression on the client
 * and passes it in; for `every` the state machine computes it, so upserts stay aligned to the slot.
 */
import type { JobsOptions } from 'bullmq';
import type { AddSchedulerCommand, RemoveSchedulerCommand, UpdateSchedulerCommand } from './commands.js';
import { refused } from './commands.js';
import type { Refused } from './commands.js';
import { removeHard } from './flows.js';
import type { Universe } from './flows.js';
import { newJobRecord } from './job-record.js';
import type { QueueState } from './queue-state.js';
import type { SchedulerRecord } from './records.js';


const SLOT_SCANS_MAX = 32;
const COLLISION = -10;
const SLOTS_BUSY = -11;

export function iterationId(schedulerId: string, millis: number): string {
  return `repeat:${schedulerId}:${millis}`;
}

/** getJobSchedulerEveryNextMillis.lua. */
function everyNext(
  prev: number | undefined,
  every: number,
  now: number,
  offset: number,
  startDate: number | undefined,
): [number, number] {
  let next: number;
  if (prev === undefined) {
    if (startDate !== undefined) next = Math.max(startDate, now);
    else if (offset > 0) {
      next = Math.floor(now / every) * every + offset;
      if (next <= now) next += every;
    } else next = now;
  } else {
    next = prev + every;
    if (next < now) {
      const aligned = Math.floor(now / every) * every + offset;
      next = aligned <= now ? aligned + every : aligned;
    }
  }
  const newOffset = offset === 0 ? next - Math.floor(next / every) * every : offset;
  return [Math.floor(next), Math.floor(newOffset)];
}

/** Returns [jobId, delay] or a refusal (-10 id collision, -11 every slot busy). */
export function applyAddScheduler(
  universe: Universe,
  queue: QueueState,
  command: AddSchedulerCommand,
): [string, number] | Refused {
  const { now, id, opts } = command;
  const prev = queue.repeat.score(id);
  const existing = queue.schedulers.get(id);
  const every = opts.every;
  const jobRepeat = (command.jobOpts as { repeat?: { offset?: number } }).repeat;
  const offset = opts.offset ?? jobRepeat?.offset ?? 0;
  let next = command.nextMillis;
  let newOffset = offset;
  let updatedEvery = false;
  if (every !== undefined) {
    let millis = prev;
    if (prev !== undefined && existing?.every !== every) {
      millis = undefined;
      updatedEvery = true;
    }
    [next, newOffset] = everyNext(millis, every, now, offset, opts.startDate);
  }
  let removedPrev = false;
  if (prev !== undefined) {
    const current = queue.jobs.get(iterationId(id, prev));
    if (current !== undefined && (current.state === 'delayed' || current.state === 'prioritized' || current.state === 'wait')) {
      removeHard(universe, queue, current, now);
      removedPrev = true;
    }
  }
  const stored: SchedulerRecord = { ...schedulerOf(id, opts, command), ic: existing?.ic ?? 1 };
  if (removedPrev) {
    if (every !== undefined && !updatedEvery) next = prev as number;
    if (existing?.offset !== undefined && opts.offset === undefined) stored.offset = existing.offset;
  } else stored.offset = newOffset;
  let hasCollision = false;
  if (queue.jobs.has(iterationId(id, next))) {
    if (every === undefined) hasCollision = true;
    else {
      let scans = 0;
      do {
        next += every;
        scans++;
      } while (queue.jobs.has(iterationId(id, next)) && scans < SLOT_SCANS_MAX);
      if (queue.jobs.has(iterationId(id, next))) return refused(SLOTS_BUSY);
    }
  }
  if (hasCollision && !removedPrev) return refused(COLLISION);
  const delay = Math.max(0, next - now);
  queue.schedulers.set(id, stored);
  queue.repeat.add(id, next);
  queue.idCounter++;
  addIteration(queue, stored, next, command.jobOpts, command.templateData, delay, now);
  return [iterationId(id, next), delay];
}

/** updateJobScheduler.lua: the next iteration, added only by the iteration that is current; its id, or null. */
export function applyUpdateScheduler(queue: QueueState, command: UpdateSchedulerCommand): string | null {
  const { now, id } = command;
  const prev = queue.repeat.score(id);
  const scheduler = queue.schedulers.get(id);
  if (prev === undefined || scheduler === undefined) return null;
  let next = command.nextMillis;
  const jobOpts = { ...command.jobOpts } as JobsOptions & { repeat?: { every?: number; offset?: number } };
  const every = scheduler.every ?? jobOpts.repeat?.every;
  if (every !== undefined) {
    const offset = scheduler.offset ?? jobOpts.repeat?.offset ?? 0;
    [next] = everyNext(prev, every, now, offset, scheduler.startDate);
  }
  if (command.producerId !== iterationId(id, prev)) return null;
  const nextId = iterationId(id, next);
  if (queue.jobs.has(nextId)) {
    queue.event(now, 'duplicated', 'jobId', nextId);
    return null;
  }
  queue.repeat.add(id, next);
  scheduler.ic++;
  queue.idCounter++;
  addIteration(queue, scheduler, next, jobOpts, scheduler.data ?? '{}', Math.max(0, next - now), now);
  return nextId;
}

/** removeJobScheduler-3.lua: the scheduler and its delayed iteration; 0 when removed, 1 when there was none. */
export function applyRemoveScheduler(universe: Universe, queue: QueueState, command: RemoveSchedulerCommand): number {
  const prev = queue.repeat.score(command.id);
  if (prev === undefined) return 1;
  const current = queue.jobs.get(iterationId(command.id, prev));
  if (current !== undefined && current.state === 'delayed') {
    removeHard(universe, queue, current, command.now);
    queue.event(command.now, 'removed', 'jobId', current.id, 'prev', 'delayed');
  }
  queue.repeat.remove(command.id);
  queue.schedulers.delete(command.id);
  return 0;
}

function schedulerOf(id: string, opts: AddSchedulerCommand['opts'], command: AddSchedulerCommand): SchedulerRecord {
  const record: SchedulerRecord = { id, name: opts.name ?? '', ic: 1 };
  if (opts.every !== undefined) record.every = opts.every;
  if (opts.pattern !== undefined) record.pattern = opts.pattern;
  if (opts.tz !== undefined) record.tz = opts.tz;
  if (opts.limit !== undefined) record.limit = opts.limit;
  if (opts.startDate !== undefined) record.startDate = opts.startDate;
  if (opts.endDate !== undefined) record.endDate = opts.endDate;
  if (command.templateData !== '{}') record.data = command.templateData;
  if (Object.keys(command.templateOpts).length > 0) record.opts = command.templateOpts;
  return record;
}

/** addJobFromScheduler.lua: the iteration job, delayed until its time (or waiting when due). */
function addIteration(
  queue: QueueState,
  scheduler: SchedulerRecord,
  millis: number,
  jobOpts: JobsOptions,
  data: string,
  delay: number,
  now: number,
): void {
  const id = iterationId(scheduler.id, millis);
  const opts: JobsOptions = { ...jobOpts, delay, jobId: id };
  const job = newJobRecord(id, scheduler.name, data, opts, now);
  job.delay = delay;
  job.repeatJobKey = scheduler.id;
  queue.jobs.set(id, job);
  queue.event(now, 'added', 'jobId', id, 'name', job.name);
  if (delay > 0) {
    queue.addDelayed(job, now + delay);
    queue.event(now, 'delayed', 'jobId', id, 'delay', now + delay);
  } else {
    queue.enqueue(job, opts.lifo === true);
    queue.event(now, 'waiting', 'jobId', id);
  }
}

/** The scheduler as Redis's hash: string fields, absent ones left out. */
export function schedulerHash(scheduler: SchedulerRecord): Record<string, string> {
  const hash: Record<string, string> = { name: scheduler.name };
  if (scheduler.tz !== undefined) hash['tz'] = scheduler.tz;
  if (scheduler.limit !== undefined) hash['limit'] = String(scheduler.limit);
  if (scheduler.pattern !== undefined) hash['pattern'] = scheduler.pattern;
  if (scheduler.startDate !== undefined) hash['startDate'] = String(scheduler.startDate);
  if (scheduler.endDate !== undefined) hash['endDate'] = String(scheduler.endDate);
  if (scheduler.every !== undefined) hash['every'] = String(scheduler.every);
  if (scheduler.offset !== undefined) hash['offset'] = String(scheduler.offset);
  if (scheduler.opts !== undefined) hash['opts'] = JSON.stringify(scheduler.opts);
  if (scheduler.data !== undefined) hash['data'] = scheduler.data;
  hash['ic'] = String(scheduler.ic);
  return hash;
}
