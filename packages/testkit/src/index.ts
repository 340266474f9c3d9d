/**
 * @seglog/testkit: dev-only test support. A seeded PRNG, SimFileIO (a simulated disk that loses
 * power, tears writes and fails on demand; its fault model heads sim-file-io.ts), boot views that
 * fence a crashed program off the rebooted disk (SimBootIO), fileIoSuite (the conformance tests
 * every FileIO implementation must pass), readLog (a log read back through @seglog/format alone),
 * the corruption fuzzer's damage catalogue (damageLog), the crash runner (runCrashCase: seeded
 * power cuts and faults against an injected system, see crash-target.ts) and a log whose open
 * trusts part of its tail (writeTrustedTailLog), and pass-through FileIO wrappers for tests that watch
 * a few calls (wrapFileIO). Never a runtime dependency; never imports the
 * store or the reader.
 */
export { Prng, seedFromEnv } from './prng.js';
export { SimFileIO } from './sim-file-io.js';
export type { CrashOptions, CrashReport, SimFileIOOptions } from './sim-file-io.js';
export { SimFileHandle } from './sim-file-handle.js';
export { SimBootIO } from './sim-boot.js';
export { SimFaults } from './sim-faults.js';
export type { FailNextOptions, FaultCode, FaultOp, SimFaultSettings } from './sim-faults.js';
export { sectorBytes } from './sim-durability.js';
export type { FileCrashReport, FileSettlement, UnsyncedFate } from './sim-durability.js';
export type { SimCounters } from './sim-state.js';
export { errorCode, systemError } from './sim-errors.js';
export type { SimErrorCode, SimSystemError } from './sim-errors.js';
export { fileIoSuite } from './fs-conformance.js';
export type { ExecutionContextLike, FileIoFixture, TestRegistrar } from './fs-conformance.js';
export { readLog } from './read-log.js';
export type { ReadLogOptions, ReadLogResult } from './read-log.js';
export { runCrashCase, addCaseStats, emptyCaseStats, DEFAULT_FAULT_OPS } from './crash-runner.js';
export type { CaseStats, CrashCaseOptions, CrashCaseResult } from './crash-runner.js';
export type { CrashCase, CrashSystem, CrashTarget } from './crash-target.js';
export { CrashCheckFailure } from './crash-model.js';
export { CrashTimer, nextTurn, steppingClock, waitTurns } from './crash-turns.js';
export { propertyRuns, replayHint, withReplay } from './replay.js';
export type { PropertyRuns } from './replay.js';
export { layoutLog, layoutSegment, segmentNames } from './log-layout.js';
export type { BatchLayout, SegmentLayout } from './log-layout.js';
export { copyFiles, damageLog, withFormatVersion } from './log-damage.js';
export type { LogFiles, LogImage } from './log-damage.js';
export { expectCode } from './expect-code.js';
export {
  appendTrustedTailRecords, TRUSTED_TAIL_DIR, TRUSTED_TAIL_SHAPE, trustedTailPayload, writeTrustedTailLog,
} from './trusted-tail-log.js';
export type { TrustedTailWriter } from './trusted-tail-log.js';
export type { ExpectedErrorFields } from './expect-code.js';
export { V1_LOG_FIXTURE, v1FixturePayload } from './v1-log-fixture.js';
export { wrapFileHandle, wrapFileIO } from './wrap-file-io.js';
export type { FileHandleOverrides, FileIOWrapping } from './wrap-file-io.js';
export { NatsCluster } from './nats-cluster.js';
export type { NatsClusterOptions, NatsNode } from './nats-cluster.js';
