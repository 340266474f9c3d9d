/**
 * @seglog/store: the seglog writer. Group commit over aligned batches, segment files with
 * crash-safe creation, recovery that tells a torn tail from corruption. See docs/architecture.md
 * for how an append flows to its acknowledgement, and docs/format.md for the bytes on disk.
 */
export { Log, openLog, type TruncateBeforeResult } from './log.js';
export type { RecoveryReport } from './recovery.js';
export type { LostRecords } from './head-check.js';
export { BATCH_CHANNEL, ERROR_CHANNEL } from '@seglog/types';
export type { TruncateBeforeOptions } from './log.js';
export {
  listRetentionHolds,
  releaseRetentionHold,
  setRetentionHold,
  type HoldTarget,
  type ReleaseHoldOptions,
  type RetentionHold,
  type SetHoldOptions,
} from './retention-holds.js';
export { planRetention, type SegmentFacts } from './retention.js';
