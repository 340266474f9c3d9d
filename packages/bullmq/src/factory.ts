/**
 * One job: `seglogBackend(options)`, the BackendFactory users pass to BullMQ's classes (or to
 * `setDefaultBackendFactory`). With `dir` it owns the directory: it validates the options once and
 * keeps one hub, so every Queue, Worker and QueueEvents it builds shares the same log, and
 * `serve()` opens the directory to workers in other processes. With `socket` it builds backends
 * that carry every call to the owning process over that local socket (remote/client.ts).
 */
import type { BackendFactory, IQueueBackend, QueueBaseOptions } from 'bullmq';
import { SeglogError } from '@seglog/types';
import type { FileIO, LogOptions } from '@seglog/types';
import { SeglogQueueBackend } from './backend.js';
import { Hub } from './hub.js';
import { RemoteLink, RemoteQueueBackend } from './remote/client.js';
import { serveBackends } from './remote/server.js';
import type { BackendServer } from './remote/server.js';

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

export interface SeglogRemoteBackendOptions {
  /** The owning process's socket (`<dir>/bullmq.sock` unless it chose another path in `serve`). */
  readonly socket: string;
}

type Role = { blocking?: boolean; withBlockingConnection?: boolean };

export type SeglogBackendFactory = BackendFactory<IQueueBackend> & {
  /** Resolves once every backend built by this factory is closed and the log is closed. */
  readonly idle: () => Promise<void>;
  /**
   * Serves the directory to workers in other processes (`seglogBackend({ socket })`) on a local
   * socket, `<dir>/bullmq.sock` by default. The log stays open until the server is closed.
   */
  readonly serve: (options?: { path?: string }) => Promise<BackendServer>;
};

export type SeglogRemoteBackendFactory = BackendFactory<IQueueBackend>;

export function seglogBackend(options: SeglogBackendOptions): SeglogBackendFactory;
export function seglogBackend(options: SeglogRemoteBackendOptions): SeglogRemoteBackendFactory;
export function seglogBackend(
  options: SeglogBackendOptions | SeglogRemoteBackendOptions,
): SeglogBackendFactory | SeglogRemoteBackendFactory {
  if (typeof options !== 'object' || options === null) throw SeglogError.invalidOption('options', 'must be an object');
  const given = options as Partial<SeglogBackendOptions & SeglogRemoteBackendOptions>;
  if (given.socket !== undefined && given.dir !== undefined) {
    throw SeglogError.invalidOption('socket', 'give either dir (own the directory) or socket (connect to its owner), not both');
  }
  if (given.socket !== undefined) return remoteFactory(given.socket);
  if (typeof given.dir !== 'string' || given.dir === '') throw SeglogError.invalidOption('dir', 'must be a non-empty string');
  const local = options as SeglogBackendOptions;
  const hub = new Hub(local);
  const factory = (name: string, opts: QueueBaseOptions, role?: Role): IQueueBackend => {
    // FlowProducer passes '' (it spans queues and asks forQueue for each one).
    if (typeof name !== 'string') throw SeglogError.invalidOption('queue name', 'must be a string');
    return new SeglogQueueBackend(hub, name, opts ?? {}, role ?? {});
  };
  const serve = (serveOptions: { path?: string } = {}): Promise<BackendServer> =>
    serveBackends(hub, serveOptions.path ?? `${local.dir}/bullmq.sock`);
  return Object.assign(factory, { idle: () => hub.idle(), serve });
}

function remoteFactory(socket: unknown): SeglogRemoteBackendFactory {
  if (typeof socket !== 'string' || socket === '') throw SeglogError.invalidOption('socket', 'must be a socket path');
  const link = new RemoteLink(socket);
  return (name: string, opts: QueueBaseOptions, role?: Role): IQueueBackend => {
    if (typeof name !== 'string') throw SeglogError.invalidOption('queue name', 'must be a string');
    return new RemoteQueueBackend(link, name, opts ?? {}, role ?? {});
  };
}
