/**
 * One job: `seglogBackend(options)`, the BackendFactory users pass to BullMQ's classes (or to
 * `setDefaultBackendFactory`). It validates the options once and keeps one hub for the directory,
 * so every Queue, Worker and QueueEvents it builds shares the same log.
 */
import type { BackendFactory, IQueueBackend, QueueBaseOptions } from 'bullmq';
import { SeglogError } from '@seglog/types';
import type { FileIO, LogOptions } from '@seglog/types';
import { SeglogQueueBackend } from './backend.js';
import { Hub } from './hub.js';

export interface SeglogBackendOptions {
  /** The directory holding every queue's state: the log in `<dir>/log`, snapshots in `<dir>/snapshots`. */
  readonly dir: string;
  /** The FileIO engine (tests pass a simulated one). */
  readonly io?: FileIO;
  /** Options of the underlying log (`segmentBytes`, `commitWindow`, `syncMethod`, ...). */
  readonly log?: Omit<LogOptions, 'dir' | 'io'>;
  /** Write a snapshot after this many records since the last one (default 10,000). */
  readonly snapshotEveryRecords?: number;
  /** ...or after this many record bytes (default 64 MiB). */
  readonly snapshotEveryBytes?: number;
}

export type SeglogBackendFactory = BackendFactory<IQueueBackend> & {
  /** Resolves once every backend built by this factory is closed and the log is closed. */
  readonly idle: () => Promise<void>;
};

export function seglogBackend(options: SeglogBackendOptions): SeglogBackendFactory {
  if (typeof options !== 'object' || options === null) throw SeglogError.invalidOption('options', 'must be an object');
  if (typeof options.dir !== 'string' || options.dir === '') throw SeglogError.invalidOption('dir', 'must be a non-empty string');
  const hub = new Hub(options);
  type Role = { blocking?: boolean; withBlockingConnection?: boolean };
  const factory = (name: string, opts: QueueBaseOptions, role?: Role): IQueueBackend => {
    // FlowProducer passes '' (it spans queues and asks forQueue for each one).
    if (typeof name !== 'string') throw SeglogError.invalidOption('queue name', 'must be a string');
    return new SeglogQueueBackend(hub, name, opts ?? {}, role ?? {});
  };
  return Object.assign(factory, { idle: () => hub.idle() });
}
