/**
 * One job: the shape of one benchmark cell (engine x workload x concurrency), in and out, and the
 * interface every engine adapter implements.
 *
 * Every engine returns the same shape, so the tables, the JSON results, the charts and the strace
 * pass never need to know which engine produced a number.
 */
import type { AppendTarget, DriveResult } from './drive.js';
import type { LatencySummary } from './latency.js';
import type { WindowCost } from './window-probe.js';
import type { Workload } from './workload.js';

export const engineNames = ['seglog', 'plain-fdatasync', 'sqlite', 'lmdb', 'lmdb-overlap', 'level', 'redis', 'nats'] as const;
export type EngineName = (typeof engineNames)[number];

export function isEngineName(text: string): text is EngineName {
  return (engineNames as readonly string[]).includes(text);
}

/** What a reader of the results needs to know about an engine's configuration. */
export interface EngineInfo {
  readonly name: EngineName;
  /** A one-line description for tables: product, mode, client. */
  readonly label: string;
  /** Whether an acknowledged append is on disk (covered by a completed fsync/fdatasync). */
  readonly durable: boolean;
  /** The setting that makes it durable (or the reason it is not), as it appears in the code. */
  readonly durability: string;
}

/** An engine opened on a directory, ready for appenders. */
export interface EngineHandle extends AppendTarget {
  appendMany(payloads: readonly Uint8Array[]): Promise<unknown>;
  /** Server processes the engine talks to; their CPU counts toward CPU per append. */
  readonly serverPids: readonly number[];
  /** Flush durations (fdatasync, or seglog O_DSYNC batch writes), when the engine times its own (seglog, plain). */
  flushMicros?(): LatencySummary;
  /** Engine-specific extras for the JSON file (seglog: its metrics at the end). */
  detail?(): unknown;
  close(): Promise<void>;
}

export interface EngineDefinition {
  readonly info: EngineInfo;
  /** null when the engine can run here, else why not (missing package or server binary). */
  unavailableReason(): Promise<string | null>;
  open(dir: string): Promise<EngineHandle>;
}

export interface CellOptions {
  /** A fresh, empty directory the engine may fill; the caller removes it. */
  readonly dir: string;
  /** The record size (for the mixed trace, the small one). */
  readonly recordBytes: number;
  readonly concurrency: number;
  readonly warmupMillis: number;
  readonly durationMillis: number;
  /** Defaults to uniform appends of `recordBytes`. */
  readonly workload?: Workload;
  /** See DriveOptions.timeOperations. */
  readonly timeOperations?: boolean;
}

export interface CellResult extends DriveResult {
  readonly engine: EngineName;
  readonly durable: boolean;
  readonly workload: Workload;
  readonly recordBytes: number;
  readonly concurrency: number;
  /** Durable appends per flush over the window; null when the engine cannot count its flushes. */
  readonly appendsPerFlush: number | null;
  /** Engine counters over the engine's whole life, warm-up and drain included (read before close). */
  readonly totalAppends: number;
  readonly totalFlushes: number | null;
  /** (this process + server processes) CPU over the window / appends in the window, µs. */
  readonly cpuMicrosPerAppend: number;
  readonly cost: WindowCost;
  /** Bytes the block device wrote over the window / payload bytes appended (machine-wide: an upper bound). */
  readonly deviceBytesPerPayloadByte: number | null;
  readonly flushMicros?: LatencySummary;
  readonly detail?: unknown;
}
