/**
 * One job: the options of `ship` and `restore`, checked once, with their defaults. Bad input is a
 * SEGLOG_INVALID_OPTION naming the option; the limits come from `shipLimits` in @seglog/types.
 */
import type { NatsConnection } from 'nats';
import { isHoldName } from '@seglog/format';
import { nodeFileIO } from '@seglog/io';
import { SeglogError, shipLimits, type DurableSource, type FileIO, type LogOptions } from '@seglog/types';
import type { BehindPolicy } from './resume-point.js';

/** Where the records go, shared by `ship` and `restore`. */
export interface StreamOptions {
  /** NATS server URLs (`host:port` or `nats://host:port`): any members of the cluster. */
  readonly servers?: string | readonly string[];
  /** Use this connection instead of opening one (it is not closed by seglog). */
  readonly connection?: NatsConnection;
  /** The JetStream stream: one per log. */
  readonly stream: string;
  /** The stream's only subject. Default `seglog.<stream>`. */
  readonly subject?: string;
}

export interface ShipOptions extends StreamOptions {
  /** The log directory to follow (read-only: no lock; the writer may run in another process). */
  readonly dir: string;
  readonly io?: FileIO;
  /** The log of this process, if it is here: wake-ups come from its `onDurable` hook instead of the directory. */
  readonly log?: DurableSource;
  /** Replicas of a stream that `ship` creates. Default 3 (R3: what makes the stream durable on 2.9). */
  readonly replicas?: number;
  /** Create the stream when it does not exist. Default true. */
  readonly createStream?: boolean;
  /** Publishes awaiting acknowledgement at once. Default 2048. */
  readonly maxInFlight?: number;
  /** Payload bytes awaiting acknowledgement at once. Default 16 MiB. */
  readonly maxInFlightBytes?: number;
  /** How long a publish waits for its acknowledgement before the shipper re-syncs. Default 5000. */
  readonly publishTimeoutMillis?: number;
  /** How long `ship()` keeps trying while the cluster does not answer (no server, an election). Default 60000. */
  readonly startTimeoutMillis?: number;
  /**
   * When records that are not shipped yet were dropped from the log (retention forced past the
   * shipper's hold): `'fail'` (default) stops with SEGLOG_JETSTREAM_GAP; `'skip'` goes on at the
   * log's first offset and reports the range through `onSkip` and `metrics().skippedRecords`.
   */
  readonly onBehind?: BehindPolicy;
  readonly onSkip?: (range: { readonly fromOffset: number; readonly toOffset: number }) => void;
  /**
   * Keep a retention hold at the shipped position, so the log's retention never drops a record
   * the stream does not hold yet. Default true. The hold stays after `close()` (records keep
   * waiting for the next shipper); release it with `releaseRetentionHold` to stop shipping for good.
   */
  readonly holdRetention?: boolean;
  /** Name of the retention hold. Default `jetstream.<stream>`. */
  readonly holdName?: string;
  /** Called with each failure the shipper recovers from by itself (it then re-syncs and goes on). */
  readonly onError?: (error: Error) => void;
}

export interface ResolvedShipOptions {
  readonly dir: string;
  readonly io: FileIO;
  readonly log: DurableSource | undefined;
  readonly servers: readonly string[];
  readonly connection: NatsConnection | undefined;
  readonly stream: string;
  readonly subject: string;
  readonly replicas: number;
  readonly createStream: boolean;
  readonly maxInFlight: number;
  readonly maxInFlightBytes: number;
  readonly publishTimeoutMillis: number;
  readonly startTimeoutMillis: number;
  readonly onBehind: BehindPolicy;
  readonly onSkip: ((range: { readonly fromOffset: number; readonly toOffset: number }) => void) | undefined;
  readonly holdRetention: boolean;
  readonly holdName: string;
  readonly onError: ((error: Error) => void) | undefined;
}

export interface RestoreOptions extends StreamOptions {
  /** A new log directory (missing or empty): restore creates the log there. */
  readonly dir: string;
  /** Options of the new log (segment size, block size, ...); `dir`, `logId` and `firstOffset` are restore's. */
  readonly logOptions?: Omit<LogOptions, 'dir' | 'logId' | 'firstOffset'>;
  readonly signal?: AbortSignal;
}

/** Stream and subject names: JetStream forbids spaces, dots in stream names, wildcards and '>' . */
const STREAM_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const SUBJECT = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

export function resolveStreamNames(options: StreamOptions): { stream: string; subject: string } {
  const { stream } = options;
  if (typeof stream !== 'string' || !STREAM_NAME.test(stream)) {
    throw SeglogError.invalidOption('stream', `must be 1-64 letters, digits, '_' or '-', got ${JSON.stringify(stream)}`);
  }
  const subject = options.subject ?? `seglog.${stream}`;
  if (typeof subject !== 'string' || !SUBJECT.test(subject)) {
    throw SeglogError.invalidOption('subject', `must be dot-separated tokens of letters, digits, '_' or '-' (no wildcards), got ${JSON.stringify(subject)}`);
  }
  return { stream, subject };
}

export function resolveServers(options: StreamOptions): readonly string[] {
  const { servers, connection } = options;
  if (connection !== undefined) {
    if (typeof connection !== 'object' || connection === null || typeof connection.jetstream !== 'function') {
      throw SeglogError.invalidOption('connection', 'must be a NatsConnection from the nats package');
    }
    return [];
  }
  const list: readonly unknown[] | undefined = typeof servers === 'string' ? [servers] : servers;
  if (!Array.isArray(list) || list.length === 0 || !list.every((server) => typeof server === 'string' && server.length > 0)) {
    throw SeglogError.invalidOption('servers', 'must be a non-empty string or array of strings (host:port), or give connection');
  }
  return list as readonly string[];
}

export function resolveShipOptions(options: ShipOptions): ResolvedShipOptions {
  if (typeof options !== 'object' || options === null) throw SeglogError.invalidOption('ship options', 'must be an object');
  const { stream, subject } = resolveStreamNames(options);
  if (typeof options.dir !== 'string' || options.dir.length === 0) throw SeglogError.invalidOption('dir', 'must be a non-empty string');
  const onBehind = options.onBehind ?? 'fail';
  if (onBehind !== 'fail' && onBehind !== 'skip') throw SeglogError.invalidOption('onBehind', `must be 'fail' or 'skip', got ${String(onBehind)}`);
  return {
    dir: options.dir,
    io: options.io ?? nodeFileIO,
    log: options.log,
    servers: resolveServers(options),
    connection: options.connection,
    stream,
    subject,
    replicas: count('replicas', options.replicas, 3, 1, 5),
    createStream: flag('createStream', options.createStream, true),
    maxInFlight: count('maxInFlight', options.maxInFlight, shipLimits.inFlightCountDefault, 1, shipLimits.inFlightCountMax),
    maxInFlightBytes: count('maxInFlightBytes', options.maxInFlightBytes, shipLimits.inFlightBytesDefault, 1, 2 ** 40),
    publishTimeoutMillis: count('publishTimeoutMillis', options.publishTimeoutMillis, shipLimits.publishTimeoutMillisDefault, 1, 600_000),
    startTimeoutMillis: count('startTimeoutMillis', options.startTimeoutMillis, shipLimits.startTimeoutMillisDefault, 0, 3_600_000),
    onBehind,
    onSkip: callback('onSkip', options.onSkip),
    holdRetention: flag('holdRetention', options.holdRetention, true),
    holdName: holdNameOf(options.holdName ?? `jetstream.${stream}`),
    onError: callback('onError', options.onError),
  };
}

function holdNameOf(name: string): string {
  if (!isHoldName(name)) {
    throw SeglogError.invalidOption('holdName', `must be 1-64 of A-Z a-z 0-9 . _ - (not starting with '.'), got ${JSON.stringify(name)} (give a shorter holdName for a long stream name)`);
  }
  return name;
}

function count(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw SeglogError.invalidOption(name, `must be an integer in [${min}, ${max}], got ${String(value)}`);
  }
  return value;
}

function flag(name: string, value: boolean | undefined, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw SeglogError.invalidOption(name, `must be a boolean, got ${String(value)}`);
  return value;
}

function callback<T>(name: string, value: T | undefined): T | undefined {
  if (value !== undefined && typeof value !== 'function') throw SeglogError.invalidOption(name, 'must be a function');
  return value;
}
