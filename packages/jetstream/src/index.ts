/**
 * @seglog/jetstream: ships a seglog log to a NATS JetStream stream, exactly once, and restores a
 * log from it. Subject layout, headers, the exactly-once argument and the failure cases are in
 * docs/jetstream.md.
 */
export { ship, Shipper } from './shipper.js';
export type { ShipperMetrics, ShipperState } from './shipper-metrics.js';
export type { ShipOptions, StreamOptions } from './options.js';
export {
  HEADER_APPEND_TIME,
  HEADER_EXPECTED_SEQ,
  HEADER_EXPECTED_SUBJECT_SEQ,
  HEADER_LOG_ID,
  HEADER_MSG_ID,
  HEADER_OFFSET,
  messageIdOf,
  parseShippedHeaders,
  type ShippedRecordMeta,
} from './message-headers.js';
export { restore, restoreFromJetStream, type RestoreResult } from './restore.js';
export type { RestoreOptions } from './options.js';
export { shipStatus, type ShipStatus, type ShipStatusOptions } from './ship-status.js';
export { holdLag, SHIPPER_HOLD_PREFIX, type HoldLag, type HoldLagOptions } from './hold-lag.js';
