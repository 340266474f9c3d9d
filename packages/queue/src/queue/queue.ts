/**
 * One job: the public queue. `openQueue` opens the machine (log + snapshots + replay) over a
 * QueueState; enqueues, settles, group commands and deliveries are records proposed through it,
 * each durable before its promise resolves. The live side of each group is a GroupRuntime
 * (runtime.ts), fed by the state's observer calls and by one timing wheel, driven by a timer only
 * while the wheel holds something.
 */
import { nodeFileIO } from '@seglog/io';
import { SeglogError, limits } from '@seglog/types';
import type { FileIO, QueueGroupStats } from '@seglog/types';
import { openMachine, TimingWheel } from '../machine/index.js';
import type { Machine, WheelTimer } from '../machine/index.js';
import type { Command, EnqueueCommand, GroupFrom, PayloadLocation } from './commands.js';
import { decodeCommands } from './record-codec.js';
import { publishQueueEvent, StatsPublisher } from './channels.js';
import type { QueueStatsEvent } from './channels.js';
import { Consumer } from './consumer.js';
import { PayloadCache } from './payload-cache.js';
import type { QueueMessage } from './message.js';
import { checkEnqueueOptions, checkGroupName, checkPayload, integer, queueLimits, resolvePolicy, samePolicy, systemQueueClock } from './options.js';
import type { ConsumerOptions, EnqueueOptions, QueueClock, QueueOptions } from './options.js';
import { GroupRuntime } from './runtime.js';
import type { RuntimeHost, WheelEvent } from './runtime.js';
import { QueueState } from './state.js';
import type { ApplyResult, GroupState, MessageState, StateObserver } from './state.js';

export interface Receipt {
  /** The message's offset in the queue (for a duplicate: the first message's). */
  readonly offset: number;
  /** True when `dedupId` matched a message enqueued within the window: nothing was added. */
  readonly duplicate: boolean;
}

/** Counters of one group (declared once, in @seglog/types, for the channel and Prometheus too). */
export type GroupStats = QueueGroupStats;

export interface Transaction {
  ack(message: QueueMessage): void;
  nak(message: QueueMessage, options?: { delayMs?: number }): void;
  term(message: QueueMessage, options?: { reason?: string }): void;
  enqueue(payload: Uint8Array, options?: EnqueueOptions): void;
}

/** The retention hold a queue keeps on its log (`<dir>/log/holds/seglog-queue.hold`). */
export const QUEUE_HOLD_NAME = 'seglog-queue';

export async function openQueue(options: QueueOptions): Promise<Queue> {
  if (typeof options !== 'object' || options === null) throw SeglogError.invalidOption('options', 'must be an object');
  const dedupWindowMs = integer('dedupWindowMs', options.dedupWindowMs, queueLimits.dedupWindowMsDefault, 0);
  const state = new QueueState();
  const logOptions = options.retention === undefined ? options.log : { ...options.log, retention: options.retention };
  const machine = await openMachine({
    dir: options.dir,
    machine: state,
    ...(options.io === undefined ? {} : { io: options.io }),
    ...(options.snapshotEveryRecords === undefined ? {} : { snapshotEveryRecords: options.snapshotEveryRecords }),
    ...(options.snapshotEveryBytes === undefined ? {} : { snapshotEveryBytes: options.snapshotEveryBytes }),
    ...(logOptions === undefined ? {} : { log: logOptions }),
    holdName: QUEUE_HOLD_NAME,
  });
  const recordBytesMax = options.log?.maxRecordBytes ?? limits.recordBytesMaxDefault;
  const statsIntervalMs = integer('statsIntervalMs', options.statsIntervalMs, queueLimits.statsIntervalMsDefault, 1);
  const clock = options.clock ?? systemQueueClock;
  const payloadCacheBytes = integer('payloadCacheBytes', options.payloadCacheBytes, queueLimits.payloadCacheBytesDefault, 0);
  const extra = { dir: options.dir, statsIntervalMs, payloadCacheBytes, io: options.io ?? nodeFileIO };
  return new Queue(machine, state, dedupWindowMs, clock, recordBytesMax, extra);
}

export class Queue implements RuntimeHost {
  readonly state: QueueState;
  readonly #machine: Machine<Command, ApplyResult>;
  readonly #dedupWindowMs: number;
  readonly #runtimes = new Map<string, GroupRuntime>();
  /** Groups whose creation record (made by their first consumer) is not yet durable. */
  readonly #creating = new Map<string, Promise<unknown>>();
  readonly #wheel: TimingWheel<WheelEvent>;
  readonly #clock: QueueClock;
  #timer: unknown = null;
  /** Keeps the process alive while consumers wait for messages, as an open socket to Redis would. */
  #keepAlive: NodeJS.Timeout | null = null;
  #closing: Promise<void> | null = null;
  #payloadCache: { offset: number; commands: Promise<Command[]> } | null = null;
  readonly #stats: StatsPublisher;
  /** Payloads enqueued in this process, so their delivery does not read the log. */
  readonly #payloads: PayloadCache;

  /** The queue's directory (the `dir` of its diagnostics_channel events). */
  readonly dir: string;
  /** The FileIO the queue's files go through. */
  readonly io: FileIO;

  /** Records are packed to at most half the log's maxRecordBytes (estimated), leaving room for the header. */
  readonly recordBytesBudget: number;

  constructor(
    machine: Machine<Command, ApplyResult>,
    state: QueueState,
    dedupWindowMs: number,
    clock: QueueClock,
    recordBytesMax: number,
    extra: { dir: string; statsIntervalMs: number; payloadCacheBytes: number; io: FileIO } = {
      dir: '',
      io: nodeFileIO,
      statsIntervalMs: queueLimits.statsIntervalMsDefault,
      payloadCacheBytes: queueLimits.payloadCacheBytesDefault,
    },
  ) {
    this.#machine = machine;
    this.#payloads = new PayloadCache(extra.payloadCacheBytes);
    this.dir = extra.dir;
    this.io = extra.io;
    this.#stats = new StatsPublisher(extra.statsIntervalMs, () => this.#statsEvent());
    const halfRecord = Math.floor(recordBytesMax / 2);
    this.recordBytesBudget = Math.max(1024, Math.min(queueLimits.enqueueManyRecordBytes, halfRecord));
    this.#clock = clock;
    this.state = state;
    this.#dedupWindowMs = dedupWindowMs;
    this.#wheel = new TimingWheel({ tickMs: queueLimits.wheelTickMs, startMs: this.nowMs() });
    state.observer = this.#observer();
  }

  get closing(): boolean {
    return this.#closing !== null;
  }

  /** The machine underneath (log, reader, snapshot counters), for tests and diagnostics. */
  get machine(): Machine<Command, ApplyResult> {
    return this.#machine;
  }

  nowMs(): number {
    return this.#clock.nowMs();
  }

  /**
   * Appends one message; resolves once it is durable (a consumer never sees it before). Not an
   * async function: its suspended frame per waiting producer lived across the group commit.
   */
  enqueue(payload: Uint8Array, options: EnqueueOptions = NO_ENQUEUE_OPTIONS): Promise<Receipt> {
    let command: EnqueueCommand;
    try {
      command = this.#enqueueCommand(payload, options);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.propose([command]).then(firstReceipt);
  }

  /**
   * Appends many messages, in order; resolves once all are durable. Messages are packed into
   * records of up to 512 KiB (or half the log's maxRecordBytes, if smaller); each record is all or
   * nothing.
   */
  async enqueueMany(items: readonly { payload: Uint8Array; options?: EnqueueOptions }[]): Promise<Receipt[]> {
    // Checked through an `unknown` alias: Array.isArray would narrow `items` itself to any[].
    const checked: unknown = items;
    if (!Array.isArray(checked) || items.length === 0) {
      throw new TypeError('enqueueMany needs a non-empty array');
    }
    const records: Command[][] = [[]];
    let bytes = 0;
    for (const item of items) {
      const command = this.#enqueueCommand(item.payload, item.options ?? {});
      const size = estimatedBytes(command);
      if (records.at(-1)!.length > 0 && bytes + size > this.recordBytesBudget) {
        records.push([]);
        bytes = 0;
      }
      records.at(-1)!.push(command);
      bytes += size;
    }
    const results = await Promise.all(records.map((commands) => this.propose(commands)));
    return results.flatMap((result) => result.results.map((_, index) => receiptOf(result, index)));
  }

  /**
   * One durable record holding every settle and enqueue `build` adds: all or nothing. If any
   * settle is stale the transaction rejects with SEGLOG_STALE_DELIVERY and nothing is applied.
   */
  async transact(build: (tx: Transaction) => void): Promise<Receipt[]> {
    const commands: Command[] = [];
    const settled: QueueMessage[] = [];
    const settle = (message: QueueMessage, kind: 'ack' | 'nak' | 'term', options: { delayMs?: number; reason?: string }): void => {
      commands.push(this.#runtimeOf(message).settleCommand(message, kind, options));
      settled.push(message);
    };
    build({
      ack: (message) => settle(message, 'ack', {}),
      nak: (message, options = {}) => settle(message, 'nak', options),
      term: (message, options = {}) => settle(message, 'term', options),
      enqueue: (payload, options = {}) => void commands.push(this.#enqueueCommand(payload, options)),
    });
    if (commands.length === 0) throw new TypeError('a transaction needs at least one operation');
    const result = await this.propose(commands);
    if (!result.ok) throw this.#runtimeOf(settled[0]!).stale(settled[0]!);
    return commands.flatMap((command, index) => (command.t === 'enq' ? [receiptOf(result, index)] : []));
  }

  /**
   * A consumer of `group`. The group is created (durably) if new; its policy (ackDeadlineMs,
   * maxDeliveries, backoff, deadLetter, keyConcurrency) is fixed by its first consumer in this
   * process, and a later consumer must pass the same.
   */
  consumer(group: string, options: ConsumerOptions = {}): Consumer {
    this.#assertOpen();
    checkGroupName(group);
    const concurrency = integer('concurrency', options.concurrency, queueLimits.concurrencyDefault, 1);
    const policy = resolvePolicy(group, options);
    let runtime = this.#runtimes.get(group);
    if (runtime !== undefined && !samePolicy(runtime.policy, policy)) {
      throw SeglogError.invalidOption('consumer options', `of group ${group} differ from those of its first consumer`);
    }
    if (runtime === undefined) {
      runtime = new GroupRuntime(group, policy, this);
      this.#runtimes.set(group, runtime);
      const existing = this.state.groups.get(group);
      if (existing !== undefined) runtime.attach(existing);
      else this.#createGroup(group, options.from ?? 'earliest');
    }
    const consumer = new Consumer(group, concurrency, runtime);
    runtime.consumers.add(consumer);
    this.#keepAlive ??= setInterval(() => undefined, 2 ** 30);
    return consumer;
  }

  /**
   * Stops deliveries of `group` (durable: it stays paused across restarts) until `resume`. A group
   * whose first consumer was just made is paused once its creation record is durable.
   */
  async pause(group: string): Promise<void> {
    await this.#setPaused(group, true);
  }

  async resume(group: string): Promise<void> {
    await this.#setPaused(group, false);
  }

  /**
   * Moves up to `limit` dead letters of `group` (waiting in its dead-letter group, not being
   * consumed there) back to `group` as new messages with fresh delivery counts, in one record.
   * Resolves with how many moved.
   */
  async redrive(group: string, options: { limit?: number } = {}): Promise<number> {
    await this.#creating.get(group);
    const origin = this.#group(group);
    const limit = integer('limit', options.limit, Number.MAX_SAFE_INTEGER, 1);
    const dead = origin.deadLetterTo === undefined ? undefined : this.state.groups.get(origin.deadLetterTo);
    if (dead === undefined) return 0;
    const at = this.nowMs();
    const commands: Command[] = [];
    for (let seq = dead.floor; seq < this.state.nextSeq && commands.length < limit; seq++) {
      const message = this.state.messages.get(seq);
      if (message?.dead?.origin !== group || this.state.isSettled(dead, seq) || dead.leases.has(seq)) continue;
      commands.push({ t: 'redrive', g: dead.name, seq, at });
    }
    if (commands.length === 0) return 0;
    const result = await this.propose(commands);
    return result.results.filter((outcome) => 'offset' in outcome).length;
  }

  /** Deliveries served from the in-memory payload cache (`hits`) and read from the log (`misses`). */
  get payloadCache(): { readonly hits: number; readonly misses: number; readonly bytes: number } {
    return { hits: this.#payloads.hits, misses: this.#payloads.misses, bytes: this.#payloads.bytes };
  }

  /** Names of the groups the queue holds (dead-letter groups included), in creation order. */
  groupNames(): string[] {
    return [...this.state.groups.keys()];
  }

  /** Publishes `queue.stats()` of every group on `seglog:queue:stats` now, if anyone subscribes. */
  publishStats(): void {
    this.#stats.publishNow();
  }

  /** Counters of `group`; all zero for a group whose first consumer's creation record is not yet durable. */
  stats(group: string): GroupStats {
    if (!this.state.groups.has(group) && this.#runtimes.has(group)) return { ...EMPTY_STATS };
    const state = this.#group(group);
    const oldest = state.floor < this.state.nextSeq ? this.state.messages.get(state.floor) : undefined;
    const dead = state.deadLetterTo === undefined ? undefined : this.state.groups.get(state.deadLetterTo);
    return {
      backlog: state.unsettled - state.leases.size,
      inFlight: state.leases.size,
      redelivered: state.redelivered,
      oldestUnackedAgeMs: oldest === undefined ? 0 : Math.max(0, this.nowMs() - oldest.at),
      deadLetters: dead?.unsettled ?? 0,
      deadLettered: state.deadLettered,
      acked: state.acked,
      expired: state.expired,
      paused: state.paused,
    };
  }

  /**
   * Stops deliveries, waits up to `drainMs` (default 5000) for handed-out messages to be settled,
   * aborts the signals of those still running (their leases lapse: they are redelivered after the
   * next open), then closes the log. Settles still in flight finish first.
   */
  close(options: { drainMs?: number } = {}): Promise<void> {
    const drainMs = integer('drainMs', options.drainMs, queueLimits.drainMsDefault, 0);
    this.#closing ??= this.#close(drainMs);
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ---- RuntimeHost ----

  propose(commands: readonly Command[]): Promise<ApplyResult> {
    return this.#machine.propose(commands);
  }

  schedule(event: WheelEvent, dueMs: number): WheelTimer<WheelEvent> {
    const timer = this.#wheel.schedule(event, dueMs);
    this.#armWheel();
    return timer;
  }

  armTimers(): void {
    this.#armWheel();
  }

  cancel(timer: WheelTimer<WheelEvent>): void {
    this.#wheel.cancel(timer);
  }

  cachedPayload(message: MessageState, onlyHolder: boolean): Uint8Array | undefined {
    return onlyHolder ? this.#payloads.take(message) : this.#payloads.recall(message);
  }

  async payload(loc: PayloadLocation): Promise<Uint8Array> {
    const [offset, index] = loc;
    // The last record read, shared by concurrent hand-outs: deliveries come in offset order, and a
    // batch of them would otherwise read and decode the same enqueueMany record once each.
    if (this.#payloadCache?.offset !== offset) {
      const commands = this.#machine.reader.get(offset).then((bytes) => decodeCommands(bytes, offset));
      this.#payloadCache = { offset, commands };
      commands.catch(() => {
        if (this.#payloadCache?.commands === commands) this.#payloadCache = null;
      });
    }
    const command = (await this.#payloadCache.commands)[index];
    if (command?.t !== 'enq' || command.payload === undefined) throw SeglogError.corrupt(`record ${offset} has no payload at ${index}`, { offset });
    return command.payload.slice();
  }

  // ---- internals ----

  #enqueueCommand(payload: Uint8Array, options: EnqueueOptions): EnqueueCommand {
    this.#assertOpen();
    checkPayload(payload);
    checkEnqueueOptions(options);
    const at = this.nowMs();
    const dedup = options.dedupId;
    // Every field present, absent ones undefined: one shape, and no spread temporaries per enqueue.
    return {
      t: 'enq',
      at,
      prio: options.priority ?? 0,
      notBefore: options.delayMs === undefined || options.delayMs === 0 ? 0 : at + options.delayMs,
      payload,
      key: options.key,
      dedup,
      dedupUntil: dedup === undefined ? undefined : at + this.#dedupWindowMs,
    };
  }

  #createGroup(group: string, from: GroupFrom): void {
    const isDeadLetterTarget = [...this.#runtimes.values()].some((runtime) => runtime.policy.deadLetter === group);
    if (isDeadLetterTarget) {
      // A dead-letter group is made by its first dead letter; until then there is nothing to consume.
      return;
    }
    const creating = this.propose([{ t: 'group', g: group, from, at: this.nowMs() }])
      .catch(() => undefined)
      .finally(() => this.#creating.delete(group));
    this.#creating.set(group, creating);
  }

  #observer(): StateObserver {
    const runtime = (group: GroupState): GroupRuntime | undefined => this.#runtimes.get(group.name);
    const dir = this.dir;
    return {
      messageAdded: (message, payload) => {
        if (payload !== undefined) this.#payloads.remember(message, payload);
        if (message.dead !== undefined && message.target !== undefined) {
          const { target: group, seq: offset, dead } = message;
          publishQueueEvent(() => ({ dir, group, kind: 'dead-letter', offset, origin: dead.origin }));
        }
        for (const each of this.#runtimes.values()) each.messageAdded(message);
      },
      groupAdded: (group) => {
        const found = runtime(group);
        if (found !== undefined && !found.attached) found.attach(group);
      },
      delivered: (group, seq, lease) => {
        publishQueueEvent(() => ({ dir, group: group.name, kind: 'deliver', offset: seq, attempt: lease.attempt }));
        runtime(group)?.delivered(seq, lease);
      },
      extended: (group, seq, lease) => runtime(group)?.extended(seq, lease),
      naked: (group, seq, notBefore) => {
        publishQueueEvent(() => ({ dir, group: group.name, kind: 'nak', offset: seq, notBeforeMs: notBefore }));
        runtime(group)?.naked(seq, notBefore);
      },
      settled: (group, message) => {
        publishQueueEvent(() => ({ dir, group: group.name, kind: 'settle', offset: message.seq }));
        runtime(group)?.settled(message);
      },
      paused: (group) => runtime(group)?.pausedChanged(),
      dropped: (message) => this.#payloads.forget(message),
    };
  }

  /** A delivery found the message's record gone and retired it (RuntimeHost). */
  expired(group: string, seq: number, attempt: number): void {
    publishQueueEvent(() => ({ dir: this.dir, group, kind: 'expire', offset: seq, attempt }));
  }

  /** A lease lapsed in `group`'s runtime (RuntimeHost). */
  lapsed(group: string, seq: number, attempt: number): void {
    publishQueueEvent(() => ({ dir: this.dir, group, kind: 'lapse', offset: seq, attempt }));
  }

  #statsEvent(): QueueStatsEvent {
    const groups: Record<string, GroupStats> = {};
    for (const name of this.state.groups.keys()) groups[name] = this.stats(name);
    return { dir: this.dir, atMs: this.nowMs(), groups };
  }

  #runtimeOf(message: QueueMessage): GroupRuntime {
    const runtime = this.#runtimes.get(message.group);
    if (runtime === undefined) throw new TypeError('the message was not delivered by this queue');
    return runtime;
  }

  #group(name: string): GroupState {
    checkGroupName(name);
    const group = this.state.groups.get(name);
    if (group === undefined) throw SeglogError.invalidOption('group', `${name} does not exist`);
    return group;
  }

  async #setPaused(group: string, paused: boolean): Promise<void> {
    await this.#creating.get(group);
    this.#group(group);
    await this.propose([{ t: 'pause', g: group, paused }]);
  }

  /** Ticks while the wheel or a group's lease line (runtime.ts) holds something. */
  #armWheel(): void {
    if (this.#timer !== null || this.#closing !== null || (this.#wheel.size === 0 && !this.#leasesPending())) return;
    this.#timer = this.#clock.setTimer(() => {
      this.#timer = null;
      const now = this.nowMs();
      for (const event of this.#wheel.advance(now)) event.runtime.fire(event);
      for (const runtime of this.#runtimes.values()) runtime.lapseDue(now);
      this.#armWheel();
    }, this.#wheel.tickMs);
  }

  #leasesPending(): boolean {
    for (const runtime of this.#runtimes.values()) if (runtime.leasesPending) return true;
    return false;
  }

  async #close(drainMs: number): Promise<void> {
    for (const runtime of this.#runtimes.values()) for (const consumer of [...runtime.consumers]) consumer.close();
    const handed = (): QueueMessage[] => [...this.#runtimes.values()].flatMap((runtime) => runtime.handedMessages());
    const deadline = Date.now() + drainMs;
    // Real time on purpose: the drain bounds how long close takes, whatever clock the queue runs on.
    while (handed().length > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(10, drainMs)));
    }
    for (const message of handed()) message.abort('the queue is closing');
    this.#stats.stop();
    if (this.#keepAlive !== null) clearInterval(this.#keepAlive);
    this.#keepAlive = null;
    if (this.#timer !== null) this.#clock.clearTimer(this.#timer);
    this.#timer = null;
    await this.#machine.close();
  }

  #assertOpen(): void {
    if (this.#closing !== null) throw SeglogError.closed('queue');
  }
}

/** A command's bytes in a record: its payload plus a generous bound on its entry (about 40 bytes plus its strings). */
function estimatedBytes(command: EnqueueCommand): number {
  return (command.payload?.byteLength ?? 0) + 160 + 3 * ((command.key?.length ?? 0) + (command.dedup?.length ?? 0));
}

const EMPTY_STATS: GroupStats = {
  backlog: 0,
  inFlight: 0,
  redelivered: 0,
  oldestUnackedAgeMs: 0,
  deadLetters: 0,
  deadLettered: 0,
  acked: 0,
  expired: 0,
  paused: false,
};

/** The options of an enqueue that passes none (shared, never changed). */
const NO_ENQUEUE_OPTIONS: EnqueueOptions = Object.freeze({});

function firstReceipt(result: ApplyResult): Receipt {
  return receiptOf(result, 0);
}

function receiptOf(result: ApplyResult, index: number): Receipt {
  const outcome = result.results[index];
  if (outcome === undefined || !('offset' in outcome)) throw SeglogError.closed('queue');
  return outcome;
}
