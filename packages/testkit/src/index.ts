/**
 * @seglog/testkit: dev-only test support. A seeded PRNG, SimFileIO (a simulated disk that loses
 * power, tears writes and fails on demand; its fault model heads sim-file-io.ts), boot views that
 * fence a crashed program off the rebooted disk (SimBootIO) and fileIoSuite,
 * the conformance tests every FileIO implementation must pass. Never a runtime dependency.
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
