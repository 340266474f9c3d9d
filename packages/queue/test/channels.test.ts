/**
 * The queue's diagnostics channels: `seglog:queue:event` carries deliveries, naks, settles,
 * lapses and dead letters as they are applied; `seglog:queue:stats` carries every group's stats
 * while someone subscribes. Serial: the channels are process-wide.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import test from 'ava';
import { QUEUE_EVENT_CHANNEL, QUEUE_STATS_CHANNEL } from '../src/index.js';
import type { QueueEvent, QueueStatsEvent } from '../src/index.js';
import { QUEUE_DIR, bytes, simQueue, take } from './helpers/queue.js';
import { VirtualClock } from './helpers/virtual-clock.js';

test.serial('events: deliver, nak, lapse, settle and dead-letter, in the order applied', async (t) => {
  const events: QueueEvent[] = [];
  const listener = (message: unknown): void => void events.push(message as QueueEvent);
  subscribe(QUEUE_EVENT_CHANNEL, listener);
  t.teardown(() => unsubscribe(QUEUE_EVENT_CHANNEL, listener));
  const clock = new VirtualClock(1_000_000);
  const { queue } = await simQueue(41, { clock });
  await queue.enqueue(bytes('x'));
  const consumer = queue.consumer('work', { ackDeadlineMs: 40, maxDeliveries: 3, backoff: { type: 'fixed', delayMs: 0 } });
  const iterator = consumer[Symbol.asyncIterator]();
  const first = await take(iterator);
  await first.nak({ delayMs: 0 });
  const second = await take(iterator);
  const pending = take(iterator);
  clock.advance(60);
  const third = await pending;
  t.is(second.deliveryCount, 2);
  await third.term({ reason: 'no' });
  await queue.close();
  const mine = events
    .filter((event) => event.dir === QUEUE_DIR)
    .map(({ group, kind, offset, attempt }) => ({ group, kind, offset, attempt }));
  t.deepEqual(mine, [
    { group: 'work', kind: 'deliver', offset: 0, attempt: 1 },
    { group: 'work', kind: 'nak', offset: 0, attempt: undefined },
    { group: 'work', kind: 'deliver', offset: 0, attempt: 2 },
    { group: 'work', kind: 'lapse', offset: 0, attempt: 2 },
    { group: 'work', kind: 'deliver', offset: 0, attempt: 3 },
    { group: 'work.dead', kind: 'dead-letter', offset: 1, attempt: undefined },
    { group: 'work', kind: 'settle', offset: 0, attempt: undefined },
  ]);
  t.is(events.find((event) => event.kind === 'dead-letter')?.origin, 'work');
});

test.serial('stats: every group on the stats channel, published on a timer only while subscribed', async (t) => {
  const seen: QueueStatsEvent[] = [];
  const { queue } = await simQueue(42, { statsIntervalMs: 5 });
  await queue.enqueueMany([{ payload: bytes('a') }, { payload: bytes('b') }]);
  queue.consumer('work');
  queue.consumer('audit');
  await new Promise((resolve) => setTimeout(resolve, 30));
  const listener = (message: unknown): void => void seen.push(message as QueueStatsEvent);
  subscribe(QUEUE_STATS_CHANNEL, listener);
  // Until two timer ticks went out (not a fixed sleep: a loaded machine may run the 5 ms timer late).
  for (let waited = 0; seen.length < 2 && waited < 10_000; waited += 10) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  unsubscribe(QUEUE_STATS_CHANNEL, listener);
  const count = seen.length;
  t.true(count >= 2, `the timer published (${count} events)`);
  const last = seen.at(-1)!;
  t.is(last.dir, QUEUE_DIR);
  t.deepEqual(Object.keys(last.groups).sort(), ['audit', 'work']);
  t.is(last.groups.work!.backlog + last.groups.work!.inFlight, 2);
  t.like(last.groups.audit, { backlog: 2, inFlight: 0, acked: 0, paused: false });
  queue.publishStats();
  t.is(seen.length, count, 'nothing goes out without a subscriber');
  await queue.close();
});
