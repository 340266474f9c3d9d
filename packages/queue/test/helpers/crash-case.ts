/**
 * One job: one seeded crash case of the queue, shared by crash.sim.test.ts.
 *
 * A case runs several boots of a simulated machine on SimFileIO with a virtual clock (time moves
 * 1 ms per event-loop turn, so a run replays exactly from its seed). In each boot it opens the
 * queue, runs producers (enqueue and enqueueMany, some with keys and priorities) and a consumer
 * whose handler acks, naks, terms, extends, or lets the lease lapse, chosen by the PRNG, and cuts
 * the power after a random number of turns: in an open, a snapshot, a group commit, anywhere.
 * A final boot without a crash acks everything left and drains the dead-letter group. Checked
 * against a model of what was acknowledged before each crash:
 * - every enqueue that resolved is delivered (0 durable enqueues lost), and nothing else appears;
 * - a message whose ack or term resolved is never delivered again in the group (0 settles undone);
 * - at the end every message is acked or dead-lettered, and the group is empty;
 * - every redelivery follows a lapsed lease (virtual time past its deadline), a nak, or a crash
 *   while the delivery was held; each is counted by cause. Delivery counts only grow.
 * A failure's message ends `reproduce with SEGLOG_SEED=<seed>`.
 */
import { Prng } from '@seglog/testkit';
import type { SimFileIO } from '@seglog/testkit';
import { isSeglogError } from '@seglog/types';
import { openQueue } from '../../src/index.js';
import type { Queue, QueueMessage } from '../../src/index.js';
import { freshSim } from './sim.js';
import { VirtualClock, nextTurn } from './virtual-clock.js';

const DIR = '/data/q';
const GROUP = 'work';
const DEAD = 'work.dead';
const ACK_DEADLINE_MS = 40;
const MAX_DELIVERIES = 4;

export interface QueueCrashResult {
  crashPoints: number;
  durableEnqueues: number;
  acks: number;
  terms: number;
  deadLetters: number;
  redeliveredAfterLapse: number;
  redeliveredAfterNak: number;
  redeliveredAfterCrash: number;
  unackedEnqueuesSurvived: number;
  /** Settles cut by a power loss before they resolved, found applied after it. */
  unacknowledgedSettlesKept: number;
  snapshotsWritten: number;
  snapshotOpens: number;
  /** Log segments retention dropped (behind the queue's hold), over the boots. */
  segmentsDropped: number;
}

/** Adds each count of `result` to `totals` (the summaries of the crash test and the soak script). */
export function addCrashTotals(totals: Record<string, number>, result: QueueCrashResult): void {
  // Object.entries would type the values as any: QueueCrashResult is an interface (no index signature).
  for (const name of Object.keys(result) as (keyof QueueCrashResult)[]) {
    totals[name] = (totals[name] ?? 0) + result[name];
  }
}

type Fate = 'held' | 'lapse' | 'nak' | 'acked' | 'termed' | 'settling';

interface Seen {
  count: number;
  deadlineMs: number;
  boot: number;
  fate: Fate;
}

class Failure extends Error {}

export async function runQueueCrashCase(seed: number): Promise<QueueCrashResult> {
  const prng = new Prng(seed);
  const sim = await freshSim(seed);
  const result: QueueCrashResult = {
    crashPoints: 0,
    durableEnqueues: 0,
    acks: 0,
    terms: 0,
    deadLetters: 0,
    redeliveredAfterLapse: 0,
    redeliveredAfterNak: 0,
    redeliveredAfterCrash: 0,
    unackedEnqueuesSurvived: 0,
    unacknowledgedSettlesKept: 0,
    snapshotsWritten: 0,
    snapshotOpens: 0,
    segmentsDropped: 0,
  };
  const attempted = new Set<string>();
  const durable = new Set<string>();
  const seen = new Map<string, Seen>();
  const clock = new VirtualClock(1_000_000);
  const snapshotEveryRecords = prng.int(2, 30);
  const fail = (why: string): never => {
    throw new Failure(`${why}; reproduce with SEGLOG_SEED=${seed}`);
  };
  const boots = prng.int(2, 5);
  for (let boot = 0; boot <= boots; boot++) {
    const final = boot === boots;
    const queue = await openUntilUp(sim, clock, snapshotEveryRecords, prng, result);
    if (queue === null) continue;
    if (queue.machine.stats.snapshotOffsetAtOpen !== null) result.snapshotOpens++;
    let crashed = false;
    const onDelivery = (message: QueueMessage): void => {
      const id = new TextDecoder().decode(message.payload);
      if (!attempted.has(id)) fail(`message ${id} was never enqueued`);
      const previous = seen.get(id);
      if (previous !== undefined) {
        if (previous.fate === 'acked' || previous.fate === 'termed') fail(`message ${id} delivered again (count ${message.deliveryCount}) after its ${previous.fate} was acknowledged`);
        if (message.deliveryCount <= previous.count) fail(`message ${id} delivery count went from ${previous.count} to ${message.deliveryCount}`);
        if (previous.boot !== boot) result.redeliveredAfterCrash++;
        else if (previous.fate === 'nak') result.redeliveredAfterNak++;
        else if (clock.nowMs() >= previous.deadlineMs) result.redeliveredAfterLapse++;
        else fail(`message ${id} redelivered at ${clock.nowMs()} while its delivery ${previous.count} was leased until ${previous.deadlineMs} (${previous.fate})`);
      } else if (!durable.has(id)) {
        result.unackedEnqueuesSurvived++;
      }
      seen.set(id, { count: message.deliveryCount, deadlineMs: message.deadlineMs, boot, fate: 'held' });
    };
    const mark = (id: string, fate: Fate): void => {
      if (crashed) return;
      const entry = seen.get(id);
      if (entry !== undefined) entry.fate = fate;
    };
    const consumer = queue.consumer(GROUP, { concurrency: prng.int(1, 6), ackDeadlineMs: ACK_DEADLINE_MS, maxDeliveries: MAX_DELIVERIES, backoff: { type: 'fixed', delayMs: prng.int(0, 10) } });
    const handle = async (message: QueueMessage): Promise<void> => {
      onDelivery(message);
      const id = new TextDecoder().decode(message.payload);
      const roll = final ? 0 : prng.float();
      for (let turns = prng.int(0, 20); turns > 0; turns--) await nextTurn();
      try {
        if (roll < 0.6) {
          mark(id, 'settling');
          await message.ack();
          mark(id, 'acked');
          if (!crashed) result.acks++;
        } else if (roll < 0.72) {
          mark(id, 'settling');
          await message.nak({ delayMs: prng.int(0, 20) });
          mark(id, 'nak');
        } else if (roll < 0.77) {
          mark(id, 'settling');
          await message.term({ reason: 'test' });
          mark(id, 'termed');
          if (!crashed) result.terms++;
        } else if (roll < 0.85) {
          await message.inProgress();
          if (!crashed) seen.get(id)!.deadlineMs = message.deadlineMs;
          mark(id, 'settling');
          await message.ack();
          mark(id, 'acked');
          if (!crashed) result.acks++;
        } else {
          // Let the lease lapse: process() would ack on return, so hold on until the signal says so.
          mark(id, 'lapse');
          if (!message.signal.aborted) await new Promise((resolve) => message.signal.addEventListener('abort', resolve));
        }
      } catch (error) {
        if (isSeglogError(error, 'SEGLOG_STALE_DELIVERY')) mark(id, 'lapse');
        else if (!crashed) mark(id, 'lapse');
      }
    };
    const consuming = consumer.process(handle).catch(() => undefined);
    const producing = final ? Promise.resolve() : produce(queue, prng, attempted, durable, () => crashed, result);
    if (final) {
      await drainAll(queue, clock, fail);
      consumer.close();
      await consuming;
      await checkFinal(queue, clock, durable, seen, result, fail, boot);
      await queue.close({ drainMs: 0 });
      break;
    }
    for (let turns = prng.int(5, 400); turns > 0; turns--) {
      await nextTurn();
      clock.advance(1);
      // Retention passes at seeded instants (its timer is real time, so it is off): a power cut may
      // land in one, and every later boot must still find what the queue's hold protects.
      if (prng.bool(0.02)) void queue.machine.log.applyRetention().catch(() => undefined);
    }
    result.segmentsDropped += queue.machine.log.metrics().retention.segmentsDropped;
    crashed = true;
    sim.crash();
    result.crashPoints++;
    result.snapshotsWritten += queue.machine.stats.snapshotsWritten;
    void producing;
    await queue.close({ drainMs: 0 }).catch(() => undefined);
  }
  return result;
}

/** Opens the queue; a power cut may land in the open itself (then it is a crash point too). */
async function openUntilUp(
  sim: SimFileIO,
  clock: VirtualClock,
  snapshotEveryRecords: number,
  prng: Prng,
  result: QueueCrashResult,
): Promise<Queue | null> {
  const cutDuringOpen = prng.bool(0.15);
  const opening = openQueue({
    dir: DIR,
    io: sim.boot(),
    clock,
    snapshotEveryRecords,
    log: { blockBytes: 512, segmentBytes: 16 * 1024, commitWindow: { fixedMicros: 0 } },
    retention: { maxBytes: 16 * 1024, intervalMs: 86_400_000 },
  });
  if (!cutDuringOpen) return opening;
  for (let turns = prng.int(0, 30); turns > 0; turns--) await nextTurn();
  sim.crash();
  result.crashPoints++;
  const queue = await opening.catch(() => null);
  await queue?.close({ drainMs: 0 }).catch(() => undefined);
  return null;
}

async function produce(
  queue: Queue,
  prng: Prng,
  attempted: Set<string>,
  durable: Set<string>,
  crashed: () => boolean,
  result: QueueCrashResult,
): Promise<void> {
  let serial = attempted.size;
  const fresh = (): string => `m${serial++}-${prng.nextU32().toString(36)}`;
  const pending: Promise<unknown>[] = [];
  for (let round = prng.int(3, 12); round > 0 && !crashed(); round--) {
    const ids = Array.from({ length: prng.int(1, 6) }, fresh);
    for (const id of ids) attempted.add(id);
    const options = (): { key?: string; priority?: number } => ({
      ...(prng.bool(0.3) ? { key: `k${prng.int(0, 3)}` } : {}),
      ...(prng.bool(0.2) ? { priority: prng.int(0, 8) } : {}),
    });
    const encoder = new TextEncoder();
    const enqueue = ids.length === 1
      ? queue.enqueue(encoder.encode(ids[0]), options())
      : queue.enqueueMany(ids.map((id) => ({ payload: encoder.encode(id), options: options() })));
    pending.push(enqueue.then(() => {
      if (crashed()) return;
      for (const id of ids) durable.add(id);
      result.durableEnqueues += ids.length;
    }, () => undefined));
    for (let turns = prng.int(0, 15); turns > 0; turns--) await nextTurn();
  }
  await Promise.all(pending);
}

async function drainAll(queue: Queue, clock: VirtualClock, fail: (why: string) => never): Promise<void> {
  for (let turns = 0; ; turns++) {
    await nextTurn();
    clock.advance(1);
    const stats = queue.stats(GROUP);
    if (stats.backlog === 0 && stats.inFlight === 0) return;
    if (turns > 200_000) fail(`the group never drained: ${JSON.stringify(stats)}`);
  }
}

async function checkFinal(
  queue: Queue,
  clock: VirtualClock,
  durable: Set<string>,
  seen: Map<string, Seen>,
  result: QueueCrashResult,
  fail: (why: string) => never,
  finalBoot: number,
): Promise<void> {
  const dead = new Set<string>();
  const expectedDead = queue.stats(GROUP).deadLetters;
  if (expectedDead > 0) {
    const consumer = queue.consumer(DEAD, { concurrency: 8 });
    const collecting = consumer.process((message) => {
      dead.add(new TextDecoder().decode(message.payload));
    });
    for (let turns = 0; queue.stats(GROUP).deadLetters > 0; turns++) {
      await nextTurn();
      clock.advance(1);
      if (turns > 100_000) fail('the dead-letter group never drained');
    }
    consumer.close();
    await collecting;
  }
  result.deadLetters += dead.size;
  for (const id of durable) {
    const entry = seen.get(id);
    if (entry === undefined) fail(`durable enqueue ${id} was never delivered`);
    // An ack or term cut by the power may have become durable without being acknowledged: then the
    // message is settled and never comes back, which is allowed (its outcome was unknown).
    const settledUnacknowledged = entry.fate === 'settling' && entry.boot < finalBoot && !dead.has(id);
    if (settledUnacknowledged) result.unacknowledgedSettlesKept++;
    const settled = entry.fate === 'acked' || dead.has(id) || settledUnacknowledged;
    if (!settled) fail(`durable enqueue ${id} ended ${entry.fate}, neither acked nor dead-lettered`);
    if (entry.fate === 'acked' && dead.has(id)) fail(`acked message ${id} was dead-lettered too`);
  }
  for (const [id, entry] of seen) if (entry.fate === 'termed' && !dead.has(id)) fail(`termed message ${id} is not in the dead-letter group`);
}
