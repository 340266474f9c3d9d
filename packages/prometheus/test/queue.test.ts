/**
 * registerQueueMetrics on a real @seglog/queue queue in a temp dir: each group's stats become
 * labelled series with the right values and units, two queues share a registry by their labels,
 * unregister removes the series, and misuse is a TypeError.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { Registry } from 'prom-client';
import { openQueue } from '@seglog/queue';
import type { Queue } from '@seglog/queue';
import { queueMetricSpecs, registerQueueMetrics } from '../src/index.js';
import type { MetricsQueue } from '../src/index.js';
import { parseExposition, samplesOf, valueOf } from './helpers/exposition.js';

async function tempQueue(t: ExecutionContext): Promise<Queue> {
  const dir = await mkdtemp(join(tmpdir(), 'seglog-prometheus-queue-'));
  const queue = await openQueue({ dir });
  t.teardown(async () => {
    await queue.close({ drainMs: 0 });
    await rm(dir, { recursive: true, force: true });
  });
  return queue;
}

const payload = new Uint8Array(16);

async function scrape(registry: Registry) {
  return parseExposition(await registry.metrics());
}

test('every group of the queue is a labelled series with its stats', async (t) => {
  const queue = await tempQueue(t);
  const registry = new Registry();
  registerQueueMetrics(queue, { registry });
  await queue.enqueueMany(Array.from({ length: 5 }, () => ({ payload })));
  const iterator = queue.consumer('work', { concurrency: 3, maxDeliveries: 1 })[Symbol.asyncIterator]();
  const first = await iterator.next();
  const second = await iterator.next();
  if (first.done === true || second.done === true) throw new Error('consumer ended');
  await first.value.ack();
  await second.value.term({ reason: 'bad' });
  const samples = await scrape(registry);
  const work = { group: 'work' };
  t.is(valueOf(samples, 'seglog_queue_acked_total', work), 1);
  t.is(valueOf(samples, 'seglog_queue_dead_lettered_total', work), 1);
  t.is(valueOf(samples, 'seglog_queue_dead_letters_messages', work), 1);
  t.is(valueOf(samples, 'seglog_queue_backlog_messages', work), 3);
  t.is(valueOf(samples, 'seglog_queue_in_flight_messages', work), 0);
  t.is(valueOf(samples, 'seglog_queue_paused', work), 0);
  t.is(valueOf(samples, 'seglog_queue_redelivered_total', work), 0);
  const age = valueOf(samples, 'seglog_queue_oldest_unacked_age_seconds', work);
  t.true(age >= 0 && age < 60, 'the age is in seconds');
  t.is(valueOf(samples, 'seglog_queue_backlog_messages', { group: 'work.dead' }), 1, 'the dead-letter group is a group too');
  await queue.pause('work');
  t.is(valueOf(await scrape(registry), 'seglog_queue_paused', work), 1);
});

test('every scrape reads each group once, for all metrics', async (t) => {
  const registry = new Registry();
  let reads = 0;
  const stats = {
    backlog: 2, inFlight: 1, redelivered: 4, oldestUnackedAgeMs: 1500,
    deadLetters: 0, deadLettered: 0, acked: 9, expired: 3, paused: false,
  };
  const queue: MetricsQueue = { dir: '/x', groupNames: () => ['a', 'b'], stats: () => (reads++, stats) };
  registerQueueMetrics(queue, { registry });
  const samples = await scrape(registry);
  t.is(reads, 2);
  t.is(valueOf(samples, 'seglog_queue_oldest_unacked_age_seconds', { group: 'b' }), 1.5);
  t.is(samplesOf(samples, 'seglog_queue_acked_total').length, 2);
  t.is(valueOf(samples, 'seglog_queue_expired_total', { group: 'a' }), 3);
  t.is(new Set(samples.map((sample) => sample.name)).size, queueMetricSpecs.length);
});

test('two queues share a registry by their labels; unregister removes one, then the metrics', async (t) => {
  const registry = new Registry();
  const [mail, billing] = [await tempQueue(t), await tempQueue(t)];
  await mail.enqueue(payload);
  mail.consumer('send');
  billing.consumer('charge');
  // A group exists once its creation record is durable.
  while (!mail.groupNames().includes('send') || !billing.groupNames().includes('charge')) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const one = registerQueueMetrics(mail, { registry, labels: { queue: 'mail' } });
  const two = registerQueueMetrics(billing, { registry, labels: { queue: 'billing' } });
  const samples = await scrape(registry);
  t.is(samplesOf(samples, 'seglog_queue_acked_total', { queue: 'mail', group: 'send' }).length, 1);
  t.is(samplesOf(samples, 'seglog_queue_acked_total', { queue: 'billing', group: 'charge' }).length, 1);
  t.throws(() => registerQueueMetrics(mail, { registry, labels: { queue: 'mail' } }), { instanceOf: TypeError });
  one.unregister();
  const after = await scrape(registry);
  t.is(samplesOf(after, 'seglog_queue_acked_total', { queue: 'mail' }).length, 0);
  t.is(samplesOf(after, 'seglog_queue_acked_total', { queue: 'billing' }).length, 1);
  two.unregister();
  two.unregister();
  t.is(registry.getSingleMetric('seglog_queue_acked_total'), undefined);
});

test('docs/observability.md lists exactly the queue metrics, with their types', async (t) => {
  const text = await readFile(new URL('../../../docs/observability.md', import.meta.url), 'utf8');
  const section = text.slice(text.indexOf('\n## Queue metrics'));
  const documented = [...section.matchAll(/^\| `(seglog_[a-z_]+)\{group\}` \| (counter|gauge) \|/gm)].map((m) => `${m[1]} ${m[2]}`);
  const registered = queueMetricSpecs.map((spec) => `seglog_${spec.name} ${spec.kind}`);
  t.deepEqual(documented.sort(), registered.sort());
});

test('misuse is a TypeError', (t) => {
  const registry = new Registry();
  t.throws(() => registerQueueMetrics({} as MetricsQueue, { registry }), { instanceOf: TypeError });
  const queue: MetricsQueue = { dir: '/y', groupNames: () => [], stats: () => { throw new Error('unused'); } };
  t.throws(() => registerQueueMetrics(queue, { registry, labels: { group: 'x' } }), { instanceOf: TypeError });
  t.throws(() => registerQueueMetrics(queue, { registry, prefix: '9bad' }), { instanceOf: TypeError });
});
