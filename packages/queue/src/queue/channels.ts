/**
 * One job: the queue's node:diagnostics_channel publishing. Two named channels:
 *
 * - `seglog:queue:stats`: every `statsIntervalMs` (default 1000), one `QueueStatsEvent` with
 *   `queue.stats()` of every group. The timer is unref'd and runs only while the channel has a
 *   subscriber, so a queue nobody watches pays nothing.
 * - `seglog:queue:event`: one `QueueEvent` per applied change a consumer cares about: a delivery,
 *   a nak, a settle (ack, term, dead-letter, redrive), a lease that lapsed here. Published only
 *   when the channel has a subscriber (`hasSubscribers` is one property read), and never during
 *   replay at open: the events are what happened in this process since it opened.
 *
 * A subscriber that throws would become an uncaught exception (diagnostics_channel rethrows on
 * the next tick), so subscribers should not throw; the queue's own state is never affected.
 */
import { channel } from 'node:diagnostics_channel';
import type { QueueGroupStats } from '@seglog/types';

export const QUEUE_STATS_CHANNEL = 'seglog:queue:stats';
export const QUEUE_EVENT_CHANNEL = 'seglog:queue:event';

/** What `queue.stats(group)` returns, per group. */
export type QueueStatsEventGroup = QueueGroupStats;

export interface QueueStatsEvent {
  /** The queue's directory (tells queues of one process apart). */
  readonly dir: string;
  /** Wall-clock ms (the queue's clock) when the stats were taken. */
  readonly atMs: number;
  readonly groups: Readonly<Record<string, QueueStatsEventGroup>>;
}

export type QueueEventKind = 'deliver' | 'nak' | 'settle' | 'lapse' | 'dead-letter' | 'expire';

export interface QueueEvent {
  readonly dir: string;
  readonly group: string;
  /**
   * `deliver`: a delivery record was applied (attempt = the delivery count). `nak`: redelivery
   * after `notBeforeMs`. `settle`: the group is done with the message (ack, term, dead-letter,
   * redrive). `lapse`: the lease ran out here before a settle. `dead-letter`: the message arrived
   * in this dead-letter group (`origin` names where from). `expire`: a delivery found the message's
   * record dropped by a forced truncation, and retired it (counted in stats' `expired`).
   */
  readonly kind: QueueEventKind;
  readonly offset: number;
  readonly attempt?: number;
  readonly notBeforeMs?: number;
  readonly origin?: string;
}

const statsChannel = channel(QUEUE_STATS_CHANNEL);
const eventChannel = channel(QUEUE_EVENT_CHANNEL);

/** Publishes `event` on `seglog:queue:event` if anyone listens. */
export function publishQueueEvent(event: () => QueueEvent): void {
  if (eventChannel.hasSubscribers) eventChannel.publish(event());
}

/**
 * The periodic stats publisher of one queue. `collect` is called only when someone subscribes;
 * `stop` clears the timer (at close).
 */
export class StatsPublisher {
  readonly #collect: () => QueueStatsEvent;
  readonly #timer: NodeJS.Timeout;

  constructor(intervalMs: number, collect: () => QueueStatsEvent) {
    this.#collect = collect;
    this.#timer = setInterval(() => this.publishNow(), intervalMs);
    this.#timer.unref();
  }

  /** Publishes one stats event now if anyone listens (also what the timer does). */
  publishNow(): void {
    if (statsChannel.hasSubscribers) statsChannel.publish(this.#collect());
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
