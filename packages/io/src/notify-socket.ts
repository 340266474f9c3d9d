/**
 * One job: the writer's push wake-up on a unix stream socket in the log directory (FileIO's
 * `notifyListen` / `notifySubscribe`). The writer pokes every subscriber after each HEAD update; a
 * subscriber treats a poke as a hint and re-reads HEAD, exactly as after a directory event, so a
 * lost, late or coalesced poke costs latency, never correctness.
 *
 * Why a stream socket: Node has no AF_UNIX datagram socket, and a stream gives each follower its
 * own connection, so the writer learns of a dead follower (EPIPE/ECONNRESET) and drops it.
 * Invariants: a poke never blocks and never queues more than one byte per subscriber (a byte still
 * in the socket's buffer already says "look again"); at most `limits.notifySubscribersMax`
 * subscribers (later ones are closed at once and fall back to the watch and the poll); nothing
 * here keeps a process alive (every handle is unref'd); no error escapes: a socket that cannot be
 * created (a path longer than the platform's sun_path, a file system without sockets, EACCES)
 * means "no push here", and followers poll.
 *
 * A socket file left by a writer that crashed: only the lock holder listens, so whatever is at the
 * path when it starts is stale and is unlinked first. A follower that meets a stale file gets
 * ECONNREFUSED and treats it as "no writer".
 */
import fs from 'node:fs';
import net from 'node:net';
import { limits } from '@seglog/types';
import type { NotifyPublisher, NotifySubscription } from '@seglog/types';

const POKE = Buffer.from([1]);

/**
 * Listens at `path` (unlinking a stale socket first) with permission bits `fileMode`; null when no
 * socket can be made there.
 */
export function listenNotify(path: string, fileMode: number): Promise<NotifyPublisher | null> {
  try {
    if (fs.lstatSync(path, { throwIfNoEntry: false })?.isSocket() === true) fs.unlinkSync(path);
  } catch {
    return Promise.resolve(null); // cannot clear the path: no push, the followers' poll covers it
  }
  return new Promise((resolve) => {
    const subscribers = new Set<net.Socket>();
    const server = net.createServer({ allowHalfOpen: false }, (socket) => {
      socket.unref();
      if (subscribers.size >= limits.notifySubscribersMax) {
        socket.destroy(); // the follower falls back to its watch and poll
        return;
      }
      subscribers.add(socket);
      const drop = (): void => {
        subscribers.delete(socket);
        socket.destroy();
      };
      socket.on('error', drop);
      socket.on('close', drop);
      socket.on('data', () => undefined); // followers send nothing; keep the stream flowing
    });
    server.once('error', () => {
      server.close();
      resolve(null);
    });
    server.listen(path, () => {
      server.unref();
      try {
        // Like every file of the log (before this the socket had the umask's bits, inside a
        // directory that is private by default).
        fs.chmodSync(path, fileMode);
      } catch {
        server.close();
        resolve(null);
        return;
      }
      server.removeAllListeners('error');
      server.on('error', () => undefined); // after listening: per-socket errors are handled above
      resolve(publisher(path, server, subscribers));
    });
  });
}

function publisher(path: string, server: net.Server, subscribers: Set<net.Socket>): NotifyPublisher {
  let closed = false;
  return {
    get subscribers() {
      return subscribers.size;
    },
    poke() {
      if (closed) return;
      for (const socket of subscribers) {
        // A byte still buffered already says "look again": never queue a second one.
        if (socket.writableLength === 0) socket.write(POKE);
      }
    },
    close() {
      if (closed) return Promise.resolve();
      closed = true;
      for (const socket of subscribers) socket.destroy();
      subscribers.clear();
      return new Promise<void>((resolve) => {
        server.close(() => {
          // server.close unlinks the socket file on most platforms; make sure, ignoring ENOENT.
          fs.rm(path, { force: true }, () => resolve());
        });
      });
    },
  };
}

/**
 * Connects to the writer's socket at `path`: `onHint` at each poke, `onEnd` once when the
 * connection fails or ends (no writer, a stale file, the writer closed or died). Never throws.
 */
export function subscribeNotify(path: string, onHint: () => void, onEnd: () => void): NotifySubscription {
  let ended = false;
  const socket = net.createConnection({ path, allowHalfOpen: false });
  socket.unref();
  const end = (): void => {
    if (ended) return;
    ended = true;
    socket.destroy();
    onEnd();
  };
  socket.on('data', () => onHint());
  socket.on('error', end);
  socket.on('close', end);
  socket.on('connect', () => onHint()); // a writer appeared: what it wrote before is worth a look
  return {
    close() {
      if (ended) return;
      ended = true;
      socket.destroy();
    },
  };
}
