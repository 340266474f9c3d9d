/**
 * One job: the live side of one group in this process: which messages are ready (priority lanes),
 * which wait for their key, delay or backoff (timing wheel), which are leased (lease timers), and
 * handing deliveries to consumers. All of it is derived: it is rebuilt from the state when the
 * group's first consumer attaches, and it changes only in reaction to applied records (the
 * StateObserver calls from queue.ts) and to timers. It proposes records (deliveries, dead-lettering
 * of a lapsed lease at maxDeliveries) but never changes the state itself.
 *
 * A delivery is durable before the handler sees it: the `deliver` record carries the attempt
 * number, so a message whose handler crashes the process is redelivered with a higher count after
 * the restart and still reaches maxDeliveries (a poison message cannot loop forever).
 */
import { SeglogError, ErrorCodes, isSeglogError } from '@seglog/types';
import type { WheelTimer } from '../machine/index.js';
import { backoffDelayMs } from './backoff.js';
import type { Command, DeliverCommand, PayloadLocation } from './commands.js';
import type { Consumer, ConsumerHost, SettleEnded } from './consumer.js';
import { Fifo, PriorityLanes } from './lanes.js';
import { LeaseLine } from './lease-line.js';
import { QueueMessage } from './message.js';
import type { SettleTarget } from './message.js';
import type { GroupPolicy } from './options.js';
import { queueLimits } from './options.js';
import { EXPIRED_REASON } from './state.js';
import type { ApplyResult, GroupState, Lease, MessageState, QueueState } from './state.js';

/** The options of a settle that passes none (shared, never changed). */
const NO_OPTIONS: { delayMs?: number; reason?: string; extendMs?: number } = Object.freeze({});

export interface WheelEvent {
  readonly runtime: GroupRuntime;
  readonly kind: 'ready' | 'lease';
  readonly seq: number;
  readonly attempt: number;
}

/** What a runtime needs from its queue. */
export interface RuntimeHost {
  readonly state: QueueState;
  readonly closing: boolean;
  /** Bytes one record may carry (estimated); deliveries are about 70 bytes each. */
  readonly recordBytesBudget: number;
  nowMs(): number;
  propose(commands: readonly Command[]): Promise<ApplyResult>;
  schedule(event: WheelEvent, dueMs: number): WheelTimer<WheelEvent>;
  /** Makes sure the timer ticks (a runtime's lease line has a deadline). */
  armTimers(): void;
  cancel(timer: WheelTimer<WheelEvent>): void;
  /** The payload from the in-memory cache (a copy the caller owns), or undefined on a miss. */
  /** A copy of a cached payload, or (`onlyHolder`: one group holds the message) the cached bytes, uncached. */
  cachedPayload(message: MessageState, onlyHolder: boolean): Uint8Array | undefined;
  /** The payload read back from the log (a copy the caller owns). */
  payload(loc: PayloadLocation): Promise<Uint8Array>;
  /** A delivery found its record gone and retired the message (published on diagnostics_channel). */
  expired(group: string, seq: number, attempt: number): void;
  /** A lease lapsed here (published on diagnostics_channel). */
  lapsed(group: string, seq: number, attempt: number): void;
}

export class GroupRuntime implements ConsumerHost, SettleTarget {
  readonly name: string;
  readonly policy: GroupPolicy;
  readonly #host: RuntimeHost;
  readonly consumers = new Set<Consumer>();
  #group: GroupState | null = null;
  readonly #lanes = new PriorityLanes(queueLimits.priorityMax + 1);
  /**
   * Keyed messages in lanes, delayed or leased: admitted past their key's limit. Only keyed ones:
   * the set exists for the key limits, and with a backlog of unkeyed messages it was a second
   * table as big as the state's, touched twice per message.
   */
  readonly #admitted = new Set<number>();
  readonly #keyActive = new Map<string, number>();
  readonly #keyWaiting = new Map<string, Fifo<number>>();
  readonly #delays = new Map<number, WheelTimer<WheelEvent>>();
  /** Deliveries' deadlines in order (lease-line.ts); the wheel holds only extended (or out-of-order) ones. */
  readonly #leaseLine = new LeaseLine();
  readonly #leaseTimers = new Map<number, WheelTimer<WheelEvent>>();
  /** Leased in the state, but the lease lapsed here: settles are refused, redelivery pending. */
  readonly #lapsed = new Set<number>();
  readonly #delivering = new Set<number>();
  /** Delivered messages handed to a consumer, by seq. */
  readonly #handed = new Map<number, { consumer: Consumer; message: QueueMessage }>();
  #pumpQueued = false;
  /** Deliveries whose lease lapsed here (counted once per lapse). */
  lapses = 0;
  staleSettles = 0;

  constructor(name: string, policy: GroupPolicy, host: RuntimeHost) {
    this.name = name;
    this.policy = policy;
    this.#host = host;
  }

  get attached(): boolean {
    return this.#group !== null;
  }

  /** Rebuilds the derived indexes from the state. Leases found here are from a previous process: lapsed. */
  attach(group: GroupState): void {
    this.#group = group;
    const { state } = this.#host;
    for (let seq = group.floor; seq < state.nextSeq; seq++) {
      const message = state.messages.get(seq);
      if (message === undefined || !state.belongs(group, message) || group.settled.has(seq)) continue;
      const lease = group.leases.get(seq);
      if (lease === undefined) {
        this.#admit(message);
        continue;
      }
      this.#take(message);
      this.#lapse(message, lease.attempt);
    }
    this.pump();
  }

  // ---- reactions to applied records (StateObserver, routed by queue.ts) ----

  messageAdded(message: MessageState): void {
    if (this.#group !== null && this.#host.state.belongs(this.#group, message)) this.#admit(message);
  }

  delivered(seq: number, lease: Lease): void {
    this.#lapsed.delete(seq);
    const group = this.#group;
    const live = group?.leases.size ?? 0;
    if (group !== null && this.#leaseLine.push(seq, lease.attempt, lease.deadline, this.#isCurrentLease, live)) {
      this.#host.armTimers();
      return;
    }
    this.#scheduleLease(seq, lease);
  }

  extended(seq: number, lease: Lease): void {
    // Its entry in the lease line (if any) no longer matches the lease's deadline: skipped when due.
    this.#cancelLease(seq);
    this.#handed.get(seq)?.message.setDeadline(lease.deadline);
    this.#lapsed.delete(seq);
    this.#scheduleLease(seq, lease);
  }

  #scheduleLease(seq: number, lease: Lease): void {
    this.#leaseTimers.set(seq, this.#host.schedule({ runtime: this, kind: 'lease', seq, attempt: lease.attempt }, lease.deadline));
  }

  /** Whether the line's entry is the group's current lease, not yet lapsed here. */
  readonly #isCurrentLease = (seq: number, attempt: number, deadline: number): boolean => {
    const lease = this.#group?.leases.get(seq);
    return lease !== undefined && lease.attempt === attempt && lease.deadline === deadline && !this.#lapsed.has(seq);
  };

  readonly #lineDue = (seq: number, attempt: number, deadline: number): void => {
    if (this.#isCurrentLease(seq, attempt, deadline)) this.#leaseLapsed(seq, attempt);
  };

  /** Lapses the leases of the line due at `nowMs` (the queue's timer tick). */
  lapseDue(nowMs: number): void {
    this.#leaseLine.takeDue(nowMs, this.#lineDue);
  }

  /** Whether the line holds a deadline the timer must tick for; empties it once no lease is live. */
  get leasesPending(): boolean {
    if (this.#leaseLine.length === 0) return false;
    if (this.#group === null || this.#group.leases.size === 0) {
      this.#leaseLine.clear();
      return false;
    }
    return true;
  }

  naked(seq: number, notBefore: number): void {
    this.#cancelLease(seq);
    this.#lapsed.delete(seq);
    this.#unhand(seq);
    const message = this.#host.state.messages.get(seq);
    if (message !== undefined) this.#ready(message, notBefore);
  }

  settled(message: MessageState): void {
    const seq = message.seq;
    this.#cancelLease(seq);
    const delay = this.#delays.get(seq);
    if (delay !== undefined) this.#host.cancel(delay);
    this.#delays.delete(seq);
    this.#lapsed.delete(seq);
    this.#unhand(seq);
    if (message.key !== undefined && this.#admitted.delete(seq)) this.#freeKey(message.key);
    this.pump();
  }

  pausedChanged(): void {
    this.pump();
  }

  // ---- timers ----

  fire(event: WheelEvent): void {
    const group = this.#group;
    if (group === null) return;
    const message = this.#host.state.messages.get(event.seq);
    if (event.kind === 'ready') {
      this.#delays.delete(event.seq);
      if (message !== undefined && !this.#host.state.isSettled(group, event.seq)) {
        this.#lanes.push(message.prio, event.seq);
      }
      this.pump();
      return;
    }
    this.#leaseTimers.delete(event.seq);
    if (group.leases.get(event.seq)?.attempt !== event.attempt || this.#lapsed.has(event.seq)) return;
    this.#leaseLapsed(event.seq, event.attempt);
  }

  /** The current lease `attempt` on `seq` ran out here: abort its handler, redeliver or dead-letter. */
  #leaseLapsed(seq: number, attempt: number): void {
    const message = this.#host.state.messages.get(seq);
    if (message === undefined) return;
    this.lapses++;
    this.#host.lapsed(this.name, seq, attempt);
    const handed = this.#handed.get(seq);
    handed?.message.abort(`lease of message ${seq} delivery ${attempt} lapsed`);
    this.#unhand(seq);
    this.#lapse(message, attempt);
  }

  // ---- delivery ----

  /** Starts deliveries for consumers waiting with capacity (at most once per turn). */
  pump(): void {
    if (this.#pumpQueued) return;
    this.#pumpQueued = true;
    queueMicrotask(() => {
      this.#pumpQueued = false;
      this.#pumpNow();
    });
  }

  #pumpNow(): void {
    const group = this.#group;
    if (group === null || group.paused || this.#host.closing) return;
    // Several records' worth of deliveries per turn: they go out in the same group commit (one
    // shared record when they fit), instead of one record per commit round trip.
    for (let round = 0; round < queueLimits.deliveryRecordsPerPumpMax; round++) {
      if (!this.#deliverBatch(group)) return;
    }
  }

  /** Proposes one record of deliveries to the consumers with free slots; false when there was nothing to deliver. */
  #deliverBatch(group: GroupState): boolean {
    // The commands and, at the same index, the consumer each is for: no entry object per delivery.
    const commands: DeliverCommand[] = [];
    const consumers: Consumer[] = [];
    const byBytes = Math.floor(this.#host.recordBytesBudget / 128);
    const batchMax = Math.max(1, Math.min(queueLimits.deliveriesPerRecordMax, byBytes));
    let deadline = -1;
    for (const consumer of this.consumers) {
      for (let wanted = consumer.wanted(); wanted > 0 && commands.length < batchMax; wanted--) {
        const seq = this.#nextReady(group);
        if (seq === undefined) break;
        if (deadline < 0) deadline = this.#host.nowMs() + this.policy.ackDeadlineMs;
        consumer.reserve();
        this.#delivering.add(seq);
        commands.push({ t: 'deliver', g: this.name, seq, attempt: (group.attempts.get(seq) ?? 0) + 1, deadline });
        consumers.push(consumer);
      }
    }
    if (commands.length === 0) return false;
    // More wanted than the records of this turn carry: the success path pumps again for the rest.
    this.#host.propose(commands).then(
      (result) => {
        for (let index = 0; index < commands.length; index++) {
          const { seq, attempt } = commands[index]!;
          this.#delivering.delete(seq);
          const outcome = result.results[index];
          if (outcome !== undefined && 'ok' in outcome && outcome.ok) this.#handOut(consumers[index]!, seq, attempt);
          else consumers[index]!.unreserve();
        }
        this.pump();
      },
      () => {
        // The log failed (sticky) or the queue is closing: nothing was recorded, so the messages go
        // back to their lanes (a reopen rebuilds them from the state anyway).
        for (let index = 0; index < commands.length; index++) {
          const seq = commands[index]!.seq;
          this.#delivering.delete(seq);
          consumers[index]!.unreserve();
          const message = this.#host.state.messages.get(seq);
          if (message !== undefined) this.#lanes.push(message.prio, seq);
        }
      },
    );
    return true;
  }

  #nextReady(group: GroupState): number | undefined {
    for (let seq = this.#lanes.shift(); seq !== undefined; seq = this.#lanes.shift()) {
      if (this.#delivering.has(seq) || this.#host.state.isSettled(group, seq)) continue;
      if (group.leases.has(seq) && !this.#lapsed.has(seq)) continue;
      return seq;
    }
    return undefined;
  }

  /**
   * Hands a recorded delivery to its consumer: at once when the payload is in the cache (no
   * promise, no extra turn: the usual case for a message enqueued in this process), else after
   * reading it from the log.
   */
  #handOut(consumer: Consumer, seq: number, attempt: number): void {
    const message = this.#host.state.messages.get(seq);
    if (message === undefined) return this.#giveUp(consumer);
    // One group holds the message: this delivery takes the cached bytes without a copy.
    const cached = this.#host.cachedPayload(message, message.refs === 1);
    if (cached !== undefined) return this.#give(consumer, message, attempt, cached);
    this.#host.payload(message.loc).then(
      (payload) => this.#give(consumer, message, attempt, payload),
      (error: unknown) => {
        if (isSeglogError(error) && error.code === ErrorCodes.BEHIND_RETENTION) this.#expire(seq, attempt);
        this.#giveUp(consumer);
      },
    );
  }

  /**
   * The message's record was dropped by a forced truncation (the only drop that goes past the
   * queue's hold): its payload is gone for good, so instead of lapsing and failing on every
   * redelivery it is retired at once, fenced by this delivery, counted in `expired` and reported.
   */
  #expire(seq: number, attempt: number): void {
    const command: Command = { t: 'retire', g: this.name, seq, attempt, reason: EXPIRED_REASON, at: this.#host.nowMs() };
    this.#host.propose([command]).then(
      (result) => {
        if (result.ok) this.#host.expired(this.name, seq, attempt);
      },
      () => undefined,
    );
  }

  #giveUp(consumer: Consumer): void {
    consumer.unreserve();
    this.pump();
  }

  #give(consumer: Consumer, message: MessageState, attempt: number, payload: Uint8Array): void {
    const seq = message.seq;
    const group = this.#group!;
    const lease = group.leases.get(seq);
    // The lease lapsed (or was settled) while the payload was read: the slot it held is free
    // again, and the lapse already queued the redelivery.
    if (lease?.attempt !== attempt || this.#lapsed.has(seq)) return this.#giveUp(consumer);
    const delivered = new QueueMessage({
      payload,
      offset: seq,
      deliveryCount: attempt,
      group: this.name,
      key: message.key,
      priority: message.prio,
      enqueuedAtMs: message.at,
      deadLetter: message.dead,
      deadlineMs: lease.deadline,
      target: this,
    });
    this.#handed.set(seq, { consumer, message: delivered });
    consumer.push(delivered);
  }

  // ---- settles ----

  /** Builds the fenced command for a settle, or throws SEGLOG_STALE_DELIVERY. */
  settleCommand(message: QueueMessage, kind: 'ack' | 'nak' | 'term' | 'extend', options: { delayMs?: number; reason?: string; extendMs?: number }): Command {
    this.#checkLive(message);
    const { offset: seq, deliveryCount: attempt } = message;
    const g = this.name;
    if (kind === 'ack') return { t: 'ack', g, seq, attempt };
    // Only settles that carry a time read the clock (an ack, nearly every settle, does not).
    const now = this.#host.nowMs();
    switch (kind) {
      case 'extend': {
        const extendMs = options.extendMs ?? this.policy.ackDeadlineMs;
        if (!Number.isSafeInteger(extendMs) || extendMs < 1) throw SeglogError.invalidOption('extendMs', `must be an integer >= 1, got ${extendMs}`);
        return { t: 'extend', g, seq, attempt, deadline: now + extendMs };
      }
      case 'term':
        return this.#retire(seq, attempt, options.reason ?? 'term', now);
      case 'nak': {
        if (attempt >= this.policy.maxDeliveries) return this.#retire(seq, attempt, 'maxDeliveries', now);
        const delayMs = options.delayMs ?? backoffDelayMs(this.policy.backoff, attempt);
        if (!Number.isSafeInteger(delayMs) || delayMs < 0) throw SeglogError.invalidOption('delayMs', `must be an integer >= 0, got ${delayMs}`);
        return { t: 'nak', g, seq, attempt, notBefore: now + delayMs };
      }
    }
  }

  /** Not an async function: one promise per settle instead of two (this runs once per message). */
  settle(message: QueueMessage, kind: 'ack' | 'nak' | 'term' | 'extend', options: { delayMs?: number; reason?: string; extendMs?: number }): Promise<void> {
    let command: Command;
    try {
      command = this.settleCommand(message, kind, options);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#host.propose([command]).then((result) => {
      if (!result.ok) throw this.stale(message);
    });
  }

  /** `settle` for `Consumer.process`, reporting to `ended`: one promise per settle instead of a chain. */
  settleThen(message: QueueMessage, kind: 'ack' | 'nak', ended: SettleEnded): void {
    let command: Command;
    try {
      command = this.settleCommand(message, kind, NO_OPTIONS);
    } catch (error) {
      return ended(message, false, error);
    }
    this.#host.propose([command]).then(
      (result) => (result.ok ? ended(message, true, undefined) : ended(message, false, this.stale(message))),
      (error: unknown) => ended(message, false, error),
    );
  }

  stale(message: QueueMessage): SeglogError {
    this.staleSettles++;
    return new SeglogError(ErrorCodes.STALE_DELIVERY, `delivery ${message.deliveryCount} of message ${message.offset} in group ${this.name} is no longer leased (lapsed, redelivered or settled)`, { offset: message.offset });
  }

  #checkLive(message: QueueMessage): void {
    const live =
      !this.#lapsed.has(message.offset) &&
      this.#host.state.leaseMatches(this.name, message.offset, message.deliveryCount) &&
      this.#handed.get(message.offset)?.message === message;
    if (!live) throw this.stale(message);
  }

  #retire(seq: number, attempt: number, reason: string, at: number): Command {
    return { t: 'retire', g: this.name, seq, attempt, reason, at, ...(this.policy.deadLetter === undefined ? {} : { deadLetter: this.policy.deadLetter }) };
  }

  // ---- consumers ----

  detach(consumer: Consumer): void {
    this.consumers.delete(consumer);
  }

  giveBack(message: QueueMessage): void {
    // Delivered but never handed to a handler: release it at once rather than wait for the lease.
    this.#handed.delete(message.offset);
    this.#host.propose([{ t: 'nak', g: this.name, seq: message.offset, attempt: message.deliveryCount, notBefore: 0 }]).catch(() => undefined);
  }

  /** Messages handed out and unsettled, for close. */
  handedMessages(): QueueMessage[] {
    return [...this.#handed.values()].map((entry) => entry.message);
  }

  // ---- internals ----

  /** A lapsed lease (timer, or found at open): dead-letter at maxDeliveries, else redeliver after backoff. */
  #lapse(message: MessageState, attempt: number): void {
    this.#lapsed.add(message.seq);
    if (attempt >= this.policy.maxDeliveries) {
      this.#host.propose([this.#retire(message.seq, attempt, 'maxDeliveries', this.#host.nowMs())]).catch(() => undefined);
      return;
    }
    this.#ready(message, this.#host.nowMs() + backoffDelayMs(this.policy.backoff, attempt));
  }

  #admit(message: MessageState): void {
    const key = message.key;
    if (key !== undefined) {
      const active = this.#keyActive.get(key) ?? 0;
      if (active >= this.policy.keyConcurrency) {
        let waiting = this.#keyWaiting.get(key);
        if (waiting === undefined) this.#keyWaiting.set(key, (waiting = new Fifo()));
        waiting.push(message.seq);
        return;
      }
    }
    this.#take(message);
    const group = this.#group!;
    this.#ready(message, Math.max(message.notBefore, group.notBefore.get(message.seq) ?? 0));
  }

  /** Counts the message against its key's limit. */
  #take(message: MessageState): void {
    if (message.key === undefined) return;
    this.#admitted.add(message.seq);
    this.#keyActive.set(message.key, (this.#keyActive.get(message.key) ?? 0) + 1);
  }

  #freeKey(key: string): void {
    const active = (this.#keyActive.get(key) ?? 1) - 1;
    if (active === 0) this.#keyActive.delete(key);
    else this.#keyActive.set(key, active);
    const waiting = this.#keyWaiting.get(key);
    const group = this.#group!;
    while (
      waiting !== undefined &&
      waiting.length > 0 &&
      (this.#keyActive.get(key) ?? 0) < this.policy.keyConcurrency
    ) {
      const seq = waiting.shift()!;
      const next = this.#host.state.messages.get(seq);
      if (next !== undefined && !this.#host.state.isSettled(group, seq)) this.#admit(next);
    }
    if (waiting !== undefined && waiting.length === 0) this.#keyWaiting.delete(key);
  }

  #ready(message: MessageState, notBefore: number): void {
    const previous = this.#delays.get(message.seq);
    if (previous !== undefined) {
      this.#host.cancel(previous);
      this.#delays.delete(message.seq);
    }
    // No clock read for a message without a delay (nearly all of them): one read per message was
    // a measurable share of the queue's CPU.
    if (notBefore > 0 && notBefore > this.#host.nowMs()) {
      this.#delays.set(message.seq, this.#host.schedule({ runtime: this, kind: 'ready', seq: message.seq, attempt: 0 }, notBefore));
      return;
    }
    this.#lanes.push(message.prio, message.seq);
    this.pump();
  }

  #cancelLease(seq: number): void {
    const timer = this.#leaseTimers.get(seq);
    if (timer !== undefined) this.#host.cancel(timer);
    this.#leaseTimers.delete(seq);
  }

  #unhand(seq: number): void {
    const handed = this.#handed.get(seq);
    if (handed === undefined) return;
    this.#handed.delete(seq);
    handed.consumer.release(seq);
    this.pump();
  }
}
