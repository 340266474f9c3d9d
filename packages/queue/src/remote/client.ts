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
import { BATCH_OP, BatchWriter, readWorkerBatch } from './wire.js';
import type { SettleKind, WireDelivery, WorkerOps } from './wire.js';

export interface ConnectOptions {
  /** The owner's socket: `<queue dir>/queue.sock` unless it chose another path. */
  readonly path: string;
}

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void };

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
  readonly #writer: BatchWriter;
  readonly #pending = new Map<number, Pending>();
  readonly #consumers = new Map<number, RemoteConsumer>();
  #nextId = 1;
  #closed = false;
  readonly #ops: WorkerOps = {
    reply: (id, result, error) => this.#reply(id, result, error),
    msg: (cid, delivery, payload) => {
      const consumer = this.#consumers.get(cid);
      consumer?.deliver(new RemoteMessage(this, cid, consumer.group, delivery, payload));
    },
    lapse: (cid, offset, attempt) => this.#consumers.get(cid)?.lapsed(offset, attempt),
    end: (cid) => this.#consumers.get(cid)?.end(),
  };

  constructor(socket: Socket) {
    this.#socket = socket;
    this.#writer = new BatchWriter(socket);
    readFrames(socket, (frame) => this.#handle(frame), () => this.#lost());
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Appends one message through the owner; resolves once it is durable. The payload is copied
   * into this turn's batch at once, so the caller may reuse its buffer.
   */
  enqueue(payload: Uint8Array, options: EnqueueOptions = {}): Promise<Receipt> {
    if (!(payload instanceof Uint8Array)) return Promise.reject(new TypeError('payload must be a Uint8Array'));
    if (this.#closed) return Promise.reject(SeglogError.closed('queue connection'));
    const id = this.#nextId++;
    const promise = new Promise<unknown>((resolve, reject) => this.#pending.set(id, { resolve, reject }));
    this.#writer.enqueue(id, optionsJson(options), payload);
    return promise as Promise<Receipt>;
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
    this.#writer.flush();
    this.#socket.end();
    await new Promise<void>((resolve) => (this.#socket.destroyed ? resolve() : this.#socket.once('close', () => resolve())));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** @internal A JSON frame, after every batched operation before it. */
  send(header: Record<string, unknown>, body?: Uint8Array): void {
    if (!this.#closed) this.#writer.frame(encodeFrame(header, body));
  }

  /** @internal One more delivery wanted by consumer `cid` (batched with the turn's other operations). */
  pull(cid: number): void {
    if (!this.#closed) this.#writer.pull(cid, 1);
  }

  /** @internal A settle with its delivery token; resolves once the owner's record is durable. */
  settle(
    cid: number,
    offset: number,
    attempt: number,
    kind: SettleKind,
    options: Record<string, unknown>,
  ): Promise<unknown> {
    if (this.#closed) return Promise.reject(SeglogError.closed('queue connection'));
    const id = this.#nextId++;
    const promise = new Promise<unknown>((resolve, reject) => this.#pending.set(id, { resolve, reject }));
    this.#writer.settle(id, cid, offset, attempt, kind, optionsJson(options));
    return promise;
  }

  /** @internal A request with an id, as a JSON frame; resolves with the owner's reply. */
  request(header: Record<string, unknown>, body?: Uint8Array): Promise<unknown> {
    if (this.#closed) return Promise.reject(SeglogError.closed('queue connection'));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.send({ ...header, id }, body);
    });
  }

  #reply(id: number, result: unknown, error: { code: string; message: string } | undefined): void {
    const pending = this.#pending.get(id);
    this.#pending.delete(id);
    if (error === undefined) pending?.resolve(result);
    else pending?.reject(new SeglogError(error.code as ErrorCode, error.message, {}));
  }

  #handle(frame: Frame): void {
    const h = frame.header;
    if (h.op === BATCH_OP) {
      try {
        readWorkerBatch(frame.body, this.#ops);
      } catch {
        // A batch that does not parse: the stream cannot be trusted past it.
        this.#socket.destroy();
      }
      return;
    }
    if (h.op === 'reply') this.#reply(Number(h.id), h.result, h.error as { code: string; message: string } | undefined);
    else this.#socket.destroy();
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

/** Options as JSON, or '' for none (the common case costs no JSON.stringify). */
function optionsJson(options: object): string {
  for (const _ in options) return JSON.stringify(options);
  return '';
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
  /** Made on first use of `signal`, as for a local message. */
  #controller: AbortController | null = null;
  #abortReason: Error | null = null;
  readonly #queue: RemoteQueue;
  readonly #cid: number;
  #deadlineMs: number;
  /** @internal Set by the consumer: forget this message once it is settled. */
  released: () => void = () => undefined;

  constructor(queue: RemoteQueue, cid: number, group: string, d: WireDelivery, payload: Uint8Array) {
    this.#queue = queue;
    this.#cid = cid;
    this.payload = payload;
    this.offset = d.offset;
    this.deliveryCount = d.attempt;
    this.group = group;
    this.key = d.key;
    this.priority = d.priority;
    this.enqueuedAtMs = d.enqueuedAtMs;
    this.deadLetter = (d.deadLetter ?? undefined) as DeadLetterInfo | undefined;
    this.#deadlineMs = d.deadlineMs;
  }

  /** Aborts when the owner reports the lease lapsed, or the connection is lost. */
  get signal(): AbortSignal {
    if (this.#controller === null) {
      this.#controller = new AbortController();
      if (this.#abortReason !== null) this.#controller.abort(this.#abortReason);
    }
    return this.#controller.signal;
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
  get aborted(): boolean {
    return this.#abortReason !== null;
  }

  /** @internal */
  abort(reason: string): void {
    if (this.#abortReason !== null) return;
    this.#abortReason = new Error(reason);
    this.#controller?.abort(this.#abortReason);
  }

  async #settle(kind: SettleKind, options: Record<string, unknown>): Promise<void> {
    if (this.#abortReason !== null) {
      throw new SeglogError(ErrorCodes.STALE_DELIVERY, `delivery ${this.deliveryCount} of message ${this.offset} lapsed`, { offset: this.offset });
    }
    try {
      await this.#queue.settle(this.#cid, this.offset, this.deliveryCount, kind, options);
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
      this.#queue.pull(this.#cid);
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

  /**
   * As Consumer.process: up to `concurrency` handlers; return acks, throw naks. A slot takes its
   * next message while the settle of the last one is on its way (the owner then delivers in the
   * same record as that settle); `process` resolves once every settle it started has ended.
   */
  async process(handler: (message: RemoteMessage) => unknown): Promise<void> {
    await this.ready;
    const settles = new Set<Promise<void>>();
    const slot = async (): Promise<void> => {
      for (let next = await this.next(); next.done !== true; next = await this.next()) {
        const message = next.value;
        let failed = false;
        try {
          await handler(message);
        } catch {
          failed = true;
        }
        if (message.aborted) continue;
        const settle = (failed ? message.nak() : message.ack()).catch((error: unknown) => {
          if (!(error instanceof SeglogError)) throw error;
          this.handlerErrors++;
        });
        settles.add(settle);
        void settle.finally(() => settles.delete(settle));
      }
    };
    await Promise.all(Array.from({ length: this.concurrency }, slot));
    await Promise.all(settles);
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
