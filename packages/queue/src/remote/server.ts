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
import type { ConsumerOptions, EnqueueOptions } from '../queue/options.js';
import type { Queue, Receipt } from '../queue/queue.js';
import { encodeFrame, errorToWire } from './frames.js';
import { BATCH_OP, BatchWriter, readOwnerBatch } from './wire.js';
import type { OwnerOps, SettleKind } from './wire.js';
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
  /**
   * What to do with each `next()` of the consumer, and with a lapse of a message it held: made
   * once per consumer, not as closures per delivery.
   */
  readonly onNext: (next: IteratorResult<QueueMessage>) => void;
  readonly onEnd: () => void;
  readonly onLapse: (message: QueueMessage) => void;
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
  readonly #writer: BatchWriter;
  readonly #consumers = new Map<number, RemoteConsumerState>();
  /** Enqueues without options of the batch being read, in order: they go as one enqueueMany. */
  #plain: { id: number; payload: Uint8Array }[] = [];
  readonly #ops: OwnerOps = {
    enqueue: (id, options, payload) => {
      if (options === null) this.#plain.push({ id, payload });
      else {
        // Options may be refused on their own: this one goes alone, after the plain ones before it.
        this.#enqueuePlain();
        this.#enqueue(id, options, payload);
      }
    },
    batchEnd: () => this.#enqueuePlain(),
    pull: (cid, n) => this.#pull(cid, n),
    settle: (id, cid, offset, attempt, kind, options) => this.#settle(id, cid, offset, attempt, kind, options),
  };

  constructor(queue: Queue, socket: Socket) {
    this.#queue = queue;
    this.#socket = socket;
    this.#writer = new BatchWriter(socket);
    openConnections.set(queue, workerConnections(queue) + 1);
    readFrames(socket, (frame) => this.#handle(frame), () => {
      // The worker is gone: its consumers stop; what it held lapses at its deadline.
      for (const { consumer } of this.#consumers.values()) consumer.close();
      this.#consumers.clear();
      openConnections.set(queue, workerConnections(queue) - 1);
    });
  }

  #send(header: Record<string, unknown>): void {
    this.#writer.frame(encodeFrame(header));
  }

  #handle(frame: Frame): void {
    const h = frame.header;
    switch (h.op) {
      case BATCH_OP:
        try {
          readOwnerBatch(frame.body, this.#ops);
        } catch {
          // A batch that does not parse: the stream cannot be trusted past it. Its enqueues not yet
          // proposed are dropped with the connection (the worker sees SEGLOG_CLOSED for them).
          this.#plain = [];
          this.#socket.destroy();
        }
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
      case 'close-consumer':
        this.#consumers.get(Number(h.cid))?.consumer.close();
        return;
      default:
        this.#socket.destroy();
    }
  }

  #enqueue(id: number, options: EnqueueOptions, payload: Uint8Array): void {
    let enqueued: Promise<Receipt>;
    try {
      enqueued = this.#queue.enqueue(payload, options);
    } catch (error) {
      this.#writer.replyError(id, errorToWire(error));
      return;
    }
    enqueued.then(
      (receipt) => this.#writer.replyReceipt(id, receipt.offset, receipt.duplicate),
      (error: unknown) => this.#writer.replyError(id, errorToWire(error)),
    );
  }

  /**
   * The batch's run of enqueues without options as one `enqueueMany`: one promise and one reply
   * pass for the run instead of a promise, a proposal and two closures per message. They share the
   * turn's record either way (shared records), so durability and order are those of one enqueue
   * each; a failure (a closed queue, an I/O error) is every one's failure, as it would have been.
   */
  #enqueuePlain(): void {
    const run = this.#plain;
    if (run.length === 0) return;
    this.#plain = [];
    this.#queue.enqueueMany(run).then(
      (receipts) => {
        for (let i = 0; i < run.length; i++) {
          this.#writer.replyReceipt(run[i]!.id, receipts[i]!.offset, receipts[i]!.duplicate);
        }
      },
      (error: unknown) => {
        const wire = errorToWire(error);
        for (const { id } of run) this.#writer.replyError(id, wire);
      },
    );
  }

  #consume(cid: number, group: string, options: ConsumerOptions): void {
    const consumer = this.#queue.consumer(group, options);
    const held = new Map<number, QueueMessage>();
    const onEnd = (): void => this.#writer.end(cid);
    const state: RemoteConsumerState = {
      consumer,
      held,
      onNext: (next) => (next.done === true ? onEnd() : this.#forward(cid, state, next.value)),
      onEnd,
      onLapse: (message) => {
        if (held.get(message.offset) === message) held.delete(message.offset);
        this.#writer.lapse(cid, message.offset, message.deliveryCount);
      },
    };
    this.#consumers.set(cid, state);
  }

  /** The worker has `n` more waiters: take that many deliveries and forward each. */
  #pull(cid: number, n: number): void {
    const state = this.#consumers.get(cid);
    if (state === undefined || n < 1) return;
    for (let i = 0; i < n; i++) state.consumer.next().then(state.onNext, state.onEnd);
  }

  #forward(cid: number, state: RemoteConsumerState, message: QueueMessage): void {
    state.held.set(message.offset, message);
    // A hook, not `message.signal`: the signal's AbortController would cost an allocation per message.
    message.onAbort(state.onLapse);
    this.#writer.msg(cid, {
      offset: message.offset,
      attempt: message.deliveryCount,
      priority: message.priority,
      enqueuedAtMs: message.enqueuedAtMs,
      deadlineMs: message.deadlineMs,
      key: message.key,
      deadLetter: message.deadLetter,
    }, message.payload);
  }

  #settle(id: number, cid: number, offset: number, attempt: number, kind: SettleKind, options: SettleOptions): void {
    const state = this.#consumers.get(cid);
    const message = state?.held.get(offset);
    // The token the worker holds must be the delivery held here; anything else is stale.
    if (state === undefined || message === undefined || message.deliveryCount !== attempt) {
      const error = new SeglogError('SEGLOG_STALE_DELIVERY', `delivery ${attempt} of message ${offset} is not held by this worker`, {});
      this.#writer.replyError(id, errorToWire(error));
      return;
    }
    // As a local `process` slot does: the worker is done with it, so the owner may deliver its
    // next message in the same record as this settle instead of one group commit later.
    if (kind !== 'extend') state.consumer.settling(offset);
    settleHeld(message, kind, options).then(
      () => {
        state.consumer.settleEnded(offset);
        if (kind !== 'extend') state.held.delete(offset);
        this.#writer.replyOk(id);
      },
      (error: unknown) => {
        state.consumer.settleEnded(offset);
        if (isSeglogError(error, 'SEGLOG_STALE_DELIVERY')) state.held.delete(offset);
        this.#writer.replyError(id, errorToWire(error));
      },
    );
  }
}

type SettleOptions = { delayMs?: number; reason?: string; extendMs?: number };

function settleHeld(message: QueueMessage, kind: SettleKind, options: SettleOptions): Promise<void> {
  if (kind === 'ack') return message.ack();
  if (kind === 'nak') return message.nak(options);
  if (kind === 'term') return message.term(options);
  return message.inProgress(options);
}
