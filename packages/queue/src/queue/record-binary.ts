/**
 * One job: the binary bytes of a queue record (version 3), the layout every record has been
 * written in since it replaced the JSON header (record-json.ts still reads those).
 *
 * Why binary: the end-to-end profile spent more time in JSON.stringify of the headers and in the
 * garbage it made than in the log's write path. Here a record is encoded by one pass of
 * DataView writes into a reused scratch buffer and one copy, and a group name that every
 * delivery and ack of the turn repeats is stored once.
 *
 * Layout, little endian (docs/queue.md has the same table):
 *   u32 marker 0xFFFFFF03: a JSON record starts with its header's length, which is never this big
 *   u32 strings S, then S x (u32 UTF-8 length, bytes): the record's distinct strings
 *   u32 transactions T, then T x u32 commands in each
 *   the commands, each a u8 tag and its fields (strings as u32 indexes into the table, offsets
 *   and times as f64, which holds every safe integer exactly, attempts as u32)
 *   the enqueue payloads, back to back
 */
import { SeglogError } from '@seglog/types';
import { ByteReader, ByteWriter } from './byte-io.js';
import type { Command, DeadLetterInfo, EnqueueCommand } from './commands.js';

export const BINARY_MARKER = 0xffffff03;

const TAG = { enq: 1, group: 2, deliver: 3, ack: 4, nak: 5, extend: 6, retire: 7, pause: 8, redrive: 9 } as const;

/** Which optional fields an enqueue carries. */
const ENQ_KEY = 1;
const ENQ_DEDUP = 2;
const ENQ_TARGET = 4;
const ENQ_REF = 8;
const ENQ_DEAD = 16;
const ENQ_PAYLOAD = 32;
const ENQ_DEDUP_UNTIL = 64;

const encoder = new TextEncoder();

/** The command section is written here first (its size is known only at the end), then copied once. */
const scratch = new ByteWriter(64 * 1024);

/** The record's string table: each distinct string once, in first-use order. */
class Strings {
  readonly index = new Map<string, number>();
  readonly encoded: Uint8Array[] = [];
  bytes = 0;

  of(value: string): number {
    let found = this.index.get(value);
    if (found === undefined) {
      found = this.encoded.length;
      const utf8 = encoder.encode(value);
      this.index.set(value, found);
      this.encoded.push(utf8);
      this.bytes += 4 + utf8.byteLength;
    }
    return found;
  }
}

/** Bytes of one record holding `transactions`, each applied (and fenced) on its own. */
export function encodeBinary(transactions: readonly (readonly Command[])[]): Uint8Array {
  const strings = new Strings();
  scratch.at = 0;
  let payloadBytes = 0;
  for (const commands of transactions) {
    for (const command of commands) {
      payloadBytes += writeCommand(command, strings);
    }
  }
  const headBytes = 4 + 4 + strings.bytes + 4 + 4 * transactions.length;
  const bytes = new Uint8Array(headBytes + scratch.at + payloadBytes);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, BINARY_MARKER, true);
  view.setUint32(4, strings.encoded.length, true);
  let at = 8;
  for (const utf8 of strings.encoded) {
    view.setUint32(at, utf8.byteLength, true);
    bytes.set(utf8, at + 4);
    at += 4 + utf8.byteLength;
  }
  view.setUint32(at, transactions.length, true);
  at += 4;
  for (const commands of transactions) {
    view.setUint32(at, commands.length, true);
    at += 4;
  }
  bytes.set(scratch.bytes.subarray(0, scratch.at), at);
  at += scratch.at;
  if (payloadBytes > 0) copyPayloads(transactions, bytes, at);
  return bytes;
}

/**
 * Copies each enqueue's payload into the record and points the command at that copy: the record's
 * bytes are never written again once encoded, so the view serves the payload cache (and a
 * delivery that takes it) without a second copy, and the caller's buffer is released at once.
 */
function copyPayloads(transactions: readonly (readonly Command[])[], bytes: Uint8Array, start: number): void {
  let at = start;
  for (const commands of transactions) {
    for (const command of commands) {
      if (command.t !== 'enq' || command.payload === undefined) continue;
      const length = command.payload.byteLength;
      bytes.set(command.payload, at);
      command.payload = bytes.subarray(at, at + length);
      at += length;
    }
  }
}

/** Writes one command into the scratch buffer; returns its payload's byte length. */
function writeCommand(command: Command, strings: Strings): number {
  scratch.reserve(64);
  switch (command.t) {
    case 'enq':
      return writeEnqueue(command, strings);
    case 'group':
      scratch.u8(TAG.group);
      scratch.u32(strings.of(command.g));
      scratch.u8(command.from === 'latest' ? 1 : 0);
      scratch.f64(command.at);
      return 0;
    case 'deliver':
    case 'extend':
      scratch.u8(TAG[command.t]);
      writeFence(command.g, command.seq, command.attempt, strings);
      scratch.f64(command.deadline);
      return 0;
    case 'ack':
      scratch.u8(TAG.ack);
      writeFence(command.g, command.seq, command.attempt, strings);
      return 0;
    case 'nak':
      scratch.u8(TAG.nak);
      writeFence(command.g, command.seq, command.attempt, strings);
      scratch.f64(command.notBefore);
      return 0;
    case 'retire':
      scratch.u8(TAG.retire);
      scratch.u8(command.deadLetter === undefined ? 0 : 1);
      writeFence(command.g, command.seq, command.attempt, strings);
      scratch.u32(strings.of(command.reason));
      if (command.deadLetter !== undefined) scratch.u32(strings.of(command.deadLetter));
      scratch.f64(command.at);
      return 0;
    case 'pause':
      scratch.u8(TAG.pause);
      scratch.u32(strings.of(command.g));
      scratch.u8(command.paused ? 1 : 0);
      return 0;
    case 'redrive':
      scratch.u8(TAG.redrive);
      scratch.u32(strings.of(command.g));
      scratch.f64(command.seq);
      scratch.f64(command.at);
      return 0;
  }
}

function writeFence(group: string, seq: number, attempt: number, strings: Strings): void {
  scratch.u32(strings.of(group));
  scratch.f64(seq);
  scratch.u32(attempt);
}

function writeEnqueue(command: EnqueueCommand, strings: Strings): number {
  let flags = 0;
  if (command.key !== undefined) flags |= ENQ_KEY;
  if (command.dedup !== undefined) flags |= ENQ_DEDUP;
  if (command.dedupUntil !== undefined) flags |= ENQ_DEDUP_UNTIL;
  if (command.target !== undefined) flags |= ENQ_TARGET;
  if (command.ref !== undefined) flags |= ENQ_REF;
  if (command.dead !== undefined) flags |= ENQ_DEAD;
  if (command.payload !== undefined) flags |= ENQ_PAYLOAD;
  scratch.u8(TAG.enq);
  scratch.u8(flags);
  scratch.u8(command.prio);
  scratch.f64(command.at);
  scratch.f64(command.notBefore);
  if (command.key !== undefined) scratch.u32(strings.of(command.key));
  if (command.dedup !== undefined) scratch.u32(strings.of(command.dedup));
  if (command.dedupUntil !== undefined) scratch.f64(command.dedupUntil);
  if (command.target !== undefined) scratch.u32(strings.of(command.target));
  if (command.ref !== undefined) {
    scratch.f64(command.ref[0]);
    scratch.u32(command.ref[1]);
  }
  if (command.dead !== undefined) {
    scratch.u32(strings.of(command.dead.origin));
    scratch.f64(command.dead.originOffset);
    scratch.u32(command.dead.deliveries);
    scratch.u32(strings.of(command.dead.reason));
  }
  if (command.payload === undefined) return 0;
  scratch.u32(command.payload.byteLength);
  return command.payload.byteLength;
}

/** Reads a binary record; anything that does not add up is SEGLOG_CORRUPT naming the offset. */
export function decodeBinary(bytes: Uint8Array, offset: number): Command[][] {
  try {
    return new BinaryReader(bytes, offset).record();
  } catch (error) {
    if (error instanceof SeglogError) throw error;
    // A DataView read past the end (RangeError) or bad UTF-8 (TypeError): the record is damaged.
    throw SeglogError.corrupt(`queue record ${offset} is damaged: ${String(error)}`, { offset, cause: error });
  }
}

class BinaryReader {
  readonly #in: ByteReader;
  readonly #offset: number;
  #strings: string[] = [];
  #payloadAt = 0;

  constructor(bytes: Uint8Array, offset: number) {
    this.#in = new ByteReader(bytes, 4);
    this.#offset = offset;
  }

  record(): Command[][] {
    const stringCount = this.#u32();
    if (stringCount * 4 > this.#in.remaining) throw this.#bad(`has a bad string count ${stringCount}`);
    for (let i = 0; i < stringCount; i++) this.#strings.push(this.#in.string());
    const transactionCount = this.#u32();
    if (transactionCount < 1 || 4 * transactionCount > this.#in.remaining) {
      throw this.#bad(`has a bad transaction count ${transactionCount}`);
    }
    const counts: number[] = [];
    for (let i = 0; i < transactionCount; i++) counts.push(this.#u32());
    if (counts.some((count) => count < 1)) throw this.#bad('has an empty transaction');
    const pending: { command: Command; length: number }[] = [];
    const transactions = counts.map((count) => {
      const commands: Command[] = [];
      for (let i = 0; i < count; i++) commands.push(this.#command(pending));
      return commands;
    });
    this.#payloadAt = this.#in.at;
    for (const entry of pending) this.#attachPayload(entry.command as { payload?: Uint8Array }, entry.length);
    if (this.#payloadAt !== this.#in.bytes.byteLength) throw this.#bad('has bytes after its payloads');
    return transactions;
  }

  #attachPayload(command: { payload?: Uint8Array }, length: number): void {
    if (this.#payloadAt + length > this.#in.bytes.byteLength) throw this.#bad('has payloads past its end');
    command.payload = this.#in.bytes.subarray(this.#payloadAt, this.#payloadAt + length);
    this.#payloadAt += length;
  }

  #command(pending: { command: Command; length: number }[]): Command {
    const tag = this.#u8();
    switch (tag) {
      case TAG.enq:
        return this.#enqueue(pending);
      case TAG.group: {
        const g = this.#string();
        const from = this.#u8() === 1 ? 'latest' : 'earliest';
        return { t: 'group', g, from, at: this.#f64() };
      }
      case TAG.deliver:
      case TAG.extend: {
        const g = this.#string();
        const seq = this.#f64();
        const attempt = this.#u32();
        return { t: tag === TAG.deliver ? 'deliver' : 'extend', g, seq, attempt, deadline: this.#f64() };
      }
      case TAG.ack: {
        const g = this.#string();
        const seq = this.#f64();
        return { t: 'ack', g, seq, attempt: this.#u32() };
      }
      case TAG.nak: {
        const g = this.#string();
        const seq = this.#f64();
        const attempt = this.#u32();
        return { t: 'nak', g, seq, attempt, notBefore: this.#f64() };
      }
      case TAG.retire:
        return this.#retire();
      case TAG.pause: {
        const g = this.#string();
        return { t: 'pause', g, paused: this.#u8() === 1 };
      }
      case TAG.redrive: {
        const g = this.#string();
        const seq = this.#f64();
        return { t: 'redrive', g, seq, at: this.#f64() };
      }
      default:
        throw this.#bad(`has an unknown command tag ${tag}`);
    }
  }

  #retire(): Command {
    const toDeadLetter = this.#u8() === 1;
    const g = this.#string();
    const seq = this.#f64();
    const attempt = this.#u32();
    const reason = this.#string();
    const deadLetter = toDeadLetter ? this.#string() : undefined;
    const at = this.#f64();
    return { t: 'retire', g, seq, attempt, reason, ...(deadLetter === undefined ? {} : { deadLetter }), at };
  }

  #enqueue(pending: { command: Command; length: number }[]): Command {
    const flags = this.#u8();
    const prio = this.#u8();
    const at = this.#f64();
    const notBefore = this.#f64();
    const command: { -readonly [K in keyof EnqueueCommand]: EnqueueCommand[K] } = { t: 'enq', at, prio, notBefore };
    if ((flags & ENQ_KEY) !== 0) command.key = this.#string();
    if ((flags & ENQ_DEDUP) !== 0) command.dedup = this.#string();
    if ((flags & ENQ_DEDUP_UNTIL) !== 0) command.dedupUntil = this.#f64();
    if ((flags & ENQ_TARGET) !== 0) command.target = this.#string();
    if ((flags & ENQ_REF) !== 0) command.ref = [this.#f64(), this.#u32()];
    if ((flags & ENQ_DEAD) !== 0) command.dead = this.#dead();
    if ((flags & ENQ_PAYLOAD) !== 0) pending.push({ command, length: this.#u32() });
    return command;
  }

  #dead(): DeadLetterInfo {
    const origin = this.#string();
    const originOffset = this.#f64();
    const deliveries = this.#u32();
    return { origin, originOffset, deliveries, reason: this.#string() };
  }

  #string(): string {
    const index = this.#u32();
    const found = this.#strings[index];
    if (found === undefined) throw this.#bad(`names string ${index} of ${this.#strings.length}`);
    return found;
  }

  #u8(): number {
    return this.#in.u8();
  }

  #u32(): number {
    return this.#in.u32();
  }

  #f64(): number {
    return this.#in.f64();
  }

  #bad(why: string): SeglogError {
    return SeglogError.corrupt(`queue record ${this.#offset} ${why}`, { offset: this.#offset });
  }
}
