/**
 * One job: the BullMQ state machine that `@seglog/queue/machine` drives. It holds every queue of
 * one log directory by qualified name, applies a record's commands in order (each to its own
 * queue) and returns one result per command; its snapshot is every queue as JSON.
 *
 * `apply` is pure: all times come from the commands, so a replay after a crash rebuilds exactly the
 * state (and the event stream) the live process had.
 */
import type { StateMachine } from '@seglog/queue/machine';
import { limits, SeglogError } from '@seglog/types';
import { applyChangeDelay, applyChangePriority, applyClean, applyDrain, applyObliterate, applyPause } from './apply-admin.js';
import { applyPromote, applyPromoteAll, applyRemove, applyReprocess, applyRetryFinished, applyWaitChildren } from './apply-admin.js';
import { applyRemoveChildren, applyRemoveDependency } from './apply-admin.js';
import { fetchBatch, fetchNext, unreserve } from './apply-fetch.js';
import { applyActiveToWait, applyDelay, applyFinish, applyRetry } from './apply-finish.js';
import { applyAdd, applyAddLog, applyClearLogs, applyProgress, applyPublish } from './apply-job.js';
import { applyRateLimit, applyRemoveMeta, applySetMeta, applyTrimEvents, applyUpdateData } from './apply-job.js';
import { applyExtendLocks, applyStalled } from './apply-stalled.js';
import { serverClock } from './commands.js';
import type { BullCommand } from './commands.js';
import { QueueState } from './queue-state.js';
import { applyAddScheduler, applyRemoveScheduler, applyUpdateScheduler } from './schedulers.js';
import { restoreQueue, snapshotQueue } from './snapshot.js';
import { applyDropDedupKey } from './dedup.js';
import type { QueueSnapshot } from './snapshot.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const SNAPSHOT_VERSION = 1;

export class BullMachine implements StateMachine<BullCommand, unknown[]> {
  readonly queues = new Map<string, QueueState>();
  /** Called after each applied record with the queues it touched (wakes blocked workers and event readers). */
  onApplied: ((queues: ReadonlySet<string>) => void) | undefined;
  /** The size of the last snapshot taken or loaded (0 before any). */
  #lastSnapshotBytes = 0;

  queue(name: string): QueueState | undefined {
    return this.queues.get(name);
  }

  apply(commands: readonly BullCommand[]): unknown[] {
    const touched = new Set<string>();
    const results = commands.map((command) => {
      touched.add(command.q);
      return this.#applyOne(command);
    });
    this.onApplied?.(touched);
    return results;
  }

  encodeCommands(commands: readonly BullCommand[]): Uint8Array {
    return encoder.encode(JSON.stringify(commands));
  }

  decodeCommands(bytes: Uint8Array, offset: number): BullCommand[] {
    try {
      const parsed: unknown = JSON.parse(decoder.decode(bytes));
      if (!Array.isArray(parsed)) throw new Error('not an array');
      return parsed as BullCommand[];
    } catch (error) {
      throw SeglogError.corrupt(`record ${offset} is not a BullMQ command list: ${String(error)}`, { offset, cause: error });
    }
  }

  snapshot(): Uint8Array {
    const queues = [...this.queues.values()].map(snapshotQueue);
    const body = encoder.encode(JSON.stringify({ v: SNAPSHOT_VERSION, queues }));
    this.#lastSnapshotBytes = body.byteLength;
    return body;
  }

  /** Periodic snapshots in proportion to the state's size (limits.bullmqSnapshotLogBytesRatio). */
  snapshotDue(_recordsSince: number, bytesSince: number): boolean {
    return bytesSince >= this.#lastSnapshotBytes * limits.bullmqSnapshotLogBytesRatio;
  }

  restore(body: Uint8Array): void {
    this.#lastSnapshotBytes = body.byteLength;
    const parsed = JSON.parse(decoder.decode(body)) as { v: number; queues: QueueSnapshot[] };
    if (parsed.v !== SNAPSHOT_VERSION) {
      throw SeglogError.corrupt(`BullMQ snapshot version ${parsed.v} is not ${SNAPSHOT_VERSION}`, {});
    }
    this.queues.clear();
    for (const snapshot of parsed.queues) this.queues.set(snapshot.name, restoreQueue(snapshot));
  }

  #state(name: string): QueueState {
    let queue = this.queues.get(name);
    if (queue === undefined) {
      queue = new QueueState(name);
      this.queues.set(name, queue);
    }
    return queue;
  }

  #applyOne(command: BullCommand): unknown {
    const queue = this.#state(command.q);
    switch (command.t) {
      case 'add':
        return applyAdd(this, queue, command);
      case 'fetch':
        if (command.more !== undefined) return fetchBatch(queue, command, command.more);
        return fetchNext(queue, command, command.now, serverClock(command));
      case 'unreserve':
        return unreserve(queue, command);
      case 'finish':
        return applyFinish(this, queue, command);
      case 'delay':
        return applyDelay(queue, command);
      case 'retry':
        return applyRetry(queue, command);
      case 'activeToWait':
        return applyActiveToWait(queue, command);
      case 'extendLocks':
        return applyExtendLocks(queue, command);
      case 'stalled':
        return applyStalled(queue, command);
      case 'promote':
        return applyPromote(queue, command);
      case 'promoteAll':
        return applyPromoteAll(queue, command);
      case 'pause':
        return applyPause(queue, command);
      case 'drain':
        return applyDrain(this, queue, command);
      case 'clean':
        return applyClean(this, queue, command);
      case 'obliterate':
        return applyObliterate(this, queue, command, () => this.queues.delete(command.q));
      case 'remove':
        return applyRemove(this, queue, command);
      case 'reprocess':
        return applyReprocess(queue, command);
      case 'retryFinished':
        return applyRetryFinished(queue, command);
      case 'updateData':
        return applyUpdateData(queue, command);
      case 'progress':
        return applyProgress(queue, command);
      case 'addLog':
        return applyAddLog(queue, command);
      case 'clearLogs':
        return applyClearLogs(queue, command);
      case 'changeDelay':
        return applyChangeDelay(queue, command);
      case 'changePriority':
        return applyChangePriority(queue, command);
      case 'setMeta':
        return applySetMeta(queue, command);
      case 'removeMeta':
        return applyRemoveMeta(queue, command);
      case 'publish':
        return applyPublish(queue, command);
      case 'trimEvents':
        return applyTrimEvents(queue, command);
      case 'rateLimit':
        return applyRateLimit(queue, command);
      case 'waitChildren':
        return applyWaitChildren(queue, command);
      case 'removeChildren':
        return applyRemoveChildren(this, queue, command);
      case 'removeDependency':
        return applyRemoveDependency(this, queue, command);
      case 'addScheduler':
        return applyAddScheduler(this, queue, command);
      case 'updateScheduler':
        return applyUpdateScheduler(queue, command);
      case 'removeScheduler':
        return applyRemoveScheduler(this, queue, command);
      case 'dropDedupKey':
        return applyDropDedupKey(queue, command);
    }
  }
}
