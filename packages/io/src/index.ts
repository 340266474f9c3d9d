/**
 * @seglog/io: the real I/O engine. This is the only seglog package that touches node:fs for data
 * files (segments, indexes, the directory lock); the store and reader reach the disk only through
 * the FileIO interface of @seglog/types, which @seglog/testkit also implements as a simulated disk.
 */
import { NodeFileIO } from './node-file-io.js';

export { NodeFileHandle, NodeFileIO } from './node-file-io.js';
export { acquireDirLock, judgeLockHolder, lockFileName, parseLockContent } from './lock.js';
export type { LockIdentity } from './lock.js';
export { systemClock } from './system-clock.js';
export { freeDiskBytes } from './free-disk.js';

/** The shared engine: it holds no state of its own, so one instance serves every log. */
export const nodeFileIO: NodeFileIO = new NodeFileIO();
