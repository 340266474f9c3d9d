/**
 * The lease line (src/queue/lease-line.ts): deliveries' deadlines in order, due ones taken from
 * the head, an out-of-order deadline refused (the caller puts it on the wheel), and compaction
 * that keeps only the live entries so the line stays proportional to the live leases.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import test from 'ava';
import { QUEUE_EVENT_CHANNEL } from '../src/index.js';
import type { QueueEvent } from '../src/index.js';
import { LeaseLine } from '../src/queue/lease-line.js';
import { queueLimits } from '../src/queue/options.js';
import { bytes, simQueue, take, text } from './helpers/queue.js';
import { VirtualClock } from './helpers/virtual-clock.js';

const always = (): boolean => true;

function due(line: LeaseLine, nowMs: number): [number, number, number][] {
  const taken: [number, number, number][] = [];
  line.takeDue(nowMs, (seq, attempt, deadline) => taken.push([seq, attempt, deadline]));
  return taken;
}

test('due entries come off the head in deadline order, none before its deadline', (t) => {
  const line = new LeaseLine();
  t.true(line.push(1, 1, 100, always, 0));
  t.true(line.push(2, 1, 100, always, 0));
  t.true(line.push(3, 2, 150, always, 0));
  t.deepEqual(due(line, 99), []);
  t.deepEqual(due(line, 100), [[1, 1, 100], [2, 1, 100]]);
  t.is(line.length, 1);
  t.deepEqual(due(line, 1_000), [[3, 2, 150]]);
  t.is(line.length, 0);
});

test('a deadline earlier than the last is refused, so the line stays sorted', (t) => {
  const line = new LeaseLine();
  t.true(line.push(1, 1, 200, always, 0));
  t.false(line.push(2, 1, 199, always, 0), 'the caller schedules this one on the wheel');
  t.true(line.push(3, 1, 200, always, 0));
  t.deepEqual(due(line, 200), [[1, 1, 200], [3, 1, 200]]);
  t.true(line.push(4, 1, 10, always, 0), 'an emptied line takes any deadline');
});

test('compaction drops stale entries and keeps the line within twice the live leases plus the slack', (t) => {
  const line = new LeaseLine();
  const live = new Set<number>();
  const isLive = (seq: number): boolean => live.has(seq);
  let maxLength = 0;
  // 100 live leases at a time; every delivery's lease is settled 100 deliveries later (stale entry).
  for (let seq = 0; seq < 50_000; seq++) {
    live.add(seq);
    if (seq >= 100) live.delete(seq - 100);
    t.true(line.push(seq, 1, seq, isLive, live.size));
    maxLength = Math.max(maxLength, line.length);
  }
  t.true(maxLength <= 2 * 100 + queueLimits.leaseLineSlack + 1, `line grew to ${maxLength}`);
  const remaining = due(line, Number.MAX_SAFE_INTEGER).map(([seq]) => seq);
  for (const seq of live) t.true(remaining.includes(seq), `live lease ${seq} kept`);
  t.deepEqual(remaining, [...remaining].sort((a, b) => a - b), 'order kept through compactions');
});

// Serial: the event channel is process-wide, and this test counts every lapse published on it.
test.serial('leases lapse once each, in order; settled and extended ones never at their old deadline; the timer stops when none is live', async (t) => {
  const clock = new VirtualClock(1_000_000);
  const { queue } = await simQueue(40, { clock });
  await queue.enqueueMany(['a', 'b', 'c', 'd'].map((name) => ({ payload: bytes(name) })));
  const lapsed: number[] = [];
  const onEvent = (event: unknown): void => {
    const { kind, offset } = event as QueueEvent;
    if (kind === 'lapse') lapsed.push(offset);
  };
  subscribe(QUEUE_EVENT_CHANNEL, onEvent);
  try {
    const consumer = queue.consumer('work', { concurrency: 4, ackDeadlineMs: 100, backoff: { type: 'fixed', delayMs: 0 } });
    const iterator = consumer[Symbol.asyncIterator]();
    const [a, b, c, d] = [await take(iterator), await take(iterator), await take(iterator), await take(iterator)];
    await a.ack();
    clock.advance(40);
    await b.inProgress({ extendMs: 60 }); // the same deadline as its delivery's
    await c.inProgress({ extendMs: 200 });
    clock.advance(70);
    t.deepEqual(lapsed, [1, 3], 'b (same deadline after its extend) and d lapse once each; a was acked, c extended');
    t.true(b.signal.aborted && d.signal.aborted && !c.signal.aborted);
    const again = [await take(iterator), await take(iterator)];
    t.deepEqual(again.map((message) => [text(message.payload), message.deliveryCount]), [['b', 2], ['d', 2]]);
    await Promise.all([...again, c].map((message) => message.ack()));
    clock.advance(500);
    t.deepEqual(lapsed, [1, 3], 'nothing lapsed after its ack');
    t.is(clock.pendingTimers, 0, 'no timer ticks once no lease is live');
  } finally {
    unsubscribe(QUEUE_EVENT_CHANNEL, onEvent);
    await queue.close({ drainMs: 0 });
  }
});
