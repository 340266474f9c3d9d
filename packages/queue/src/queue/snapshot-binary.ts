/**
 * One job: the bytes of a queue snapshot body (version 2, binary), and reading the JSON body
 * (version 1) that snapshots had before it. The snapshot file around the body (magic, CRC-32C,
 * offset) is snapshot-store.ts's.
 *
 * Why binary: a queue with 1 million unsettled messages spent most of its 9 s open parsing the
 * JSON body, and writing it stopped the event loop for as long. A message here is a fixed run of
 * fields plus its optional strings.
 *
 * Layout, little endian (strings: u32 UTF-8 length + bytes; docs/queue.md has the same table):
 *   u32 marker 0xFFFFFF02 (a JSON body starts with `{`)
 *   f64 nextSeq
 *   u32 messages, each: f64 seq, f64 record offset, u32 index in the record, f64 at, u8 prio,
 *     f64 notBefore, u32 refs, u8 flags (1 key, 2 target, 4 dead letter), then key, target,
 *     dead letter (origin, f64 originOffset, u32 deliveries, reason) when flagged
 *   u32 groups, each: name, u8 kind (0 main, 1 dead), f64 startSeq, f64 floor, u8 paused,
 *     f64 unsettled, redelivered, acked, deadLettered, dropped, expired, u8 has deadLetterTo (+ name),
 *     then u32 + f64 x settled, u32 + (f64 seq, u32 attempt, f64 deadline) x leases,
 *     u32 + (f64 seq, u32 attempt) x attempts, u32 + (f64 seq, f64 notBefore) x nak delays
 *   u32 dedup ids, each: id, f64 seq, f64 until
 */
import { SeglogError } from '@seglog/types';
import { ByteReader, ByteWriter } from './byte-io.js';
import type { DeadLetterInfo, PayloadLocation } from './commands.js';
import { newMessageState } from './state-types.js';
import type { GroupState, Lease, MessageState } from './state-types.js';

export const SNAPSHOT_MARKER = 0xffffff02;

/** What a snapshot holds: the whole queue state. */
export interface SnapshotContent {
  readonly nextSeq: number;
  readonly messages: Iterable<MessageState>;
  readonly messageCount: number;
  readonly groups: readonly GroupState[];
  readonly dedup: readonly (readonly [id: string, seq: number, until: number])[];
}

export interface RestoredContent {
  readonly nextSeq: number;
  readonly messages: MessageState[];
  readonly groups: GroupState[];
  readonly dedup: [id: string, seq: number, until: number][];
}

const MSG_KEY = 1;
const MSG_TARGET = 2;
const MSG_DEAD = 4;
/** A message with no optional field: seq, offset, index, at, prio, notBefore, refs, flags. */
/** A group's fields after its name: kind, startSeq, floor, paused, six counters, has deadLetterTo. */
const GROUP_FIXED_BYTES = 1 + 8 + 8 + 1 + 6 * 8 + 1;
const MESSAGE_BYTES_MIN = 8 + 8 + 4 + 8 + 1 + 8 + 4 + 1;

export function encodeSnapshotBody(content: SnapshotContent): Uint8Array {
  const out = new ByteWriter(64 + content.messageCount * 56);
  out.reserve(16);
  out.u32(SNAPSHOT_MARKER);
  out.f64(content.nextSeq);
  out.u32(content.messageCount);
  for (const message of content.messages) writeMessage(out, message);
  out.reserve(4);
  out.u32(content.groups.length);
  for (const group of content.groups) writeGroup(out, group);
  out.reserve(4);
  out.u32(content.dedup.length);
  for (const [id, seq, until] of content.dedup) {
    out.string(id);
    out.reserve(16);
    out.f64(seq);
    out.f64(until);
  }
  return out.written();
}

function writeMessage(out: ByteWriter, message: MessageState): void {
  out.reserve(MESSAGE_BYTES_MIN);
  out.f64(message.seq);
  out.f64(message.loc[0]);
  out.u32(message.loc[1]);
  out.f64(message.at);
  out.u8(message.prio);
  out.f64(message.notBefore);
  out.u32(message.refs);
  const flags = (message.key === undefined ? 0 : MSG_KEY) | (message.target === undefined ? 0 : MSG_TARGET);
  out.u8(flags | (message.dead === undefined ? 0 : MSG_DEAD));
  if (message.key !== undefined) out.string(message.key);
  if (message.target !== undefined) out.string(message.target);
  if (message.dead !== undefined) {
    out.string(message.dead.origin);
    out.reserve(12);
    out.f64(message.dead.originOffset);
    out.u32(message.dead.deliveries);
    out.string(message.dead.reason);
  }
}

function writeGroup(out: ByteWriter, group: GroupState): void {
  out.string(group.name);
  out.reserve(GROUP_FIXED_BYTES);
  out.u8(group.kind === 'main' ? 0 : 1);
  out.f64(group.startSeq);
  out.f64(group.floor);
  out.u8(group.paused ? 1 : 0);
  const counts = [group.unsettled, group.redelivered, group.acked, group.deadLettered, group.dropped, group.expired];
  for (const count of counts) out.f64(count);
  out.u8(group.deadLetterTo === undefined ? 0 : 1);
  if (group.deadLetterTo !== undefined) out.string(group.deadLetterTo);
  out.reserve(4 + 8 * group.settled.size);
  out.u32(group.settled.size);
  for (const seq of group.settled) out.f64(seq);
  out.reserve(4 + 20 * group.leases.size);
  out.u32(group.leases.size);
  for (const [seq, lease] of group.leases) {
    out.f64(seq);
    out.u32(lease.attempt);
    out.f64(lease.deadline);
  }
  out.reserve(4 + 12 * group.attempts.size);
  out.u32(group.attempts.size);
  for (const [seq, attempt] of group.attempts) {
    out.f64(seq);
    out.u32(attempt);
  }
  out.reserve(4 + 16 * group.notBefore.size);
  out.u32(group.notBefore.size);
  for (const [seq, notBefore] of group.notBefore) {
    out.f64(seq);
    out.f64(notBefore);
  }
}

/** Reads a snapshot body of either version; a damaged one is SEGLOG_CORRUPT. */
export function decodeSnapshotBody(body: Uint8Array): RestoredContent {
  try {
    if (body.byteLength >= 4 && new DataView(body.buffer, body.byteOffset, 4).getUint32(0, true) === SNAPSHOT_MARKER) {
      return readBinary(new ByteReader(body, 4));
    }
    return readJson(body);
  } catch (error) {
    if (error instanceof SeglogError) throw error;
    throw SeglogError.corrupt(`queue snapshot body is damaged: ${String(error)}`, { cause: error });
  }
}

function readBinary(input: ByteReader): RestoredContent {
  const nextSeq = input.f64();
  const messageCount = input.u32();
  if (messageCount * MESSAGE_BYTES_MIN > input.remaining) throw new RangeError(`${messageCount} messages cannot fit in ${input.remaining} bytes`);
  const messages: MessageState[] = new Array<MessageState>(messageCount);
  for (let i = 0; i < messageCount; i++) messages[i] = readMessage(input);
  const groups: GroupState[] = [];
  for (let i = input.u32(); i > 0; i--) groups.push(readGroup(input));
  const dedup: [string, number, number][] = [];
  for (let i = input.u32(); i > 0; i--) {
    const id = input.string();
    const seq = input.f64();
    dedup.push([id, seq, input.f64()]);
  }
  if (input.remaining !== 0) throw new RangeError(`${input.remaining} bytes after the snapshot's end`);
  return { nextSeq, messages, groups, dedup };
}

function readMessage(input: ByteReader): MessageState {
  const seq = input.f64();
  const loc: PayloadLocation = [input.f64(), input.u32()];
  const at = input.f64();
  const prio = input.u8();
  const notBefore = input.f64();
  const refs = input.u32();
  const flags = input.u8();
  const key = (flags & MSG_KEY) !== 0 ? input.string() : undefined;
  const target = (flags & MSG_TARGET) !== 0 ? input.string() : undefined;
  const dead = (flags & MSG_DEAD) !== 0 ? readDead(input) : undefined;
  // Built as state.ts's #enqueue builds them, so restored messages share its shape.
  return newMessageState(seq, loc, { at, prio, notBefore, key, target, dead }, refs);
}

function readDead(input: ByteReader): DeadLetterInfo {
  const origin = input.string();
  const originOffset = input.f64();
  const deliveries = input.u32();
  return { origin, originOffset, deliveries, reason: input.string() };
}

function readGroup(input: ByteReader): GroupState {
  const name = input.string();
  const kind = input.u8() === 0 ? 'main' : 'dead';
  const startSeq = input.f64();
  const floor = input.f64();
  const paused = input.u8() === 1;
  const unsettled = input.f64();
  const redelivered = input.f64();
  const acked = input.f64();
  const deadLettered = input.f64();
  const dropped = input.f64();
  const expired = input.f64();
  const deadLetterTo = input.u8() === 1 ? input.string() : undefined;
  const settled = new Set<number>();
  for (let i = input.u32(); i > 0; i--) settled.add(input.f64());
  const leases = new Map<number, Lease>();
  for (let i = input.u32(); i > 0; i--) {
    const seq = input.f64();
    const attempt = input.u32();
    leases.set(seq, { attempt, deadline: input.f64() });
  }
  const attempts = new Map<number, number>();
  for (let i = input.u32(); i > 0; i--) attempts.set(input.f64(), input.u32());
  const notBefore = new Map<number, number>();
  for (let i = input.u32(); i > 0; i--) notBefore.set(input.f64(), input.f64());
  const group: GroupState = {
    name, kind, startSeq, floor, settled, leases, attempts, notBefore, paused,
    unsettled, redelivered, acked, deadLettered, dropped, expired,
  };
  if (deadLetterTo !== undefined) group.deadLetterTo = deadLetterTo;
  return group;
}

/** The JSON body (version 1) of snapshots written before the binary one. */
interface JsonSnapshot {
  readonly v: number;
  readonly nextSeq: number;
  readonly messages: MessageState[];
  readonly groups: (Omit<GroupState, 'settled' | 'leases' | 'attempts' | 'notBefore' | 'expired'> & {
    expired?: number;
    settled: number[];
    leases: [number, Lease][];
    attempts: [number, number][];
    notBefore: [number, number][];
  })[];
  readonly dedup: [string, number, number][];
}

function readJson(body: Uint8Array): RestoredContent {
  const parsed = JSON.parse(new TextDecoder().decode(body)) as JsonSnapshot;
  if (parsed.v !== 1) throw SeglogError.corrupt(`queue snapshot body has an unknown version ${String(parsed.v)}`, {});
  return {
    nextSeq: parsed.nextSeq,
    messages: parsed.messages.map((message) => newMessageState(message.seq, message.loc, message, message.refs)),
    groups: parsed.groups.map((group) => ({
      ...group,
      expired: group.expired ?? 0,
      settled: new Set(group.settled),
      leases: new Map(group.leases),
      attempts: new Map(group.attempts),
      notBefore: new Map(group.notBefore),
    })),
    dedup: parsed.dedup,
  };
}
