/**
 * One job: how a shipper's lag is worked out from its counters (the shape it reports,
 * `ShipperMetrics`, is declared in @seglog/types because @seglog/prometheus reads it too).
 *
 * Lag has three measures (docs/jetstream.md, "Lag"):
 * - records: the log's durable end minus the shipped position, exact;
 * - bytes: payload bytes of the records in flight, exact, plus the records not read yet times the
 *   mean payload size of the records shipped so far (the reader does not know the size of a
 *   record before it reads it, so this part is an estimate);
 * - age of the oldest unshipped record: from its append time (format v2 batches carry it) or,
 *   for records in v1 segments, from when the shipper read it.
 */

export type { ShipperMetrics, ShipperState } from '@seglog/types';

export interface LagInputs {
  readonly shippedOffset: number;
  readonly endOffset: number;
  /** One past the last record read from the log. */
  readonly readOffset: number;
  readonly inFlightBytes: number;
  readonly shippedRecords: number;
  readonly shippedBytes: number;
  /** Lag's clock of the oldest record in flight, or undefined. */
  readonly oldestInFlightSinceMs: number | undefined;
  /** When the shipper first saw the end past what it had read, or undefined. */
  readonly behindSinceMs: number | undefined;
  readonly nowMs: number;
}

export function lagOf(inputs: LagInputs): { lagRecords: number; lagBytes: number; oldestUnshippedAgeMs: number } {
  const lagRecords = Math.max(0, inputs.endOffset - inputs.shippedOffset);
  const unread = Math.max(0, inputs.endOffset - Math.max(inputs.readOffset, inputs.shippedOffset));
  const meanBytes = inputs.shippedRecords === 0 ? 0 : inputs.shippedBytes / inputs.shippedRecords;
  const lagBytes = inputs.inFlightBytes + Math.round(unread * meanBytes);
  const since = inputs.oldestInFlightSinceMs ?? (lagRecords > 0 ? inputs.behindSinceMs : undefined);
  const oldestUnshippedAgeMs = since === undefined ? 0 : Math.max(0, inputs.nowMs - since);
  return { lagRecords, lagBytes, oldestUnshippedAgeMs };
}
