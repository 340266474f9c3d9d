/**
 * One job: the unix-socket server of an owner process, for every package that serves one
 * (`serveQueue` here, `@seglog/bullmq`'s remote backends): check the path, listen (taking over a
 * previous owner's leftover socket file, refusing one that still answers), keep the connections,
 * and on close stop listening and end them all.
 */
import { connect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { SeglogError } from '@seglog/types';
import type { FileIO } from '@seglog/types';

/** Linux's limit on a unix socket path (sun_path is 108 bytes with the terminating zero). */
export const socketPathBytesMax = 107;

export interface SocketServer {
  readonly path: string;
  /** Stops accepting and destroys every open connection. Idempotent. */
  close(): Promise<void>;
}

/** A coded SEGLOG_INVALID_OPTION unless `path` is a usable socket path. */
export function checkSocketPath(path: unknown): asserts path is string {
  if (typeof path !== 'string' || path === '' || Buffer.byteLength(path) > socketPathBytesMax) {
    throw SeglogError.invalidOption('path', `must be a socket path of 1 to ${socketPathBytesMax} bytes, got ${String(path)}`);
  }
}

/**
 * Listens on `path` and calls `onConnection` for each new connection. The caller must hold the
 * lock of what it serves (its log directory): then a socket file already at `path` is a dead
 * previous owner's and is replaced (unlinked through `io`); one that still answers belongs to
 * someone else and is refused (SEGLOG_IO).
 */
export async function listenUnixSocket(
  path: string,
  io: Pick<FileIO, 'unlink'>,
  onConnection: (socket: Socket) => void,
): Promise<SocketServer> {
  checkSocketPath(path);
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    onConnection(socket);
  });
  await listen(server, path, io);
  let closing: Promise<void> | null = null;
  return {
    path,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}

async function listen(server: Server, path: string, io: Pick<FileIO, 'unlink'>): Promise<void> {
  const attempt = (): Promise<NodeJS.ErrnoException | null> =>
    new Promise((resolve) => {
      server.once('error', (error: NodeJS.ErrnoException) => resolve(error));
      server.listen(path, () => resolve(null));
    });
  const first = await attempt();
  if (first === null) return;
  if (first.code !== 'EADDRINUSE' || (await answers(path))) throw SeglogError.io('listen', path, first);
  await io.unlink(path);
  const second = await attempt();
  if (second !== null) throw SeglogError.io('listen', path, second);
}

function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}
