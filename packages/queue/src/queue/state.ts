/**
 * One job: the queue's state and its deterministic transitions (the StateMachine that machine.ts
 * drives). Everything here is derived from the log: replaying the same records gives the same
 * state, live or at open. No clock: times come in the commands.
 *
 * Messages get dense offsets (`seq`) in apply order. A message is held in memory until every group
 * it belongs to has settled it; its payload stays in the log and is read back at delivery.
 * Per group (lesson 3 of the anchor survey): an ack floor (every message of the group below it is
 * settled), the settled set above the floor, leases (seq -> attempt, deadline), delivery counts of
 * unsettled messages, nak delays, and counters. Dead letters and redriven messages are messages
 * targeted at one group, pointing at the original payload.
 */
import type { StateMachine } from '../machine/index.js';
import { assert } from '@seglog/types';
import { isSettle } from './commands.js';
import { decodeCommands, decodeTransactions, encodeCommands, encodeTransactions } from './record-codec.js';
import { decodeSnapshotBody, encodeSnapshotBody } from './snapshot-binary.js';
import type { Command, DeadLetterInfo, EnqueueCommand, GroupFrom, PayloadLocation } from './commands.js';

export { EXPIRED_REASON } from './state-types.js';
export type { GroupState, Lease, MessageState } from './state-types.js';
import { EXPIRED_REASON, newMessageState } from './state-types.js';
import type { GroupState, Lease, MessageState } from './state-types.js';

/** What one command did: an enqueue's offset, or whether a fenced command was accepted. */
/** An enqueue's result is its receipt as the caller gets it (no second object per message). */
export type CommandResult = { readonly offset: number; readonly duplicate: boolean } | { readonly ok: boolean };

export interface ApplyResult {
  /** False when a settle in the record was stale: then nothing but deliveries was applied. */
  readonly ok: boolean;
  readonly results: readonly CommandResult[];
}

/** Live reactions to applied changes (the consumers' runtime). Never called during replay. */
export interface StateObserver {
  /** `payload`: the enqueued bytes, for a new message (not a dead letter or redrive, which point at one). */
  messageAdded(message: MessageState, payload: Uint8Array | undefined): void;
  /** No group holds the message any more: it left the state. */
  dropped(message: MessageState): void;
  groupAdded(group: GroupState): void;
  delivered(group: GroupState, seq: number, lease: Lease): void;
  extended(group: GroupState, seq: number, lease: Lease): void;
  naked(group: GroupState, seq: number, notBefore: number): void;
  settled(group: GroupState, message: MessageState): void;
  paused(group: GroupState): void;
}

/**
 * The results of fenced commands, shared (they are never changed): one object per ack, delivery
 * or voided command was a measurable share of the young objects that survive a group commit.
 */
const ACCEPTED: CommandResult = Object.freeze({ ok: true });
const REFUSED: CommandResult = Object.freeze({ ok: false });

/** The results of one-command transactions (an ack, a nak, ...), shared likewise: nearly every settle's. */
const ALONE_ACCEPTED: ApplyResult = Object.freeze({ ok: true, results: Object.freeze([ACCEPTED]) });
const ALONE_REFUSED: ApplyResult = Object.freeze({ ok: true, results: Object.freeze([REFUSED]) });
const ALONE_STALE: ApplyResult = Object.freeze({ ok: false, results: Object.freeze([REFUSED]) });

export class QueueState implements StateMachine<Command, ApplyResult> {
  nextSeq = 0;
  readonly messages = new Map<number, MessageState>();
  readonly groups = new Map<string, GroupState>();
  readonly dedup = new Map<string, { seq: number; until: number }>();
  /** Dedup ids in insertion order, pruned from the front as their windows pass. */
  #dedupOrder: { id: string; until: number }[] = [];
  #dedupHead = 0;
  observer: StateObserver | null = null;

  encodeCommands(commands: readonly Command[]): Uint8Array {
    return encodeCommands(commands);
  }

  decodeCommands(bytes: Uint8Array, offset: number): Command[] {
    return decodeCommands(bytes, offset);
  }

  encodeTransactions(transactions: readonly (readonly Command[])[]): Uint8Array {
    return encodeTransactions(transactions);
  }

  decodeTransactions(bytes: Uint8Array, offset: number): Command[][] {
    return decodeTransactions(bytes, offset);
  }

  apply(commands: readonly Command[], offset: number, firstIndex = 0): ApplyResult {
    if (commands.length === 1) return this.#applyAlone(commands[0]!, offset, firstIndex);
    // Loops rather than every/map with closures: apply runs once per transaction on the hot path.
    let ok = true;
    for (const command of commands) {
      if (isSettle(command) && !this.#leaseMatches(command.g, command.seq, command.attempt)) {
        ok = false;
        break;
      }
    }
    const results: CommandResult[] = [];
    for (let index = 0; index < commands.length; index++) {
      const command = commands[index]!;
      if (command.t === 'deliver') results.push(this.#deliver(command.g, command.seq, command.attempt, command.deadline) ? ACCEPTED : REFUSED);
      else if (!ok) results.push(REFUSED);
      else results.push(this.#applyOne(command, [offset, firstIndex + index]));
    }
    return { ok, results };
  }

  /** A one-command transaction, as `apply` would: fenced outcomes come back as shared objects. */
  #applyAlone(command: Command, offset: number, firstIndex: number): ApplyResult {
    if (command.t === 'deliver') {
      return this.#deliver(command.g, command.seq, command.attempt, command.deadline) ? ALONE_ACCEPTED : ALONE_REFUSED;
    }
    if (isSettle(command) && !this.#leaseMatches(command.g, command.seq, command.attempt)) return ALONE_STALE;
    const result = this.#applyOne(command, [offset, firstIndex]);
    if (result === ACCEPTED) return ALONE_ACCEPTED;
    if (result === REFUSED) return ALONE_REFUSED;
    return { ok: true, results: [result] };
  }

  /** True while `attempt` is the group's current, unsettled lease on `seq`. */
  leaseMatches(group: string, seq: number, attempt: number): boolean {
    return this.#leaseMatches(group, seq, attempt);
  }

  /** Whether `message` belongs to `group`. */
  belongs(group: GroupState, message: MessageState): boolean {
    if (message.target !== undefined) return message.target === group.name;
    return group.kind === 'main' && message.seq >= group.startSeq;
  }

  isSettled(group: GroupState, seq: number): boolean {
    if (seq < group.floor) return true;
    if (group.settled.has(seq)) return true;
    const message = this.messages.get(seq);
    return message === undefined || !this.belongs(group, message);
  }

  #applyOne(command: Exclude<Command, { t: 'deliver' }>, loc: PayloadLocation): CommandResult {
    switch (command.t) {
      case 'enq':
        return this.#enqueue(command, loc);
      case 'group':
        this.#addGroup(command.g, 'main', command.from);
        return ACCEPTED;
      case 'ack': {
        const group = this.groups.get(command.g)!;
        group.acked++;
        this.#settle(group, command.seq);
        return ACCEPTED;
      }
      case 'nak':
        return this.#nak(command.g, command.seq, command.notBefore);
      case 'extend': {
        const group = this.groups.get(command.g)!;
        const lease = group.leases.get(command.seq)!;
        lease.deadline = command.deadline;
        this.observer?.extended(group, command.seq, lease);
        return ACCEPTED;
      }
      case 'retire':
        return this.#retire(command.g, command.seq, command.attempt, command.reason, command.deadLetter, command.at);
      case 'pause': {
        const group = this.groups.get(command.g);
        if (group === undefined) return REFUSED;
        group.paused = command.paused;
        this.observer?.paused(group);
        return ACCEPTED;
      }
      case 'redrive':
        return this.#redrive(command.g, command.seq, command.at);
    }
  }

  #leaseMatches(groupName: string, seq: number, attempt: number): boolean {
    return this.groups.get(groupName)?.leases.get(seq)?.attempt === attempt;
  }

  #enqueue(command: EnqueueCommand, loc: PayloadLocation): CommandResult {
    this.#pruneDedup(command.at);
    if (command.dedup !== undefined) {
      const seen = this.dedup.get(command.dedup);
      if (seen !== undefined && seen.until > command.at) return { offset: seen.seq, duplicate: true };
    }
    // A dead-letter group is made by its first letter, before the letter takes its offset.
    if (command.target !== undefined && !this.groups.has(command.target)) this.#addGroup(command.target, 'dead', 'latest');
    const seq = this.nextSeq++;
    const message = newMessageState(seq, command.ref ?? loc, command);
    for (const group of this.groups.values()) {
      if (!this.belongs(group, message)) continue;
      message.refs++;
      group.unsettled++;
    }
    this.messages.set(seq, message);
    if (command.dedup !== undefined && command.dedupUntil !== undefined) {
      this.dedup.set(command.dedup, { seq, until: command.dedupUntil });
      this.#dedupOrder.push({ id: command.dedup, until: command.dedupUntil });
    }
    this.observer?.messageAdded(message, command.ref === undefined ? command.payload : undefined);
    return { offset: seq, duplicate: false };
  }

  #addGroup(name: string, kind: 'main' | 'dead', from: GroupFrom): void {
    if (this.groups.has(name)) return;
    let startSeq = this.nextSeq;
    if (from === 'earliest' && kind === 'main') {
      for (const message of this.messages.values()) {
        if (message.target === undefined) {
          startSeq = message.seq;
          break;
        }
      }
    }
    const group: GroupState = {
      name,
      kind,
      startSeq,
      floor: startSeq,
      settled: new Set(),
      leases: new Map(),
      attempts: new Map(),
      notBefore: new Map(),
      paused: false,
      unsettled: 0,
      redelivered: 0,
      acked: 0,
      deadLettered: 0,
      dropped: 0,
      expired: 0,
    };
    this.groups.set(name, group);
    for (const message of this.messages.values()) {
      if (!this.belongs(group, message)) continue;
      message.refs++;
      group.unsettled++;
    }
    this.#advanceFloor(group);
    this.observer?.groupAdded(group);
  }

  #deliver(groupName: string, seq: number, attempt: number, deadline: number): boolean {
    const group = this.groups.get(groupName);
    if (group === undefined || this.isSettled(group, seq)) return false;
    if (attempt !== (group.attempts.get(seq) ?? 0) + 1) return false;
    const lease: Lease = { attempt, deadline };
    group.leases.set(seq, lease);
    group.attempts.set(seq, attempt);
    group.notBefore.delete(seq);
    if (attempt > 1) group.redelivered++;
    this.observer?.delivered(group, seq, lease);
    return true;
  }

  #nak(groupName: string, seq: number, notBefore: number): CommandResult {
    const group = this.groups.get(groupName)!;
    group.leases.delete(seq);
    group.notBefore.set(seq, notBefore);
    this.observer?.naked(group, seq, notBefore);
    return ACCEPTED;
  }

  #retire(
    groupName: string,
    seq: number,
    attempt: number,
    reason: string,
    deadLetter: string | undefined,
    at: number,
  ): CommandResult {
    const group = this.groups.get(groupName)!;
    const message = this.messages.get(seq);
    assert(message !== undefined, `retired message ${seq} is held`);
    if (reason === EXPIRED_REASON && deadLetter === undefined) {
      group.expired++;
    } else if (deadLetter === undefined) {
      group.dropped++;
    } else {
      group.deadLettered++;
      group.deadLetterTo = deadLetter;
      const dead: DeadLetterInfo = { origin: groupName, originOffset: seq, deliveries: attempt, reason };
      this.#enqueue({ t: 'enq', at, prio: message.prio, notBefore: 0, target: deadLetter, ref: message.loc, dead, ...(message.key === undefined ? {} : { key: message.key }) }, message.loc);
    }
    this.#settle(group, seq);
    return ACCEPTED;
  }

  #redrive(groupName: string, seq: number, at: number): CommandResult {
    const group = this.groups.get(groupName);
    const message = this.messages.get(seq);
    if (group === undefined || message?.dead === undefined || this.isSettled(group, seq) || group.leases.has(seq)) {
      return REFUSED;
    }
    const origin = message.dead.origin;
    const result = this.#enqueue({ t: 'enq', at, prio: message.prio, notBefore: 0, target: origin, ref: message.loc, ...(message.key === undefined ? {} : { key: message.key }) }, message.loc);
    group.acked++;
    this.#settle(group, seq);
    return result;
  }

  #settle(group: GroupState, seq: number): void {
    const message = this.messages.get(seq);
    assert(message !== undefined && !this.isSettled(group, seq), `settled message ${seq} is unsettled in ${group.name}`);
    // At the floor (the usual case: messages are settled about in order) the floor moves past it
    // at once: no add to the settled set that the floor's advance would delete again.
    if (seq === group.floor) group.floor++;
    else group.settled.add(seq);
    group.leases.delete(seq);
    group.attempts.delete(seq);
    group.notBefore.delete(seq);
    group.unsettled--;
    message.refs--;
    this.#advanceFloor(group);
    this.observer?.settled(group, message);
    if (message.refs === 0 && (message.target !== undefined || this.#hasMainGroup())) this.#drop(message);
  }

  #drop(message: MessageState): void {
    this.messages.delete(message.seq);
    this.observer?.dropped(message);
    for (const group of this.groups.values()) {
      group.settled.delete(message.seq);
      this.#advanceFloor(group);
    }
  }

  #advanceFloor(group: GroupState): void {
    while (group.floor < this.nextSeq) {
      const message = this.messages.get(group.floor);
      if (message !== undefined && this.belongs(group, message) && !group.settled.has(group.floor)) break;
      group.settled.delete(group.floor);
      group.floor++;
    }
  }

  #hasMainGroup(): boolean {
    for (const group of this.groups.values()) if (group.kind === 'main') return true;
    return false;
  }

  #pruneDedup(now: number): void {
    while (this.#dedupHead < this.#dedupOrder.length && this.#dedupOrder[this.#dedupHead]!.until <= now) {
      const { id, until } = this.#dedupOrder[this.#dedupHead++]!;
      if (this.dedup.get(id)?.until === until) this.dedup.delete(id);
    }
    if (this.#dedupHead > 1024 && this.#dedupHead * 2 > this.#dedupOrder.length) {
      this.#dedupOrder = this.#dedupOrder.slice(this.#dedupHead);
      this.#dedupHead = 0;
    }
  }

  /**
   * The lowest log offset a held message's payload lives at (the machine's retention hold stays at
   * or below it). A scan of the held messages, made once per snapshot, which serializes them all anyway.
   */
  lowestReferencedOffset(): number | undefined {
    let lowest: number | undefined;
    for (const message of this.messages.values()) {
      const offset = message.loc[0];
      if (lowest === undefined || offset < lowest) lowest = offset;
    }
    return lowest;
  }

  /** The whole state as a binary snapshot body (snapshot-binary.ts). */
  snapshot(): Uint8Array {
    return encodeSnapshotBody({
      nextSeq: this.nextSeq,
      messages: this.messages.values(),
      messageCount: this.messages.size,
      groups: [...this.groups.values()],
      dedup: this.#dedupOrder
        .slice(this.#dedupHead)
        .filter(({ id, until }) => this.dedup.get(id)?.until === until)
        .map(({ id, until }) => [id, this.dedup.get(id)!.seq, until] as const),
    });
  }

  /** Replaces the state with a snapshot body's, binary or (written before it) JSON. */
  restore(body: Uint8Array): void {
    const restored = decodeSnapshotBody(body);
    this.nextSeq = restored.nextSeq;
    this.messages.clear();
    for (const message of restored.messages) this.messages.set(message.seq, message);
    this.groups.clear();
    for (const group of restored.groups) this.groups.set(group.name, group);
    this.dedup.clear();
    this.#dedupOrder = [];
    this.#dedupHead = 0;
    for (const [id, seq, until] of restored.dedup) {
      this.dedup.set(id, { seq, until });
      this.#dedupOrder.push({ id, until });
    }
  }
}
