/**
 * One job: serve a queue to workers in other processes over a local (unix) socket. The owner
 * process runs `serveQueue(queue, { path? })` (default `<dir>/queue.sock`); a worker connects with
 * `connectQueue({ path })` and uses the same consumer API.
 *
 * Each remote consumer is a real Consumer in the owner, so deliveries, leases, timers and fencing
 * are exactly the local ones: a remote settle is the owner calling `ack()`/`nak()`/`term()`/
 * `inProgress()` on the very QueueMessage it delivered, with the token the worker sent checked
 * first. A lapse aborts that message's signal, which the owner forwards so the worker's
 * `msg.signal` aborts too. When a worker's connection ends (exit, kill -9, network error) its
 * consumers close and the messages it held keep their leases until they lapse, then are
 * redelivered, counted: the same path as a local handler that hangs.
 */
import type { Socket } from 'node:net';
import { SeglogError, isSeglogError } from '@seglog/types';
import type { Consumer } from '../queue/consumer.js';
import type { QueueMessage } from '../queue/message.js';
import type { ConsumerOptions } from '../queue/options.js';
import type { Queue } from '../queue/queue.js';
import { encodeFrame, errorToWire } from './frames.js';
import { readFrames } from './frame-socket.js';
import type { Frame } from './frames.js';
import { checkSocketPath, listenUnixSocket } from './socket-server.js';

export interface QueueServer {
  readonly path: string;
  /** Stops accepting, ends every connection (their consumers close). Idempotent. */
  close(): Promise<void>;
}

export interface ServeOptions {
  /** The socket's path. Default `<queue dir>/queue.sock`. */
  readonly path?: string;
}

export async function serveQueue(queue: Queue, options: ServeOptions = {}): Promise<QueueServer> {
  const path = options.path ?? `${queue.dir}/queue.sock`;
  checkSocketPath(path);
  return listenUnixSocket(path, queue.io, (socket) => new Connection(queue, socket));
}

interface RemoteConsumerState {
  readonly consumer: Consumer;
  /** Messages handed to the worker, not yet settled, by offset. */
  readonly held: Map<number, QueueMessage>;
}

/** Worker connections open now, per queue (across its servers). */
const openConnections = new WeakMap<Queue, number>();

/**
 * Worker connections open now on `queue`'s servers. A connection leaves this count after its
 * consumers are closed, in the event that ends it: 0 after a worker died means the owner has let
 * go of that worker's consumers (what they held keeps its lease until it lapses).
 */
export function workerConnections(queue: Queue): number {
  return openConnections.get(queue) ?? 0;
}

/** One worker connection: its consumers and the messages they hold. */
class Connection {
  readonly #queue: Queue;
  readonly #socket: Socket;
  readonly #consumers = new Map<number, RemoteConsumerState>();

  constructor(queue: Queue, socket: Socket) {
    this.#queue = queue;
    this.#socket = socket;
    openConnections.set(queue, workerConnections(queue) + 1);
    readFrames(socket, (frame) => this.#handle(frame), () => {
      // The worker is gone: its consumers stop; what it held lapses at its deadline.
      for (const { consumer } of this.#consumers.values()) consumer.close();
      this.#consumers.clear();
      openConnections.set(queue, workerConnections(queue) - 1);
    });
  }

  #send(header: Record<string, unknown>, body?: Uint8Array): void {
    if (!this.#socket.destroyed) this.#socket.write(encodeFrame(header, body));
  }

  #reply(id: unknown, work: () => unknown): void {
    Promise.resolve()
      .then(work)
      .then(
        (result) => this.#send({ op: 'reply', id, result: result ?? null }),
        (error: unknown) => this.#send({ op: 'reply', id, error: errorToWire(error) }),
      );
  }

  #handle(frame: Frame): void {
    const h = frame.header;
    switch (h.op) {
      case 'enqueue':
        this.#reply(h.id, () => this.#queue.enqueue(frame.body, (h.options ?? {})));
        return;
      case 'consume':
        // At once, not in a later turn: the worker's pulls for this consumer follow in this chunk.
        try {
          this.#consume(Number(h.cid), String(h.group), (h.options ?? {}));
          this.#send({ op: 'reply', id: h.id, result: null });
        } catch (error) {
          this.#send({ op: 'reply', id: h.id, error: errorToWire(error) });
        }
        return;
      case 'pull':
        this.#pull(Number(h.cid), Number(h.n));
        return;
      case 'settle':
        this.#reply(h.id, () => this.#settle(h));
        return;
      case 'close-consumer':
        this.#consumers.get(Number(h.cid))?.consumer.close();
        return;
      default:
        this.#socket.destroy();
    }
  }

  #consume(cid: number, group: string, options: ConsumerOptions): void {
    const consumer = this.#queue.consumer(group, options);
    this.#consumers.set(cid, { consumer, held: new Map() });
  }

  /** The worker has `n` more waiters: take that many deliveries and forward each. */
  #pull(cid: number, n: number): void {
    const state = this.#consumers.get(cid);
    if (state === undefined || !Number.isSafeInteger(n) || n < 1) return;
    for (let i = 0; i < n; i++) {
      state.consumer.next().then(
        (next) => {
          if (next.done === true) return this.#send({ op: 'end', cid });
          this.#forward(cid, state, next.value);
        },
        () => this.#send({ op: 'end', cid }),
      );
    }
  }

  #forward(cid: number, state: RemoteConsumerState, message: QueueMessage): void {
    state.held.set(message.offset, message);
    const { offset, deliveryCount: attempt } = message;
    message.signal.addEventListener('abort', () => {
      state.held.delete(offset);
      this.#send({ op: 'lapse', cid, offset, attempt });
    }, { once: true });
    this.#send({
      op: 'msg',
      cid,
      offset,
      attempt,
      group: message.group,
      key: message.key ?? null,
      priority: message.priority,
      enqueuedAtMs: message.enqueuedAtMs,
      deadlineMs: message.deadlineMs,
      deadLetter: message.deadLetter ?? null,
    }, message.payload);
  }

  async #settle(h: Readonly<Record<string, unknown>>): Promise<null> {
    const state = this.#consumers.get(Number(h.cid));
    const message = state?.held.get(Number(h.offset));
    // The token the worker holds must be the delivery held here; anything else is stale.
    if (state === undefined || message === undefined || message.deliveryCount !== Number(h.attempt)) {
      throw new SeglogError('SEGLOG_STALE_DELIVERY', `delivery ${String(h.attempt)} of message ${String(h.offset)} is not held by this worker`, {});
    }
    const options = (h.options ?? {}) as { delayMs?: number; reason?: string; extendMs?: number };
    const settled = h.kind !== 'extend';
    try {
      if (h.kind === 'ack') await message.ack();
      else if (h.kind === 'nak') await message.nak(options);
      else if (h.kind === 'term') await message.term(options);
      else if (h.kind === 'extend') await message.inProgress(options);
      else throw new TypeError(`unknown settle ${String(h.kind)}`);
    } catch (error) {
      if (isSeglogError(error, 'SEGLOG_STALE_DELIVERY')) state.held.delete(message.offset);
      throw error;
    }
    if (settled) state.held.delete(message.offset);
    return null;
  }
}
