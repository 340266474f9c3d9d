/**
 * One job: turn user options into a complete, validated configuration. Every bad value is a
 * SEGLOG_INVALID_OPTION naming the option and the allowed range, reported once, at open.
 */
import { resolve } from 'node:path';
import { limits, SeglogError } from '@seglog/types';
import type { Clock, FileIO, LogOptions, SyncMethod } from '@seglog/types';
import { BATCH_HEADER_BYTES, RECORD_FRAME_BYTES, isPowerOfTwo } from '@seglog/format';
import { nodeFileIO, systemClock } from '@seglog/io';
import type { WindowMode } from './window-policy.js';

export interface ResolvedOptions {
  readonly dir: string;
  readonly io: FileIO;
  readonly clock: Clock;
  readonly segmentBytes: number;
  readonly blockBytes: number;
  /** True when the user chose blockBytes; an existing log's block size then must match. */
  readonly blockBytesExplicit: boolean;
  readonly maxRecordBytes: number;
  readonly maxBatchBytes: number;
  readonly maxInFlightBytes: number;
  readonly commitWindow: WindowMode;
  readonly maxBatchRecords: number;
  readonly recentIntervalMicros: number;
  readonly preallocate: PreallocatePolicy;
  readonly syncMethod: SyncMethod;
  readonly indexIntervalBytes: number;
}

const KNOWN = new Set([
  'dir', 'io', 'clock', 'segmentBytes', 'blockBytes', 'maxRecordBytes', 'maxBatchBytes',
  'maxInFlightBytes', 'commitWindow', 'preallocate', 'indexIntervalBytes', 'maxBatchRecords',
  'recentIntervalMillis', 'syncMethod',
]);

/** Default ceiling of the adaptive window: far above any useful value, far below a stall. */
export const ADAPTIVE_MAX_MICROS_DEFAULT = 2000;

function integer(name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw SeglogError.invalidOption(name, `must be an integer, got ${String(value)}`);
  }
  if (value < min || value > max) {
    throw SeglogError.invalidOption(name, `must be in [${min}, ${max}], got ${value}`);
  }
  return value;
}

function windowMicros(name: string, micros: unknown): number {
  if (typeof micros !== 'number' || !Number.isFinite(micros) || micros < 0 || micros > limits.commitWindowMicrosMax) {
    throw SeglogError.invalidOption(name, `must be a number in [0, ${limits.commitWindowMicrosMax}], got ${String(micros)}`);
  }
  return micros;
}

function commitWindow(value: unknown): WindowMode {
  if (value === undefined || value === 'adaptive') return { kind: 'adaptive', maxMicros: ADAPTIVE_MAX_MICROS_DEFAULT };
  if (typeof value === 'object' && value !== null && 'fixedMicros' in value) {
    return { kind: 'fixed', micros: windowMicros('commitWindow.fixedMicros', (value as { fixedMicros: unknown }).fixedMicros) };
  }
  if (typeof value === 'object' && value !== null && 'adaptive' in value) {
    const adaptive = (value as { adaptive: unknown }).adaptive;
    const maxMicros = typeof adaptive === 'object' && adaptive !== null ? (adaptive as { maxMicros?: unknown }).maxMicros : undefined;
    return { kind: 'adaptive', maxMicros: maxMicros === undefined ? ADAPTIVE_MAX_MICROS_DEFAULT : windowMicros('commitWindow.adaptive.maxMicros', maxMicros) };
  }
  throw SeglogError.invalidOption('commitWindow', `must be 'adaptive', { fixedMicros: number } or { adaptive: { maxMicros?: number } }`);
}

export function resolveOptions(options: LogOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw SeglogError.invalidOption('options', 'must be an object');
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) throw SeglogError.invalidOption(key, 'is not a seglog option');
  }
  if (typeof options.dir !== 'string' || options.dir.length === 0) {
    throw SeglogError.invalidOption('dir', 'must be a non-empty string');
  }
  const blockBytes = integer('blockBytes', options.blockBytes, limits.blockBytesDefault, limits.blockBytesMin, limits.blockBytesMax);
  if (!isPowerOfTwo(blockBytes)) throw SeglogError.invalidOption('blockBytes', `must be a power of two, got ${blockBytes}`);
  const segmentBytes = integer('segmentBytes', options.segmentBytes, limits.segmentBytesDefault, 4 * blockBytes, limits.segmentBytesMax);
  if (segmentBytes % blockBytes !== 0) {
    throw SeglogError.invalidOption('segmentBytes', `must be a multiple of blockBytes (${blockBytes}), got ${segmentBytes}`);
  }
  // A batch must fit in a segment after its header block.
  const batchMax = segmentBytes - blockBytes;
  const maxBatchBytes = integer('maxBatchBytes', options.maxBatchBytes, Math.min(limits.batchBytesMaxDefault, batchMax), blockBytes, batchMax);
  if (maxBatchBytes % blockBytes !== 0) {
    throw SeglogError.invalidOption('maxBatchBytes', `must be a multiple of blockBytes (${blockBytes}), got ${maxBatchBytes}`);
  }
  const recordMax = maxBatchBytes - BATCH_HEADER_BYTES - RECORD_FRAME_BYTES;
  const maxRecordBytes = integer('maxRecordBytes', options.maxRecordBytes, Math.min(limits.recordBytesMaxDefault, recordMax), 0, recordMax);
  const maxInFlightBytes = integer('maxInFlightBytes', options.maxInFlightBytes, Math.max(limits.inFlightBytesMaxDefault, 2 * maxBatchBytes), maxBatchBytes, 2 ** 40);
  const indexIntervalBytes = integer('indexIntervalBytes', options.indexIntervalBytes, 16 * 1024, blockBytes, segmentBytes);
  if (options.preallocate !== undefined && typeof options.preallocate !== 'boolean' && options.preallocate !== 'auto') {
    throw SeglogError.invalidOption('preallocate', `must be true, false or 'auto', got ${String(options.preallocate)}`);
  }
  return {
    // Absolute, so errors, events and the lock all name the directory the same way.
    dir: resolve(options.dir),
    io: options.io ?? nodeFileIO,
    clock: options.clock ?? systemClock,
    segmentBytes,
    blockBytes,
    blockBytesExplicit: options.blockBytes !== undefined,
    maxRecordBytes,
    maxBatchBytes,
    maxInFlightBytes,
    commitWindow: commitWindow(options.commitWindow),
    maxBatchRecords: integer('maxBatchRecords', options.maxBatchRecords, 65536, 1, 2 ** 32 - 1),
    recentIntervalMicros: 1000 * integer('recentIntervalMillis', options.recentIntervalMillis, 10_000, 100, 3_600_000),
    preallocate: preallocatePolicy(options.preallocate),
    syncMethod: syncMethod(options.syncMethod),
    indexIntervalBytes,
  };
}

/** How the segment writer decides whether to zero-fill a new segment. */
export type PreallocatePolicy = 'always' | 'never' | 'auto';

function preallocatePolicy(option: boolean | 'auto' | undefined): PreallocatePolicy {
  if (option === true) return 'always';
  if (option === false) return 'never';
  return 'auto';
}

/** How batches are made durable when `syncMethod` is not given. */
export const SYNC_METHOD_DEFAULT: SyncMethod = 'open_datasync';

function syncMethod(option: unknown): SyncMethod {
  if (option === undefined) return SYNC_METHOD_DEFAULT;
  if (option === 'fdatasync' || option === 'open_datasync') return option;
  throw SeglogError.invalidOption('syncMethod', `must be 'fdatasync' or 'open_datasync', got ${String(option)}`);
}
