/**
 * One job: the store as a system for testkit's crash runner (runCrashCase). A case draws a log
 * shape that stays fixed (a log keeps its block size): small segments, 512-byte blocks, 2-8 KiB
 * batches, an in-flight cap. Each open draws what may change between opens: the clock's pace, the
 * commit window, preallocation, the sync method (so one log's segments see both) and how many
 * batches may be in flight. The log id
 * is derived from the case seed, so a replay writes the same bytes. What survived is read back
 * with testkit's readLog, through @seglog/format alone.
 */
import type { CrashCase, CrashSystem, CrashTarget } from '@seglog/testkit';
import { BATCH_HEADER_BYTES, CHUNK_ENTRY_BYTES, RECORD_FRAME_BYTES } from '@seglog/format';
import { Prng, readLog, steppingClock } from '@seglog/testkit';
import type { CommitWindow, FileIO, LogOptions } from '@seglog/types';
import { openLog } from '../../src/index.js';

export const CRASH_LOG_DIR = '/data/log';

const KIB = 1024;
/** Mixed into the case seed for the log id, so the id's stream differs from the case's own. */
const LOG_ID_SALT = 0x10c1d;
/** Batch header (48 bytes), one record frame (4) and one chunk entry (12): what a record of a full batch leaves. */
const BATCH_OVERHEAD_BYTES = BATCH_HEADER_BYTES + RECORD_FRAME_BYTES + CHUNK_ENTRY_BYTES;

/** The sizes of one case's log. */
export interface LogShape {
  readonly segmentBytes: number;
  readonly blockBytes: number;
  readonly maxBatchBytes: number;
  readonly maxInFlightBytes: number;
  readonly indexIntervalBytes: number;
}

export function drawShape(prng: Prng): LogShape {
  const blockBytes = 512;
  const segmentBytes = prng.pick([8, 16, 32, 64]) * KIB;
  const maxBatchBytes = Math.min(prng.int(4, 17) * blockBytes, segmentBytes - blockBytes);
  const maxInFlightBytes = prng.pick([1, 2, 4, 16]) * maxBatchBytes;
  const indexIntervalBytes = Math.min(prng.pick([blockBytes, 2 * KIB, 16 * KIB]), segmentBytes);
  return { segmentBytes, blockBytes, maxBatchBytes, maxInFlightBytes, indexIntervalBytes };
}

/**
 * The commit window: none, fixed, or adaptive. Always under 1 ms, which the store waits out with
 * setImmediate re-checks on the stepping clock (longer waits use real timers and would not replay).
 */
function drawCommitWindow(prng: Prng): CommitWindow {
  const roll = prng.float();
  if (roll < 0.4) return { fixedMicros: 0 };
  if (roll < 0.7) return { fixedMicros: prng.int(1, 900) };
  return { adaptive: { maxMicros: prng.int(1, 900) } };
}

function drawOpenOptions(prng: Prng, shape: LogShape, io: FileIO, logId: Uint8Array): LogOptions {
  return {
    dir: CRASH_LOG_DIR,
    io,
    logId,
    clock: steppingClock(prng.int(1, 20)),
    ...shape,
    commitWindow: drawCommitWindow(prng),
    preallocate: prng.pick([true, false, 'auto'] as const),
    syncMethod: prng.pick(['fdatasync', 'open_datasync'] as const),
    maxBatchesInFlight: prng.pick([1, 2, 3, 4]),
  };
}

async function openTarget(options: LogOptions): Promise<CrashTarget> {
  const log = await openLog(options);
  return {
    get nextOffset() {
      return log.nextOffset;
    },
    append: (payload) => log.append(payload),
    appendMany: (payloads) => log.appendMany(payloads),
    close: () => log.close(),
    recoveredTornTail: log.recovery.tornTailAt !== null,
    filesCreated: () => log.metrics().segmentsCreated,
  };
}

export const storeCrashSystem: CrashSystem = storeCrashSystemWith({});

/** What a variant of the store system changes: each open's options, and the FileIO it gets. */
export interface CrashSystemVariant {
  readonly adjustOptions?: (options: LogOptions) => LogOptions;
  readonly wrapIo?: (io: FileIO) => FileIO;
}

/** The store system with its opens adjusted; the PRNG draws stay those of `storeCrashSystem`. */
export function storeCrashSystemWith(variant: CrashSystemVariant): CrashSystem {
  const { adjustOptions = (options: LogOptions) => options, wrapIo = (io: FileIO) => io } = variant;
  return {
    drawCase(prng: Prng, seed: number): CrashCase {
      const shape = drawShape(prng);
      const logId = new Prng(seed ^ LOG_ID_SALT).bytes(16);
      return {
        maxRecordBytes: shape.maxBatchBytes - BATCH_OVERHEAD_BYTES,
        open: (io, openPrng) => openTarget(adjustOptions(drawOpenOptions(openPrng, shape, wrapIo(io), logId))),
        readAll: async (io) => (await readLog(io, CRASH_LOG_DIR)).payloads,
      };
    },
  };
}
