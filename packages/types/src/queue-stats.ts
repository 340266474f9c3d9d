/**
 * One job: the counters of one group of a `@seglog/queue` queue, as `queue.stats(group)` returns
 * them, the `seglog:queue:stats` diagnostics channel carries them and `@seglog/prometheus` exports
 * them. Declared here, once, so the three cannot drift apart.
 */
export interface QueueGroupStats {
  /** Messages of the group waiting for a delivery (delayed and key-blocked ones included). */
  readonly backlog: number;
  /** Messages leased (delivered, not settled). */
  readonly inFlight: number;
  /** Deliveries after the first, ever. */
  readonly redelivered: number;
  /** Age of the oldest unsettled message, ms (0 when none). */
  readonly oldestUnackedAgeMs: number;
  /** Messages waiting in this group's dead-letter group. */
  readonly deadLetters: number;
  /** Messages this group moved to its dead-letter group, ever. */
  readonly deadLettered: number;
  /** Messages this group acked, ever. */
  readonly acked: number;
  /**
   * Messages of this group that could not be delivered because a forced truncation (past the
   * queue's retention hold) dropped their record before the group settled them, ever. Counted when
   * a delivery finds the record gone; the message is then retired (docs/queue.md).
   */
  readonly expired: number;
  /** Whether deliveries of the group are paused (durable). */
  readonly paused: boolean;
}
