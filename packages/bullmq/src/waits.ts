/**
 * One job: the two blocking primitives, as in-process waits on the hub's wake-ups.
 *
 * - `waitForJobAvailable` (BullMQ's BZPOPMIN on the marker): returns `{ member: '0', score: 0 }`
 *   as soon as the queue holds a job a worker could take (and is neither paused nor at its global
 *   concurrency), `null` when the next delayed job falls due (the worker's moveToActive then
 *   promotes it), on timeout, or when cancelled (close, disconnectBlocking).
 * - `waitForEvents` (XREAD BLOCK): the entries after `cursor` at once if there are any, else the
 *   first ones appended before the timeout (0 = no timeout, as Redis), else undefined.
 *
 * The condition is checked after the waiter is registered, so a record applied between the check
 * and the wait cannot be missed.
 */
import type { Hub } from './hub.js';
import type { StreamEntry } from './state/event-stream.js';
import type { QueueState } from './state/queue-state.js';

type Marker = { member: string; score: number };

export function waitForJobAvailable(
  hub: Hub,
  queueName: string,
  timeoutMs: number,
  cancels: Set<() => void>,
): Promise<Marker | null> {
  if (jobAvailable(hub.state.queue(queueName))) return Promise.resolve({ member: '0', score: 0 });
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const finish = (value: Marker | null): void => {
      clearTimeout(timer);
      stop();
      cancels.delete(cancel);
      resolve(value);
    };
    const cancel = (): void => finish(null);
    const arm = (): void => {
      clearTimeout(timer);
      const queue = hub.state.queue(queueName);
      const due = queue?.nextDelayedMs();
      let wait = timeoutMs;
      // Even on a paused queue: the worker's moveToActive is what promotes due delayed jobs.
      if (due !== undefined) wait = Math.min(wait, Math.max(0, due - Date.now()));
      timer = setTimeout(cancel, Math.max(0, wait));
    };
    const stop = hub.onChange(queueName, () => {
      if (jobAvailable(hub.state.queue(queueName))) finish({ member: '0', score: 0 });
      else arm();
    });
    cancels.add(cancel);
    arm();
  });
}

function jobAvailable(queue: QueueState | undefined): boolean {
  if (queue === undefined || queue.pausedOrMaxed) return false;
  return queue.wait.length > 0 || queue.prioritized.size > 0;
}

export function waitForEvents(
  hub: Hub,
  queueName: string,
  { cursor, limit, blockMs }: { cursor: string; limit: number; blockMs: number },
  cancels: Set<() => void>,
): Promise<StreamEntry[] | undefined> {
  const ready = (): StreamEntry[] => hub.state.queue(queueName)?.events.after(cursor, limit) ?? [];
  const now = ready();
  if (now.length > 0) return Promise.resolve(now);
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const finish = (value: StreamEntry[] | undefined): void => {
      clearTimeout(timer);
      stop();
      cancels.delete(cancel);
      resolve(value);
    };
    const cancel = (): void => finish(undefined);
    const stop = hub.onChange(queueName, () => {
      const entries = ready();
      if (entries.length > 0) finish(entries);
    });
    cancels.add(cancel);
    if (blockMs > 0) timer = setTimeout(cancel, blockMs);
  });
}
