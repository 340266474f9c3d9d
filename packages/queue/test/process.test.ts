/**
 * The handler form, `consumer.process(handler)`: slots without a promise per message (consumer.ts)
 * must keep what the async slot loop guaranteed: at most `concurrency` handlers at once, an ack on
 * return and a nak on throw (synchronous or not), no second settle of a message the handler settled
 * itself, and an end only once the running handlers and their settles are done.
 */
import test from 'ava';
import type { QueueMessage } from '../src/index.js';
import { bytes, simQueue, sleep, text } from './helpers/queue.js';

const noBackoff = { type: 'fixed', delayMs: 0 } as const;

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await sleep(2);
}

test('process runs at most concurrency handlers at once and acks each message once its handler resolves', async (t) => {
  const { queue } = await simQueue(301);
  const count = 40;
  await queue.enqueueMany(Array.from({ length: count }, (_, index) => ({ payload: bytes(String(index)) })));
  const consumer = queue.consumer('work', { concurrency: 4 });
  let running = 0;
  let maxRunning = 0;
  const seen: string[] = [];
  const done = consumer.process(async (message) => {
    running++;
    maxRunning = Math.max(maxRunning, running);
    seen.push(`${text(message.payload)}#${message.deliveryCount}`);
    await sleep(1);
    running--;
  });
  await until(() => queue.stats('work').acked === count);
  consumer.close();
  await done;
  t.is(maxRunning, 4, 'every free slot took a delivery, and never more than concurrency ran');
  t.deepEqual(seen.sort(), Array.from({ length: count }, (_, index) => `${index}#1`).sort());
  t.like(queue.stats('work'), { acked: count, redelivered: 0, backlog: 0, inFlight: 0 });
  t.is(consumer.handlerErrors, 0);
  await queue.close();
});

test('a synchronous handler acks on return and naks on a synchronous throw', async (t) => {
  const { queue } = await simQueue(302);
  await queue.enqueueMany(['a', 'bad', 'c'].map((name) => ({ payload: bytes(name) })));
  const consumer = queue.consumer('work', { concurrency: 3, maxDeliveries: 3, backoff: noBackoff });
  const seen: string[] = [];
  const done = consumer.process((message) => {
    seen.push(`${text(message.payload)}#${message.deliveryCount}`);
    if (text(message.payload) === 'bad' && message.deliveryCount === 1) throw new Error('once');
  });
  await until(() => queue.stats('work').acked === 3);
  consumer.close();
  await done;
  t.deepEqual(seen.sort(), ['a#1', 'bad#1', 'bad#2', 'c#1']);
  t.like(queue.stats('work'), { acked: 3, redelivered: 1, deadLettered: 0 });
  await queue.close();
});

test('a handler that settles its own message is not settled again by process', async (t) => {
  const { queue } = await simQueue(303);
  await queue.enqueue(bytes('x'));
  const consumer = queue.consumer('work', { backoff: noBackoff });
  const done = consumer.process(async (message) => {
    if (message.deliveryCount === 1) await message.nak({ delayMs: 0 });
  });
  await until(() => queue.stats('work').acked === 1);
  consumer.close();
  await done;
  t.like(queue.stats('work'), { acked: 1, redelivered: 1 });
  t.is(consumer.handlerErrors, 0, 'no stale second settle was attempted');
  await queue.close();
});

test('process resolves only once the handlers still running at close and their acks have ended', async (t) => {
  const { queue } = await simQueue(304);
  await queue.enqueue(bytes('slow'));
  const consumer = queue.consumer('work');
  let release = (): void => undefined;
  let started: QueueMessage | null = null;
  const done = consumer.process(async (message) => {
    started = message;
    await new Promise<void>((resolve) => (release = resolve));
  });
  await until(() => started !== null);
  consumer.close();
  let ended = false;
  void done.then(() => (ended = true));
  await sleep(20);
  t.false(ended, 'a handler is still running');
  release();
  await done;
  t.like(queue.stats('work'), { acked: 1, inFlight: 0 }, 'its ack was durable and applied before process resolved');
  await queue.close();
});

test('a second process on one consumer is refused; process on a closed consumer ends at once', async (t) => {
  const { queue } = await simQueue(305);
  const consumer = queue.consumer('work');
  const first = consumer.process(() => undefined);
  await t.throwsAsync(consumer.process(() => undefined), { instanceOf: TypeError, message: /already running/ });
  consumer.close();
  await first;
  const closed = queue.consumer('work');
  closed.close();
  t.is(await closed.process(() => undefined), undefined, 'process on a closed consumer resolved');
  await queue.close();
});
