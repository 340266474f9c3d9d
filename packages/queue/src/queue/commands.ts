/**
 * One job: the queue's commands (what one record of the queue log carries) and their bytes.
 *
 * A record is a transaction: several commands, applied all or nothing (deliveries excepted, which
 * are applied one by one). Every time a command needs is in it, taken at propose time, so applying
 * it is a pure function of the state (machine.ts). Bytes: u32 LE length of a JSON header, the
 * header `{ v: 1, c: [commands, each enqueue's payload replaced by its byte length] }`, then the
 * enqueue payloads back to back. A v2 header adds `n`: the record then holds several independent
 * transactions (the proposals of one event-loop turn, machine.ts), `n[i]` commands each. JSON
 * keeps the format readable while it settles; the next round
 * may swap it for a binary layout behind the same functions.
 */
import { SeglogError } from '@seglog/types';

/** Where an enqueued payload lives: the record's log offset and the command's index in it. */
export type PayloadLocation = readonly [offset: number, index: number];

export interface DeadLetterInfo {
  /** The group the message was dead-lettered from. */
  readonly origin: string;
  /** The message's offset in that group. */
  readonly originOffset: number;
  /** Deliveries it had there. */
  readonly deliveries: number;
  /** `'maxDeliveries'` or the reason given to `term`. */
  readonly reason: string;
}

export interface EnqueueCommand {
  readonly t: 'enq';
  readonly at: number;
  readonly prio: number;
  readonly notBefore: number;
  readonly key?: string;
  readonly dedup?: string;
  readonly dedupUntil?: number;
  /** Only this group sees the message (dead letters, redriven messages). */
  readonly target?: string;
  /** A payload of an earlier message, not a new one (dead letters and redrives copy no bytes). */
  readonly ref?: PayloadLocation;
  readonly dead?: DeadLetterInfo;
  readonly payload?: Uint8Array;
}

export type GroupFrom = 'earliest' | 'latest';

export type Command =
  | EnqueueCommand
  | { readonly t: 'group'; readonly g: string; readonly from: GroupFrom; readonly at: number }
  | { readonly t: 'deliver'; readonly g: string; readonly seq: number; readonly attempt: number; readonly deadline: number }
  | { readonly t: 'ack'; readonly g: string; readonly seq: number; readonly attempt: number }
  | { readonly t: 'nak'; readonly g: string; readonly seq: number; readonly attempt: number; readonly notBefore: number }
  | { readonly t: 'extend'; readonly g: string; readonly seq: number; readonly attempt: number; readonly deadline: number }
  | {
      readonly t: 'retire';
      readonly g: string;
      readonly seq: number;
      readonly attempt: number;
      readonly reason: string;
      /** Move it to this group, in this record; absent = drop. */
      readonly deadLetter?: string;
      readonly at: number;
    }
  | { readonly t: 'pause'; readonly g: string; readonly paused: boolean }
  | { readonly t: 'redrive'; readonly g: string; readonly seq: number; readonly at: number };

/** Commands fenced by a delivery token: a stale one voids its whole record. */
export type SettleCommand = Extract<Command, { t: 'ack' | 'nak' | 'extend' | 'retire' }>;

export function isSettle(command: Command): command is SettleCommand {
  return command.t === 'ack' || command.t === 'nak' || command.t === 'extend' || command.t === 'retire';
}

/** One transaction per record. */
const VERSION_ONE = 1;
/** Several independent transactions per record: `n` holds how many commands each has. */
const VERSION_SHARED = 2;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeCommands(commands: readonly Command[]): Uint8Array {
  return encodeTransactions([commands]);
}

/**
 * Bytes of a record holding `transactions`, each applied (and fenced) on its own: the header is
 * `{ v: 2, c: [every command], n: [commands per transaction] }`, or the v1 header for one.
 */
export function encodeTransactions(transactions: readonly (readonly Command[])[]): Uint8Array {
  const payloads: Uint8Array[] = [];
  let payloadBytes = 0;
  const header: unknown[] = [];
  for (const commands of transactions) {
    for (const command of commands) {
      if (command.t !== 'enq' || command.payload === undefined) {
        header.push(command);
        continue;
      }
      payloads.push(command.payload);
      payloadBytes += command.payload.byteLength;
      const { payload, ...rest } = command;
      header.push({ ...rest, len: payload.byteLength });
    }
  }
  const shared = transactions.length > 1;
  const counts = transactions.map((commands) => commands.length);
  const body = shared ? { v: VERSION_SHARED, c: header, n: counts } : { v: VERSION_ONE, c: header };
  const json = encoder.encode(JSON.stringify(body));
  const bytes = new Uint8Array(4 + json.byteLength + payloadBytes);
  new DataView(bytes.buffer).setUint32(0, json.byteLength, true);
  bytes.set(json, 4);
  let at = 4 + json.byteLength;
  for (const payload of payloads) {
    bytes.set(payload, at);
    at += payload.byteLength;
  }
  return bytes;
}

export function decodeCommands(bytes: Uint8Array, offset: number): Command[] {
  return decodeRecord(bytes, offset).commands;
}

/** A record's transactions (one for a v1 record). */
export function decodeTransactions(bytes: Uint8Array, offset: number): Command[][] {
  const { commands, counts } = decodeRecord(bytes, offset);
  if (counts === undefined) return [commands];
  const transactions: Command[][] = [];
  let at = 0;
  for (const count of counts) {
    transactions.push(commands.slice(at, at + count));
    at += count;
  }
  return transactions;
}

interface RecordHeader {
  readonly v?: unknown;
  readonly c?: unknown;
  readonly n?: unknown;
}

function decodeRecord(bytes: Uint8Array, offset: number): { commands: Command[]; counts: number[] | undefined } {
  const bad = (why: string): SeglogError => SeglogError.corrupt(`queue record ${offset} ${why}`, { offset });
  if (bytes.byteLength < 4) throw bad('is shorter than its header length');
  const headerBytes = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true);
  if (4 + headerBytes > bytes.byteLength) throw bad('has a header longer than the record');
  let header: RecordHeader;
  try {
    header = JSON.parse(decoder.decode(bytes.subarray(4, 4 + headerBytes))) as RecordHeader;
  } catch (error) {
    throw SeglogError.corrupt(`queue record ${offset} has a header that is not JSON`, { offset, cause: error });
  }
  if ((header.v !== VERSION_ONE && header.v !== VERSION_SHARED) || !Array.isArray(header.c)) {
    throw bad(`has an unknown version ${String(header.v)}`);
  }
  const counts = header.v === VERSION_SHARED ? transactionCounts(header.n, header.c.length) : undefined;
  if (header.v === VERSION_SHARED && counts === undefined) throw bad('has transaction counts that do not add up');
  let at = 4 + headerBytes;
  const commands = (header.c as (Command & { len?: number })[]).map((command) => {
    if (command.t !== 'enq' || command.len === undefined) return command;
    const { len, ...rest } = command;
    if (at + len > bytes.byteLength) throw bad('has payloads past its end');
    const payload = bytes.subarray(at, at + len);
    at += len;
    return { ...rest, payload };
  });
  if (at !== bytes.byteLength) throw bad('has bytes after its payloads');
  return { commands, counts };
}

function transactionCounts(value: unknown, total: number): number[] | undefined {
  if (!Array.isArray(value)) return undefined;
  let sum = 0;
  for (const count of value) {
    if (!Number.isSafeInteger(count) || (count as number) < 1) return undefined;
    sum += count as number;
  }
  return sum === total ? (value as number[]) : undefined;
}
