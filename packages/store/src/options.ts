/**
 * One job: turn user options into a complete, validated configuration. Every bad value is a
 * SEGLOG_INVALID_OPTION naming the option and the allowed range, reported once, at open.
 */
import { resolve } from 'node:path';
import { limits, SeglogError } from '@seglog/types';
import type { Clock, FileIO, LogOptions, SyncMethod } from '@seglog/types';
import { BATCH_HEADER_BYTES, CHUNK_ENTRY_BYTES, LOG_ID_BYTES, RECORD_FRAME_BYTES, isPowerOfTwo } from '@seglog/format';
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
  readonly maxBatchesInFlight: number;
  readonly commitWindow: WindowMode;
  readonly maxBatchRecords: number;
  readonly recentIntervalMicros: number;
  readonly preallocate: PreallocatePolicy;
  readonly syncMethod: SyncMethod;
  readonly indexIntervalBytes: number;
  readonly maxQueuedBytes: number;
  readonly fileMode: number;
  readonly dirMode: number;
  readonly acceptDataLoss: boolean;
  /** The id to create a new log with; null draws a random one. */
  readonly logId: Uint8Array | null;
  /** The offset a new log starts at (its first record's); 0 unless given. */
  readonly firstOffset: number;
  /** Automatic retention, or null when off. */
  readonly retention: ResolvedRetention | null;
}

export interface ResolvedRetention {
  readonly maxBytes: number | null;
  readonly maxAgeMs: number | null;
  readonly intervalMs: number;
}

const KNOWN = new Set([
  'dir', 'io', 'clock', 'segmentBytes', 'blockBytes', 'maxRecordBytes', 'maxBatchBytes',
  'maxInFlightBytes', 'maxBatchesInFlight', 'commitWindow', 'preallocate', 'indexIntervalBytes', 'maxBatchRecords',
  'recentIntervalMillis', 'syncMethod', 'logId', 'maxQueuedBytes', 'fileMode', 'dirMode', 'acceptDataLoss',
  'retention', 'firstOffset',
]);

/** The methods an injected engine must have; checked before any file is opened. */
const FILE_IO_METHODS = ['open', 'mkdirp', 'readdir', 'stat', 'rename', 'unlink', 'syncDir', 'lock'] as const;
const CLOCK_METHODS = ['nowMicros'] as const;

/** What a bad value was, for the message: its type and, for primitives, the value itself. */
function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `string ${JSON.stringify(value)}`;
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'function') return 'a function';
  // Objects, arrays and functions returned above: only a number, boolean, bigint, symbol or
  // undefined is left, and String() prints each of them as itself.
  const primitive = value as number | boolean | bigint | symbol | undefined;
  return `${typeof primitive} ${String(primitive)}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function refuseUnknownKeys(name: string, value: Record<string, unknown>, known: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) throw SeglogError.invalidOption(`${name}.${key}`, `is not a seglog option (allowed in ${name}: ${known.join(', ')})`);
  }
}

/** An injected engine: an object with every method of its interface, or the default. */
function engine<T>(name: string, value: unknown, methods: readonly string[], fallback: T): T {
  if (value === undefined) return fallback;
  if (typeof value !== 'object' || value === null) {
    throw SeglogError.invalidOption(name, `must be an object with methods ${methods.join(', ')}, got ${describeValue(value)}`);
  }
  const missing = methods.filter((method) => typeof (value as Record<string, unknown>)[method] !== 'function');
  if (missing.length > 0) throw SeglogError.invalidOption(name, `must have methods ${methods.join(', ')}; missing ${missing.join(', ')}`);
  return value as T;
}

function boolean(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw SeglogError.invalidOption(name, `must be true or false, got ${describeValue(value)}`);
  return value;
}

/** A permission mode: the owner bits `required` must be in it, or seglog could not use its own files. */
function permissionMode(name: string, value: unknown, fallback: number, required: number): number {
  const mode = integer(name, value, fallback, 0, 0o777);
  if ((mode & required) !== required) {
    throw SeglogError.invalidOption(name, `must include the owner bits 0o${required.toString(8)}, got 0o${mode.toString(8)}`);
  }
  return mode;
}

function integer(name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw SeglogError.invalidOption(name, `must be an integer in [${min}, ${max}], got ${describeValue(value)}`);
  }
  if (value < min || value > max) {
    throw SeglogError.invalidOption(name, `must be in [${min}, ${max}], got ${value}`);
  }
  return value;
}

function windowMicros(name: string, micros: unknown): number {
  if (typeof micros !== 'number' || !Number.isFinite(micros) || micros < 0 || micros > limits.commitWindowMicrosMax) {
    throw SeglogError.invalidOption(name, `must be a number in [0, ${limits.commitWindowMicrosMax}], got ${describeValue(micros)}`);
  }
  return micros;
}

const COMMIT_WINDOW_SHAPES = `'adaptive', { fixedMicros: number } or { adaptive: { maxMicros?: number } }`;

function commitWindow(value: unknown): WindowMode {
  if (value === undefined || value === 'adaptive') return { kind: 'adaptive', maxMicros: limits.adaptiveWindowMicrosMaxDefault };
  if (!isPlainObject(value)) throw SeglogError.invalidOption('commitWindow', `must be ${COMMIT_WINDOW_SHAPES}, got ${describeValue(value)}`);
  if ('fixedMicros' in value) {
    refuseUnknownKeys('commitWindow', value, ['fixedMicros']);
    return { kind: 'fixed', micros: windowMicros('commitWindow.fixedMicros', value.fixedMicros) };
  }
  if ('adaptive' in value) {
    refuseUnknownKeys('commitWindow', value, ['adaptive']);
    const adaptive = value.adaptive;
    if (!isPlainObject(adaptive)) throw SeglogError.invalidOption('commitWindow.adaptive', `must be an object { maxMicros?: number }, got ${describeValue(adaptive)}`);
    refuseUnknownKeys('commitWindow.adaptive', adaptive, ['maxMicros']);
    const maxMicros = adaptive.maxMicros === undefined ? limits.adaptiveWindowMicrosMaxDefault : windowMicros('commitWindow.adaptive.maxMicros', adaptive.maxMicros);
    return { kind: 'adaptive', maxMicros };
  }
  throw SeglogError.invalidOption('commitWindow', `must be ${COMMIT_WINDOW_SHAPES}, got an object with keys ${Object.keys(value).join(', ') || '(none)'}`);
}

export function resolveOptions(options: LogOptions): ResolvedOptions {
  if (!isPlainObject(options)) throw SeglogError.invalidOption('options', `must be an object, got ${describeValue(options)}`);
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) throw SeglogError.invalidOption(key, 'is not a seglog option');
  }
  if (typeof options.dir !== 'string' || options.dir.length === 0) {
    throw SeglogError.invalidOption('dir', `must be a non-empty string, got ${describeValue(options.dir)}`);
  }
  // Engines first: everything after may already rely on them, and none of it may open a file.
  const io = engine<FileIO>('io', options.io, FILE_IO_METHODS, nodeFileIO);
  const clock = engine<Clock>('clock', options.clock, CLOCK_METHODS, systemClock);
  const blockBytes = integer('blockBytes', options.blockBytes, limits.blockBytesDefault, limits.blockBytesMin, limits.blockBytesMax);
  if (!isPowerOfTwo(blockBytes)) throw SeglogError.invalidOption('blockBytes', `must be a power of two, got ${blockBytes}`);
  const segmentBytes = integer('segmentBytes', options.segmentBytes, limits.segmentBytesDefault, limits.segmentBlocksMin * blockBytes, limits.segmentBytesMax);
  if (segmentBytes % blockBytes !== 0) {
    throw SeglogError.invalidOption('segmentBytes', `must be a multiple of blockBytes (${blockBytes}), got ${segmentBytes}`);
  }
  // A batch must fit in a segment after its header block.
  const batchMax = segmentBytes - blockBytes;
  const maxBatchBytes = integer('maxBatchBytes', options.maxBatchBytes, Math.min(limits.batchBytesMaxDefault, batchMax), blockBytes, batchMax);
  if (maxBatchBytes % blockBytes !== 0) {
    throw SeglogError.invalidOption('maxBatchBytes', `must be a multiple of blockBytes (${blockBytes}), got ${maxBatchBytes}`);
  }
  // One record alone: the header, its frame and one chunk-table entry.
  const recordMax = maxBatchBytes - BATCH_HEADER_BYTES - RECORD_FRAME_BYTES - CHUNK_ENTRY_BYTES;
  const maxRecordBytes = integer('maxRecordBytes', options.maxRecordBytes, Math.min(limits.recordBytesMaxDefault, recordMax), 0, recordMax);
  const maxInFlightBytes = integer('maxInFlightBytes', options.maxInFlightBytes, Math.max(limits.inFlightBytesMaxDefault, 2 * maxBatchBytes), maxBatchBytes, limits.inFlightBytesMaxMax);
  const indexIntervalBytes = integer('indexIntervalBytes', options.indexIntervalBytes, limits.indexIntervalBytesDefault, blockBytes, segmentBytes);
  if (options.preallocate !== undefined && typeof options.preallocate !== 'boolean' && options.preallocate !== 'auto') {
    throw SeglogError.invalidOption('preallocate', `must be true, false or 'auto', got ${describeValue(options.preallocate)}`);
  }
  const maxQueuedBytes = integer('maxQueuedBytes', options.maxQueuedBytes, limits.queuedBytesMaxDefault, 0, limits.queuedBytesMaxMax);
  return {
    // Absolute, so errors, events and the lock all name the directory the same way.
    dir: resolve(options.dir),
    io,
    clock,
    segmentBytes,
    blockBytes,
    blockBytesExplicit: options.blockBytes !== undefined,
    maxRecordBytes,
    maxBatchBytes,
    maxInFlightBytes,
    maxBatchesInFlight: integer('maxBatchesInFlight', options.maxBatchesInFlight, limits.batchesInFlightCountDefault, 1, limits.batchesInFlightCountMax),
    commitWindow: commitWindow(options.commitWindow),
    maxBatchRecords: integer('maxBatchRecords', options.maxBatchRecords, limits.batchRecordsMaxDefault, 1, limits.batchRecordsMaxMax),
    recentIntervalMicros: 1000 * integer('recentIntervalMillis', options.recentIntervalMillis, limits.recentIntervalMillisDefault, limits.recentIntervalMillisMin, limits.recentIntervalMillisMax),
    preallocate: preallocatePolicy(options.preallocate),
    syncMethod: syncMethod(options.syncMethod),
    indexIntervalBytes,
    maxQueuedBytes,
    fileMode: permissionMode('fileMode', options.fileMode, limits.fileModeDefault, 0o600),
    dirMode: permissionMode('dirMode', options.dirMode, limits.dirModeDefault, 0o700),
    acceptDataLoss: boolean('acceptDataLoss', options.acceptDataLoss, false),
    logId: logIdOption(options.logId),
    firstOffset: integer('firstOffset', options.firstOffset, 0, 0, limits.offsetMax),
    retention: retentionOption(options.retention),
  };
}

const RETENTION_KEYS = ['maxBytes', 'maxAgeMs', 'intervalMs'] as const;

function retentionOption(option: unknown): ResolvedRetention | null {
  if (option === undefined) return null;
  if (!isPlainObject(option)) {
    throw SeglogError.invalidOption('retention', `must be an object { maxBytes?, maxAgeMs?, intervalMs? }, got ${describeValue(option)}`);
  }
  refuseUnknownKeys('retention', option, RETENTION_KEYS);
  const big = Number.MAX_SAFE_INTEGER;
  const maxBytes = option.maxBytes === undefined ? null : integer('retention.maxBytes', option.maxBytes, 0, 0, big);
  const maxAgeMs = option.maxAgeMs === undefined ? null : integer('retention.maxAgeMs', option.maxAgeMs, 0, 0, big);
  if (maxBytes === null && maxAgeMs === null) {
    throw SeglogError.invalidOption('retention', 'needs maxBytes or maxAgeMs (or leave retention out)');
  }
  const intervalMs = integer('retention.intervalMs', option.intervalMs, limits.retentionIntervalMsDefault, limits.retentionIntervalMsMin, limits.retentionIntervalMsMax);
  return { maxBytes, maxAgeMs, intervalMs };
}

function logIdOption(option: unknown): Uint8Array | null {
  if (option === undefined) return null;
  if (!(option instanceof Uint8Array) || option.length !== LOG_ID_BYTES) {
    const got = option instanceof Uint8Array ? `${option.length} bytes` : typeof option;
    throw SeglogError.invalidOption('logId', `must be a Uint8Array of ${LOG_ID_BYTES} bytes, got ${got}`);
  }
  // A copy, so the caller changing its buffer later cannot change the log's id.
  return option.slice();
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
  throw SeglogError.invalidOption('syncMethod', `must be 'fdatasync' or 'open_datasync', got ${describeValue(option)}`);
}
