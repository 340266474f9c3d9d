/**
 * One job: the shape of what a @seglog/jetstream shipper reports (`shipper.metrics()`), declared
 * once here because two packages of the same layer read it: @seglog/jetstream produces it and
 * @seglog/prometheus exports it, and neither may import the other. Meanings: docs/jetstream.md,
 * "Lag and metrics".
 */

export type ShipperState = 'shipping' | 'resyncing' | 'failed' | 'closed';

export interface ShipperMetrics {
  readonly state: ShipperState;
  readonly stream: string;
  readonly subject: string;
  /** One past the last offset the stream holds (acknowledged). */
  readonly shippedOffset: number;
  /** The log's durable end as the shipper last saw it. */
  readonly endOffset: number;
  readonly lagRecords: number;
  /** Exact for records in flight, estimated (mean payload size) for records not read yet. */
  readonly lagBytes: number;
  /** Milliseconds since the oldest unshipped record was appended; 0 when nothing is behind. */
  readonly oldestUnshippedAgeMs: number;
  readonly inFlight: number;
  readonly inFlightBytes: number;
  /** Records (and payload bytes) acknowledged by the stream since this shipper started. */
  readonly shippedRecords: number;
  readonly shippedBytes: number;
  /** Acknowledgements JetStream marked duplicate: a re-sent record it already held. */
  readonly duplicates: number;
  /** Times the shipper asked the stream where to resume after a failure. */
  readonly resyncs: number;
  /** Failures it recovered from by itself. */
  readonly errors: number;
  /** Records dropped from the log before they were shipped (`onBehind: 'skip'` only). */
  readonly skippedRecords: number;
  /** The retention hold's offset as last written, or null without a hold. */
  readonly heldOffset: number | null;
  readonly lastError: string | null;
}
