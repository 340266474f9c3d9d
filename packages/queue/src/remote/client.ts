/**
 * One job: a worker's side of the local socket (server.ts): `connectQueue({ path })` returns a
 * RemoteQueue whose `consumer(group, options)` behaves as a local Consumer (`for await`,
 * `next()`, `process(handler)`, `close()`), and whose `enqueue` resolves once durable.
 *
 * Messages have the local shape and settles: `ack`, `nak`, `term`, `inProgress`, each resolving
 * once the owner made its record durable, or rejecting with SEGLOG_STALE_DELIVERY when the owner
 * refused the token. `msg.signal` aborts when the owner reports the lease lapsed, or when the
 * connection is lost (the lease then lapses in the owner and the message is redelivered). After a
 * lapse a settle is refused here at once, as locally. A lost connection rejects every pending
 * request with SEGLOG_CLOSED and ends every consumer.
 */
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { ErrorCodes, SeglogError } from '@seglog/types';
import type { ErrorCode } from '@seglog/types';
import type { Receipt } from '../queue/queue.js';
import type { ConsumerOptions, EnqueueOptions } from '../queue/options.js';
import type { DeadLetterInfo } from '../queue/commands.js';
import { encodeFrame } from './frames.js';
import { readFrames } from './frame-socket.js';
import type { Frame } from './frames.js';

export interface ConnectOptions {
  /** The owner's socket: `<queue dir>/queue.sock` unless it chose another path. */
  readonly path: string;
}

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void };
type SettleKind = 'ack' | 'nak' | 'term' | 'extend';

export async function connectQueue(options: ConnectOptions): Promise<RemoteQueue> {
  if (typeof options?.path !== 'string' || options.path === '') throw SeglogError.invalidOption('path', 'must be a socket path');
  const socket = connect(options.path);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', (error) => reject(SeglogError.io('connect', options.path, error)));
  });
  return new RemoteQueue(socket);
}

export class RemoteQueue {
  readonly #socket: Socket;
  readonly #pending = new Map<number, Pending>();
  readonly #consumers = new Map<number, RemoteConsumer>();
  #nextId = 1;
  #closed = false;

  constructor(socket: Socket) {
    this.#socket = socket;
    readFrames(socket, (frame) => this.#handle(frame), () => this.#lost());
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Appends one message through the owner; resolves once it is durable. */
  async enqueue(payload: Uint8Array, options: EnqueueOptions = {}): Promise<Receipt> {
    if (!(payload instanceof Uint8Array)) throw new TypeError('payload must be a Uint8Array');
    return (await this.request({ op: 'enqueue', options }, payload)) as Receipt;
  }

  /** A consumer of `group` in the owner, driven from here. */
  consumer(group: string, options: ConsumerOptions = {}): RemoteConsumer {
    if (this.#closed) throw SeglogError.closed('queue connection');
    const cid = this.#nextId++;
    const consumer = new RemoteConsumer(this, cid, group, options.concurrency ?? 1);
    this.#consumers.set(cid, consumer);
    consumer.ready = this.request({ op: 'consume', cid, group, options }).then(() => undefined);
    consumer.ready.catch(() => consumer.end());
    return consumer;
  }

  /** Ends the connection; the owner closes this worker's consumers, and what they held lapses. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#socket.end();
    await new Promise<void>((resolve) => (this.#socket.destroyed ? resolve() : this.#socket.once('close', () => resolve())));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** @internal */
  send(header: Record<string, unknown>, body?: Uint8Array): void {
    if (!this.#closed) this.#socket.write(encodeFrame(header, body));
  }

  /** @internal A request with an id; resolves with the owner's reply. */
  request(header: Record<string, unknown>, body?: Uint8Array): Promise<unknown> {
    if (this.#closed) return Promise.reject(SeglogError.closed('queue connection'));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.send({ ...header, id }, body);
    });
  }

  #handle(frame: Frame): void {
    const h = frame.header;
    if (h.op === 'reply') {
      const pending = this.#pending.get(Number(h.id));
      this.#pending.delete(Number(h.id));
      const error = h.error as { code: string; message: string } | undefined;
      if (error === undefined) pending?.resolve(h.result);
      else pending?.reject(new SeglogError(error.code as ErrorCode, error.message, {}));
      return;
    }
    const consumer = this.#consumers.get(Number(h.cid));
    if (h.op === 'msg') consumer?.deliver(new RemoteMessage(this, Number(h.cid), h, frame.body));
    else if (h.op === 'lapse') consumer?.lapsed(Number(h.offset), Number(h.attempt));
    else if (h.op === 'end') consumer?.end();
  }

  #lost(): void {
    this.#closed = true;
    const error = SeglogError.closed('queue connection');
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
    for (const consumer of this.#consumers.values()) consumer.lost();
    this.#consumers.clear();
  }
}

export class RemoteMessage {
  readonly payload: Uint8Array;
  readonly offset: number;
  readonly deliveryCount: number;
  readonly group: string;
  readonly key: string | undefined;
  readonly priority: number;
  readonly enqueuedAtMs: number;
  readonly deadLetter: DeadLetterInfo | undefined;
  readonly signal: AbortSignal;
  readonly #controller = new AbortController();
  readonly #queue: RemoteQueue;
  readonly #cid: number;
  #deadlineMs: number;
  /** @internal Set by the consumer: forget this message once it is settled. */
  released: () => void = () => undefined;

  constructor(queue: RemoteQueue, cid: number, h: Readonly<Record<string, unknown>>, payload: Uint8Array) {
    this.#queue = queue;
    this.#cid = cid;
    this.payload = payload;
    this.offset = Number(h.offset);
    this.deliveryCount = Number(h.attempt);
    this.group = String(h.group);
    this.key = typeof h.key === 'string' ? h.key : undefined;
    this.priority = Number(h.priority);
    this.enqueuedAtMs = Number(h.enqueuedAtMs);
    this.deadLetter = (h.deadLetter ?? undefined) as DeadLetterInfo | undefined;
    this.#deadlineMs = Number(h.deadlineMs);
    this.signal = this.#controller.signal;
  }

  get token(): { offset: number; attempt: number } {
    return { offset: this.offset, attempt: this.deliveryCount };
  }

  get deadlineMs(): number {
    return this.#deadlineMs;
  }

  ack(): Promise<void> {
    return this.#settle('ack', {});
  }

  nak(options: { delayMs?: number } = {}): Promise<void> {
    return this.#settle('nak', options);
  }

  term(options: { reason?: string } = {}): Promise<void> {
    return this.#settle('term', options);
  }

  inProgress(options: { extendMs?: number } = {}): Promise<void> {
    return this.#settle('extend', options);
  }

  /** @internal */
  abort(reason: string): void {
    this.#controller.abort(new Error(reason));
  }

  async #settle(kind: SettleKind, options: Record<string, unknown>): Promise<void> {
    if (this.signal.aborted) {
      throw new SeglogError(ErrorCodes.STALE_DELIVERY, `delivery ${this.deliveryCount} of message ${this.offset} lapsed`, { offset: this.offset });
    }
    const header = { op: 'settle', cid: this.#cid, offset: this.offset, attempt: this.deliveryCount, kind, options };
    try {
      await this.#queue.request(header);
    } catch (error) {
      if (error instanceof SeglogError && error.code === ErrorCodes.STALE_DELIVERY) this.released();
      throw error;
    }
    if (kind !== 'extend') this.released();
  }
}

export class RemoteConsumer implements AsyncIterable<RemoteMessage> {
  readonly group: string;
  readonly concurrency: number;
  readonly #queue: RemoteQueue;
  readonly #cid: number;
  readonly #buffer: RemoteMessage[] = [];
  readonly #waiters: ((result: IteratorResult<RemoteMessage>) => void)[] = [];
  /** Handed to the caller, not yet settled, by offset. */
  readonly #held = new Map<number, RemoteMessage>();
  #ended = false;
  /** Resolves once the owner has made the consumer (its group created if new). */
  ready: Promise<void> = Promise.resolve();
  handlerErrors = 0;

  constructor(queue: RemoteQueue, cid: number, group: string, concurrency: number) {
    this.#queue = queue;
    this.#cid = cid;
    this.group = group;
    this.concurrency = concurrency;
  }

  next(): Promise<IteratorResult<RemoteMessage>> {
    const buffered = this.#buffer.shift();
    if (buffered !== undefined) {
      this.#held.set(buffered.offset, buffered);
      return Promise.resolve({ value: buffered, done: false });
    }
    if (this.#ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.#waiters.push(resolve);
      // One pull per waiter: the owner delivers only what someone here can take.
      this.#queue.send({ op: 'pull', cid: this.#cid, n: 1 });
    });
  }

  [Symbol.asyncIterator](): AsyncIterator<RemoteMessage> {
    return {
      next: () => this.next(),
      return: async () => {
        this.close();
        return { value: undefined, done: true };
      },
    };
  }

  /** As Consumer.process: up to `concurrency` handlers; return acks, throw naks. */
  async process(handler: (message: RemoteMessage) => unknown): Promise<void> {
    await this.ready;
    const slot = async (): Promise<void> => {
      for (let next = await this.next(); next.done !== true; next = await this.next()) {
        const message = next.value;
        let failed = false;
        try {
          await handler(message);
        } catch {
          failed = true;
        }
        if (message.signal.aborted) continue;
        await (failed ? message.nak() : message.ack()).catch((error: unknown) => {
          if (!(error instanceof SeglogError)) throw error;
          this.handlerErrors++;
        });
      }
    };
    await Promise.all(Array.from({ length: this.concurrency }, slot));
  }

  close(): void {
    if (this.#ended) return;
    this.#queue.send({ op: 'close-consumer', cid: this.#cid });
    this.end();
  }

  /** @internal */
  deliver(message: RemoteMessage): void {
    message.released = () => void this.#held.delete(message.offset);
    const waiter = this.#waiters.shift();
    if (waiter === undefined) {
      this.#buffer.push(message);
      return;
    }
    this.#held.set(message.offset, message);
    waiter({ value: message, done: false });
  }

  /** @internal */
  lapsed(offset: number, attempt: number): void {
    const held = this.#held.get(offset) ?? this.#buffer.find((message) => message.offset === offset);
    if (held === undefined || held.deliveryCount !== attempt) return;
    this.#held.delete(offset);
    held.abort(`lease of message ${offset} delivery ${attempt} lapsed`);
  }

  /** @internal The owner ended this consumer (or the queue is closing). */
  end(): void {
    this.#ended = true;
    for (const waiter of this.#waiters.splice(0)) waiter({ value: undefined, done: true });
  }

  /** @internal The connection is gone: held messages will lapse in the owner. */
  lost(): void {
    for (const message of this.#held.values()) message.abort('connection to the queue owner lost');
    this.#held.clear();
    this.end();
  }
}
