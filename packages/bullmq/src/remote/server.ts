/**
 * One job: the owning process's side of remote workers. `factory.serve({ path })` listens on a
 * local (unix) socket; each Queue, Worker or QueueEvents a remote process builds with
 * `seglogBackend({ socket })` becomes a real backend here (a handle), on this process's hub, and
 * every call it makes is that backend's own method. So locks, fencing, prefetch, stalled checks and
 * durability are exactly the local ones: the remote side only carries calls and replies.
 *
 * When a connection ends (close, exit, kill -9) its backends close here: their prefetch
 * reservations go back to the queue at once, blocked waits end, and the jobs their workers held
 * keep their locks until those lapse; then any worker's stalled check moves them back to wait,
 * counted, as when a local worker hangs.
 */
import type { Socket } from 'node:net';
import { checkSocketPath, encodeFrame, listenUnixSocket, readFrames } from '@seglog/queue';
import type { SocketServer } from '@seglog/queue';
import { nodeFileIO } from '@seglog/io';
import { ErrorCodes, SeglogError } from '@seglog/types';
import type { IQueueBackend, QueueBaseOptions } from 'bullmq';
import type { BackendRole } from '../backend.js';
import { SeglogQueueBackend } from '../backend.js';
import type { Hub } from '../hub.js';
import { argsFromWire, errorToWire, WIRE_VERSION, writeCorked } from './wire.js';

export interface BackendServer {
  readonly path: string;
  /** Stops accepting and ends every connection (their backends close). Idempotent. */
  close(): Promise<void>;
}

/** The methods a remote backend may call: every method of the owning backend but its lifecycle and names. */
export const REMOTE_METHODS: ReadonlySet<string> = remoteMethods();

function remoteMethods(): Set<string> {
  const local = new Set(['constructor', 'waitUntilReady', 'forQueue', 'toKey', 'parseNodeKey', 'clientName']);
  const names = new Set<string>();
  for (const [name, descriptor] of Object.entries(Object.getOwnPropertyDescriptors(SeglogQueueBackend.prototype))) {
    if (typeof descriptor.value === 'function' && !local.has(name)) names.add(name);
  }
  return names;
}

export async function serveBackends(hub: Hub, path: string): Promise<BackendServer> {
  checkSocketPath(path);
  await hub.acquire();
  const connections = new Set<Connection>();
  let sockets: SocketServer;
  try {
    sockets = await listenUnixSocket(path, nodeFileIO, (socket) => {
      const connection = new Connection(hub, socket);
      connections.add(connection);
      void connection.closed.then(() => connections.delete(connection));
    });
  } catch (error) {
    await hub.release();
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    path,
    close() {
      closing ??= (async () => {
        await sockets.close();
        // The remote backends close once their connection ends: wait for them, so that once this
        // resolves (and the factory is idle) the directory is free for the next owner.
        await Promise.all([...connections].map((connection) => connection.closed));
        await hub.release();
      })();
      return closing;
    },
  };
}

/** One remote process: the backends it opened, by handle. */
class Connection {
  readonly #hub: Hub;
  readonly #socket: Socket;
  readonly #handles = new Map<number, IQueueBackend>();
  #closed: () => void = () => undefined;
  /** Resolves once the connection ended and every backend it opened is closed. */
  readonly closed = new Promise<void>((resolve) => (this.#closed = resolve));

  constructor(hub: Hub, socket: Socket) {
    this.#hub = hub;
    this.#socket = socket;
    readFrames(socket, (frame) => this.#handle(frame.header), () => this.#lost());
  }

  #handle(header: Readonly<Record<string, unknown>>): void {
    const id = header['id'];
    if (header['op'] === 'open') this.#reply(id, () => this.#open(header));
    else if (header['op'] === 'call') this.#reply(id, () => this.#call(header));
    else this.#reply(id, () => Promise.reject(badFrame(`unknown op ${String(header['op'])}`)));
  }

  async #open(header: Readonly<Record<string, unknown>>): Promise<null> {
    if (header['v'] !== WIRE_VERSION) throw badFrame(`wire version ${String(header['v'])}, this owner speaks ${WIRE_VERSION}`);
    const handle = Number(header['h']);
    if (!Number.isSafeInteger(handle) || this.#handles.has(handle)) throw badFrame(`handle ${String(header['h'])}`);
    const name = typeof header['name'] === 'string' ? header['name'] : '';
    const opts = (header['opts'] ?? {}) as QueueBaseOptions;
    const role = (header['role'] ?? {}) as BackendRole;
    const backend = new SeglogQueueBackend(this.#hub, name, opts, role, header['owns'] !== false);
    this.#handles.set(handle, backend);
    await backend.waitUntilReady();
    return null;
  }

  async #call(header: Readonly<Record<string, unknown>>): Promise<unknown> {
    const method = String(header['m']);
    const backend = this.#handles.get(Number(header['h']));
    if (backend === undefined) throw badFrame(`no open backend ${String(header['h'])}`);
    if (!REMOTE_METHODS.has(method)) throw badFrame(`no method ${method}`);
    const args = argsFromWire(header['a'], header['u']);
    const fn = (backend as unknown as Record<string, (...a: unknown[]) => unknown>)[method];
    const result = await fn?.apply(backend, args);
    if (method === 'close' || method === 'disconnect') this.#handles.delete(Number(header['h']));
    return result;
  }

  #reply(id: unknown, work: () => Promise<unknown>): void {
    work().then(
      (result) => this.#send(result === undefined ? { op: 'reply', id } : { op: 'reply', id, r: result }),
      (error: unknown) => this.#send({ op: 'reply', id, e: errorToWire(error) }),
    );
  }

  #send(header: Record<string, unknown>): void {
    if (!this.#socket.destroyed) writeCorked(this.#socket, encodeFrame(header));
  }

  /** The remote process is gone: its backends close (reservations back, waits ended); held jobs lapse. */
  #lost(): void {
    const closing = [...this.#handles.values()].map((backend) => backend.close().catch(() => undefined));
    this.#handles.clear();
    void Promise.all(closing).then(() => this.#closed());
  }
}

function badFrame(what: string): SeglogError {
  return new SeglogError(ErrorCodes.INVALID_OPTION, `bad request from a remote BullMQ backend: ${what}`);
}
