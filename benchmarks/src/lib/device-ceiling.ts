/**
 * One job: measure what the disk behind a directory can do, the yardstick for every other number.
 *
 * - syncedWrites: one aligned 4 KiB pwrite + fdatasync at a time (queue depth 1), into a file
 *   zero-filled and synced beforehand, so no write extends the file and no fdatasync has to commit
 *   metadata. This is the best a durable append can do without group commit: its rate is the
 *   ceiling of "one flush per append", its latency the floor of any durable append's latency.
 * - appendingWrites: the same, but each write extends the file (what a log without preallocation
 *   pays: fdatasync must also journal the new size).
 * - sequential: large buffered writes (1 MiB) then one fsync, bytes / total time: the most a
 *   log can move when batches are large.
 * - asyncDsyncWrites: a bare Node loop of asynchronous 4 KiB pwrites on an O_DSYNC descriptor
 *   (fs.write, one at a time, through the libuv thread pool) into a preallocated file: the practical
 *   ceiling of one appender for a library that never blocks the event loop. seglog with one
 *   appender is measured against it (issue 11: >= 90%).
 * - asyncDsyncWritesDepth2: the same with two writes in the kernel at once (two such loops on one
 *   descriptor, each on its own blocks). Whether it beats the first by much says whether this disk
 *   overlaps flushes, which is what `maxBatchesInFlight` above 1 needs to pay back its smaller
 *   batches (docs/benchmarks.md, "Batches in flight").
 *
 * The first three are synchronous fs calls in a process of their own: no event loop, no thread
 * pool, nothing between the measurement and the kernel but the syscall.
 */
import { closeSync, constants, fdatasyncSync, fsyncSync, openSync, unlinkSync, write, writeSync } from 'node:fs';
import { join } from 'node:path';
import { LatencyRecorder, elapsedMicros, type LatencySummary } from './latency.js';

export interface SyncedWriteFigures {
  readonly blockBytes: number;
  readonly seconds: number;
  readonly writes: number;
  readonly writesPerSecond: number;
  readonly latencyMicros: LatencySummary;
  /** user + system CPU per write + fdatasync, µs: the CPU floor of one flush on this machine. */
  readonly cpuMicrosPerWrite: number;
  readonly systemMicrosPerWrite: number;
}

export interface SequentialFigures {
  readonly chunkBytes: number;
  readonly totalBytes: number;
  readonly seconds: number;
  readonly megabytesPerSecond: number;
}

export interface DeviceCeiling {
  readonly syncedWrites: SyncedWriteFigures;
  readonly appendingWrites: SyncedWriteFigures;
  readonly sequential: SequentialFigures;
  /** Absent from results written before it was measured. */
  readonly asyncDsyncWrites?: SyncedWriteFigures;
  /** Two asynchronous O_DSYNC writes in flight at once; absent from results written before it was measured. */
  readonly asyncDsyncWritesDepth2?: SyncedWriteFigures;
}

const blockBytes = 4096;
const preallocatedBytes = 64 * 1024 * 1024;
const chunkBytes = 1024 * 1024;

export interface CeilingOptions {
  readonly dir: string;
  readonly syncedSeconds: number;
  readonly sequentialBytes: number;
}

export async function measureDeviceCeiling(options: CeilingOptions): Promise<DeviceCeiling> {
  return {
    syncedWrites: measureSyncedWrites(options.dir, options.syncedSeconds),
    appendingWrites: syncedWrites(join(options.dir, 'appending.bin'), Math.min(1, options.syncedSeconds), false),
    sequential: sequentialWrite(join(options.dir, 'sequential.bin'), options.sequentialBytes),
    asyncDsyncWrites: await measureAsyncDsyncWrites(options.dir, options.syncedSeconds),
    asyncDsyncWritesDepth2: await measureAsyncDsyncWrites(options.dir, options.syncedSeconds, 2),
  };
}

/**
 * Preallocated 4 KiB pwrite on an O_DSYNC descriptor, asynchronous (fs.write with a callback: the
 * barest path through the thread pool), `depth` at a time (1 unless given) for `seconds`.
 */
export async function measureAsyncDsyncWrites(dir: string, seconds: number, depth = 1): Promise<SyncedWriteFigures> {
  const path = join(dir, 'async-dsync.bin');
  const fill = openSync(path, 'w+');
  try {
    zeroFill(fill, preallocatedBytes);
  } finally {
    closeSync(fill);
  }
  const fd = openSync(path, constants.O_WRONLY | constants.O_DSYNC);
  try {
    return await asyncDsyncLoops(fd, seconds, depth);
  } finally {
    closeSync(fd);
    unlinkSync(path);
  }
}

/**
 * `depth` chains of writes, each issuing its next write when its last returns; chain `c` writes the
 * blocks `c`, `c + depth`, ... so no two writes in flight touch the same block. Latency is per write.
 */
function asyncDsyncLoops(fd: number, seconds: number, depth: number): Promise<SyncedWriteFigures> {
  const block = new Uint8Array(blockBytes).fill(0x5a);
  const latency = new LatencyRecorder();
  const slots = preallocatedBytes / blockBytes;
  const cpuStart = process.cpuUsage();
  const startNanos = process.hrtime.bigint();
  const endNanos = startNanos + BigInt(Math.round(seconds * 1e9));
  let writes = 0;
  let chainsRunning = depth;
  let failed = false;
  return new Promise((resolve, reject) => {
    const finish = (): void =>
      resolve(syncedWriteFigures(writes, startNanos, process.hrtime.bigint(), cpuStart, latency));
    const next = (chain: number, issued: number, before: bigint): void => {
      const slot = (chain + issued * depth) % slots;
      write(fd, block, 0, blockBytes, slot * blockBytes, (error) => {
        if (failed) return;
        if (error !== null) {
          failed = true;
          return reject(error);
        }
        const now = process.hrtime.bigint();
        latency.record(elapsedMicros(before, now));
        writes += 1;
        if (now < endNanos) return next(chain, issued + 1, now);
        chainsRunning -= 1;
        if (chainsRunning === 0) finish();
      });
    };
    for (let chain = 0; chain < depth; chain++) next(chain, 0, startNanos);
  });
}

/** Preallocated 4 KiB write + fdatasync at queue depth 1 for `seconds`, in a file under `dir`. */
export function measureSyncedWrites(dir: string, seconds: number): SyncedWriteFigures {
  return syncedWrites(join(dir, 'synced.bin'), seconds, true);
}

function syncedWrites(path: string, seconds: number, preallocate: boolean): SyncedWriteFigures {
  const fd = openSync(path, 'w+');
  try {
    if (preallocate) zeroFill(fd, preallocatedBytes);
    const block = new Uint8Array(blockBytes).fill(0x5a);
    const latency = new LatencyRecorder();
    const slots = preallocatedBytes / blockBytes;
    const cpuStart = process.cpuUsage();
    const startNanos = process.hrtime.bigint();
    const endNanos = startNanos + BigInt(Math.round(seconds * 1e9));
    let writes = 0;
    let now = startNanos;
    while (now < endNanos) {
      const before = now;
      const position = preallocate ? (writes % slots) * blockBytes : writes * blockBytes;
      writeSync(fd, block, 0, blockBytes, position);
      fdatasyncSync(fd);
      now = process.hrtime.bigint();
      latency.record(elapsedMicros(before, now));
      writes += 1;
    }
    return syncedWriteFigures(writes, startNanos, now, cpuStart, latency);
  } finally {
    closeSync(fd);
    unlinkSync(path);
  }
}

/** The figures of `writes` synced writes made between two hrtime readings, CPU counted since `cpuStart`. */
function syncedWriteFigures(
  writes: number,
  startNanos: bigint,
  endNanos: bigint,
  cpuStart: NodeJS.CpuUsage,
  latency: LatencyRecorder,
): SyncedWriteFigures {
  const cpu = process.cpuUsage(cpuStart);
  const measured = Number(endNanos - startNanos) / 1e9;
  return {
    blockBytes,
    seconds: measured,
    writes,
    writesPerSecond: writes / measured,
    latencyMicros: latency.summary(),
    cpuMicrosPerWrite: (cpu.user + cpu.system) / writes,
    systemMicrosPerWrite: cpu.system / writes,
  };
}

function zeroFill(fd: number, bytes: number): void {
  const zeros = new Uint8Array(chunkBytes);
  for (let position = 0; position < bytes; position += chunkBytes) writeSync(fd, zeros, 0, chunkBytes, position);
  fsyncSync(fd);
}

function sequentialWrite(path: string, totalBytes: number): SequentialFigures {
  const fd = openSync(path, 'w');
  try {
    const chunk = new Uint8Array(chunkBytes).fill(0xa5);
    const startNanos = process.hrtime.bigint();
    for (let written = 0; written < totalBytes; written += chunkBytes) writeSync(fd, chunk, 0, chunkBytes);
    fsyncSync(fd);
    const seconds = Number(process.hrtime.bigint() - startNanos) / 1e9;
    return { chunkBytes, totalBytes, seconds, megabytesPerSecond: totalBytes / 1e6 / seconds };
  } finally {
    closeSync(fd);
    unlinkSync(path);
  }
}
