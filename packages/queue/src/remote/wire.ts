/**
 * One job: the binary operations of the queue's socket protocol, and the writer that batches them.
 *
 * The hot operations (enqueue, pull, settle one way; reply, delivery, lapse, end the other) are not
 * one JSON frame each: every operation of one event-loop turn goes into one frame whose JSON
 * header is the constant `{"op":"b"}` and whose body is the operations back to back, each a u8
 * code and fixed little-endian fields (offsets as f64: exact up to 2^53), with JSON only for
 * what is rare (enqueue options, settle options, a key, dead-letter facts, an error). So a turn
 * that acknowledges 64 enqueues costs one socket write and no JSON.stringify per message.
 *
 * Ordering: a JSON frame sent through the same writer first flushes the operations before it, so
 * the peer sees everything in the order it was sent.
 */
import { SeglogError } from '@seglog/types';
import { frameBytesMax } from './frames.js';

/** Operation codes inside a batch frame. */
export const Op = {
  enqueue: 1,
  pull: 2,
  settle: 3,
  replyOk: 10,
  replyReceipt: 11,
  replyError: 12,
  msg: 13,
  lapse: 14,
  end: 15,
} as const;

export const settleKinds = ['ack', 'nak', 'term', 'extend'] as const;
export type SettleKind = (typeof settleKinds)[number];

/** The header of every batch frame. */
export const BATCH_OP = 'b';
const batchHeader = new TextEncoder().encode(JSON.stringify({ op: BATCH_OP }));
/** u32 frame length, u32 header length, the header: then the operations. */
const prefixBytes = 8 + batchHeader.byteLength;
/** A batch this large is written at once rather than at the end of the turn. */
const batchFlushBytes = 1024 * 1024;
const initialBatchBytes = 16 * 1024;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Where a writer's frames go: a socket (tests pass anything that collects them). */
export interface FrameSink {
  write(bytes: Uint8Array): unknown;
  readonly destroyed: boolean;
}

/**
 * Collects operations for one socket and writes them as one frame per event-loop turn (from
 * `setImmediate`, after the turn's I/O callbacks and the promise reactions they started).
 */
export class BatchWriter {
  readonly #socket: FrameSink;
  #bytes: Buffer = Buffer.allocUnsafe(initialBatchBytes);
  #length = prefixBytes;
  #scheduled = false;

  constructor(socket: FrameSink) {
    this.#socket = socket;
  }

  /** Sends a whole frame (a JSON one) after every operation written before it. */
  frame(bytes: Uint8Array): void {
    this.flush();
    if (!this.#socket.destroyed) this.#socket.write(bytes);
  }

  /** Writes the pending operations now, as one frame. */
  flush(): void {
    if (this.#length === prefixBytes) return;
    const bytes = this.#bytes;
    bytes.writeUInt32LE(this.#length - 4, 0);
    bytes.writeUInt32LE(batchHeader.byteLength, 4);
    bytes.set(batchHeader, 8);
    const frame = bytes.subarray(0, this.#length);
    // The socket keeps the buffer until written: the next batch starts in a fresh one.
    this.#bytes = Buffer.allocUnsafe(Math.max(initialBatchBytes, this.#length));
    this.#length = prefixBytes;
    if (!this.#socket.destroyed) this.#socket.write(frame);
  }

  /** Room for `n` more bytes; returns where they start. */
  #reserve(n: number): number {
    const at = this.#length;
    if (at + n > this.#bytes.byteLength) {
      if (at + n > frameBytesMax) throw SeglogError.invalidOption('payload', `an operation of ${n} bytes exceeds a socket frame`);
      const grown = Buffer.allocUnsafe(Math.max(2 * this.#bytes.byteLength, at + n));
      this.#bytes.copy(grown, 0, 0, at);
      this.#bytes = grown;
    }
    this.#length = at + n;
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        this.flush();
      });
    }
    return at;
  }

  #after(): void {
    if (this.#length >= batchFlushBytes) this.flush();
  }

  enqueue(id: number, options: string, payload: Uint8Array): void {
    const opts = options === '' ? EMPTY : encoder.encode(options);
    const at = this.#reserve(13 + opts.byteLength + payload.byteLength);
    const b = this.#bytes;
    b[at] = Op.enqueue;
    b.writeUInt32LE(id, at + 1);
    b.writeUInt32LE(opts.byteLength, at + 5);
    b.set(opts, at + 9);
    const p = at + 9 + opts.byteLength;
    b.writeUInt32LE(payload.byteLength, p);
    b.set(payload, p + 4);
    this.#after();
  }

  pull(cid: number, n: number): void {
    const at = this.#reserve(9);
    this.#bytes[at] = Op.pull;
    this.#bytes.writeUInt32LE(cid, at + 1);
    this.#bytes.writeUInt32LE(n, at + 5);
  }

  settle(id: number, cid: number, offset: number, attempt: number, kind: SettleKind, options: string): void {
    const opts = options === '' ? EMPTY : encoder.encode(options);
    const at = this.#reserve(26 + opts.byteLength);
    const b = this.#bytes;
    b[at] = Op.settle;
    b.writeUInt32LE(id, at + 1);
    b.writeUInt32LE(cid, at + 5);
    b.writeDoubleLE(offset, at + 9);
    b.writeUInt32LE(attempt, at + 17);
    b[at + 21] = settleKinds.indexOf(kind);
    b.writeUInt32LE(opts.byteLength, at + 22);
    b.set(opts, at + 26);
  }

  replyOk(id: number): void {
    const at = this.#reserve(5);
    this.#bytes[at] = Op.replyOk;
    this.#bytes.writeUInt32LE(id, at + 1);
  }

  replyReceipt(id: number, offset: number, duplicate: boolean): void {
    const at = this.#reserve(14);
    const b = this.#bytes;
    b[at] = Op.replyReceipt;
    b.writeUInt32LE(id, at + 1);
    b.writeDoubleLE(offset, at + 5);
    b[at + 13] = duplicate ? 1 : 0;
  }

  replyError(id: number, error: { code: string; message: string }): void {
    const json = encoder.encode(JSON.stringify(error));
    const at = this.#reserve(9 + json.byteLength);
    const b = this.#bytes;
    b[at] = Op.replyError;
    b.writeUInt32LE(id, at + 1);
    b.writeUInt32LE(json.byteLength, at + 5);
    b.set(json, at + 9);
    this.#after();
  }

  msg(cid: number, m: WireDelivery, payload: Uint8Array): void {
    const plain = m.key === undefined && m.deadLetter === undefined;
    const meta = plain ? EMPTY : encoder.encode(JSON.stringify({ key: m.key, deadLetter: m.deadLetter }));
    const at = this.#reserve(49 + meta.byteLength + payload.byteLength);
    const b = this.#bytes;
    b[at] = Op.msg;
    b.writeUInt32LE(cid, at + 1);
    b.writeDoubleLE(m.offset, at + 5);
    b.writeUInt32LE(m.attempt, at + 13);
    b.writeDoubleLE(m.priority, at + 17);
    b.writeDoubleLE(m.enqueuedAtMs, at + 25);
    b.writeDoubleLE(m.deadlineMs, at + 33);
    b.writeUInt32LE(meta.byteLength, at + 41);
    b.set(meta, at + 45);
    const p = at + 45 + meta.byteLength;
    b.writeUInt32LE(payload.byteLength, p);
    b.set(payload, p + 4);
    this.#after();
  }

  lapse(cid: number, offset: number, attempt: number): void {
    const at = this.#reserve(17);
    const b = this.#bytes;
    b[at] = Op.lapse;
    b.writeUInt32LE(cid, at + 1);
    b.writeDoubleLE(offset, at + 5);
    b.writeUInt32LE(attempt, at + 13);
  }

  end(cid: number): void {
    const at = this.#reserve(5);
    this.#bytes[at] = Op.end;
    this.#bytes.writeUInt32LE(cid, at + 1);
  }
}

const EMPTY = new Uint8Array(0);

/** A delivery's fields as they cross the socket (the payload travels beside them). */
export interface WireDelivery {
  readonly offset: number;
  readonly attempt: number;
  readonly priority: number;
  readonly enqueuedAtMs: number;
  readonly deadlineMs: number;
  readonly key: string | undefined;
  readonly deadLetter: unknown;
}

/** What the owner does with the operations a worker sent. */
export interface OwnerOps {
  /** `options` is null when the worker sent none (the common case). */
  enqueue(id: number, options: Record<string, unknown> | null, payload: Uint8Array): void;
  /** The batch's operations have all been dispatched. */
  batchEnd(): void;
  pull(cid: number, n: number): void;
  settle(
    id: number,
    cid: number,
    offset: number,
    attempt: number,
    kind: SettleKind,
    options: Record<string, unknown>,
  ): void;
}

/** What a worker does with the operations the owner sent. */
export interface WorkerOps {
  reply(id: number, result: unknown, error: { code: string; message: string } | undefined): void;
  msg(cid: number, delivery: WireDelivery, payload: Uint8Array): void;
  lapse(cid: number, offset: number, attempt: number): void;
  end(cid: number): void;
}

/** Reads a batch body; the operations must be whole and known, or the stream is corrupt. */
class Cursor {
  readonly b: Buffer;
  at = 0;

  constructor(body: Uint8Array) {
    this.b = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  }

  need(n: number): number {
    const at = this.at;
    if (at + n > this.b.byteLength) throw SeglogError.corrupt('queue socket batch cut short', {});
    this.at = at + n;
    return at;
  }

  u8(): number {
    return this.b[this.need(1)]!;
  }

  u32(): number {
    return this.b.readUInt32LE(this.need(4));
  }

  f64(): number {
    return this.b.readDoubleLE(this.need(8));
  }

  /**
   * A view (not a copy): the batch body is the reader's own copy of the stream. A plain
   * Uint8Array, not a Buffer: Buffer#slice is a view, and the queue's payload cache (and any
   * handler) relies on `slice()` making a copy.
   */
  bytes(): Uint8Array {
    const n = this.u32();
    const at = this.need(n);
    return new Uint8Array(this.b.buffer, this.b.byteOffset + at, n);
  }

  json(): Record<string, unknown> {
    return this.jsonOrNull() ?? {};
  }

  jsonOrNull(): Record<string, unknown> | null {
    const n = this.u32();
    if (n === 0) return null;
    const at = this.need(n);
    return JSON.parse(decoder.decode(this.b.subarray(at, at + n))) as Record<string, unknown>;
  }
}

function unknownOp(op: number): never {
  throw SeglogError.corrupt(`queue socket operation ${op} unknown`, {});
}

/** Dispatches a batch from a worker. Throws SEGLOG_CORRUPT on a malformed batch. */
export function readOwnerBatch(body: Uint8Array, ops: OwnerOps): void {
  const c = new Cursor(body);
  while (c.at < c.b.byteLength) {
    const op = c.u8();
    if (op === Op.enqueue) {
      const id = c.u32();
      const options = c.jsonOrNull();
      ops.enqueue(id, options, c.bytes());
    } else if (op === Op.pull) {
      const cid = c.u32();
      ops.pull(cid, c.u32());
    } else if (op === Op.settle) {
      const id = c.u32();
      const cid = c.u32();
      const offset = c.f64();
      const attempt = c.u32();
      const kind = settleKinds[c.u8()];
      if (kind === undefined) throw SeglogError.corrupt('queue socket settle of unknown kind', {});
      ops.settle(id, cid, offset, attempt, kind, c.json());
    } else {
      unknownOp(op);
    }
  }
  ops.batchEnd();
}

/** Dispatches a batch from the owner. Throws SEGLOG_CORRUPT on a malformed batch. */
export function readWorkerBatch(body: Uint8Array, ops: WorkerOps): void {
  const c = new Cursor(body);
  while (c.at < c.b.byteLength) {
    const op = c.u8();
    if (op === Op.replyOk) ops.reply(c.u32(), null, undefined);
    else if (op === Op.replyReceipt) {
      const id = c.u32();
      const offset = c.f64();
      ops.reply(id, { offset, duplicate: c.u8() === 1 }, undefined);
    } else if (op === Op.replyError) {
      const id = c.u32();
      ops.reply(id, undefined, c.json() as { code: string; message: string });
    } else if (op === Op.msg) readDelivery(c, ops);
    else if (op === Op.lapse) {
      const cid = c.u32();
      const offset = c.f64();
      ops.lapse(cid, offset, c.u32());
    } else if (op === Op.end) ops.end(c.u32());
    else unknownOp(op);
  }
}

function readDelivery(c: Cursor, ops: WorkerOps): void {
  const cid = c.u32();
  const offset = c.f64();
  const attempt = c.u32();
  const priority = c.f64();
  const enqueuedAtMs = c.f64();
  const deadlineMs = c.f64();
  const meta = c.json();
  const key = typeof meta.key === 'string' ? meta.key : undefined;
  ops.msg(cid, { offset, attempt, priority, enqueuedAtMs, deadlineMs, key, deadLetter: meta.deadLetter }, c.bytes());
}
