/**
 * registerLogMetrics refusing what it cannot export correctly: bad options, clashing
 * registrations, a store that stops reporting a total, and malformed batch events.
 */
import { once } from 'node:events';
import test from 'ava';
import { Gauge, Registry } from 'prom-client';
import { ErrorCodes } from '@seglog/types';
import type { LogMetrics } from '@seglog/types';
import { registerLogMetrics } from '../src/index.js';
import type { MetricsLog, RegisterOptions } from '../src/index.js';
import { batchEvent, FakeLog, publishBatch } from './helpers/fake-log.js';
import { parseExposition, valueOf } from './helpers/exposition.js';

const badOptions: [string, RegisterOptions][] = [
  ['a prefix that cannot start a metric name', { prefix: '1seglog_' }],
  ['a prefix with a dash', { prefix: 'seg-log_' }],
  ['a label name with a dash', { labels: { 'log-name': 'a' } }],
  ['a label name starting with __', { labels: { __log: 'a' } }],
  ['the reason label, used by batches_sealed_total', { labels: { reason: 'a' } }],
  ['the le label, used by histograms', { labels: { le: 'a' } }],
  ['a label value that is not a string', { labels: { log: 7 as unknown as string } }],
  ['empty buckets', { buckets: { latencySeconds: [] } }],
  ['buckets out of order', { buckets: { batchRecords: [1, 4, 2] } }],
  ['a bucket that is not finite', { buckets: { batchBytes: [512, Infinity] } }],
];

for (const [what, options] of badOptions) {
  test(`refuses ${what} with a TypeError and registers nothing`, (t) => {
    const registry = new Registry();
    t.throws(() => registerLogMetrics(new FakeLog('/fake/bad'), { ...options, registry }), { instanceOf: TypeError });
    t.deepEqual(registry.getMetricsAsArray(), []);
  });
}

test('refuses something that is not a log', (t) => {
  const registry = new Registry();
  t.throws(() => registerLogMetrics({ dir: '/fake/x' } as unknown as MetricsLog, { registry }), { instanceOf: TypeError });
  t.throws(() => registerLogMetrics({ dir: '', metrics: () => ({}) as LogMetrics }, { registry }), { instanceOf: TypeError });
});

test('refuses a second log with the same labels in one registry, and keeps the first', async (t) => {
  const registry = new Registry();
  const first = new FakeLog('/fake/same-a');
  first.current = { ...first.current, appends: 4 };
  registerLogMetrics(first, { registry, labels: { log: 'x' } });
  t.throws(() => registerLogMetrics(new FakeLog('/fake/same-b'), { registry, labels: { log: 'x' } }), { instanceOf: TypeError, message: /already registered/ });
  t.is(valueOf(parseExposition(await registry.metrics()), 'seglog_appends_total', { log: 'x' }), 4);
});

test('refuses logs with different label names or buckets under one prefix, but allows another prefix', (t) => {
  const registry = new Registry();
  registerLogMetrics(new FakeLog('/fake/shape-a'), { registry, labels: { log: 'a' } });
  t.throws(() => registerLogMetrics(new FakeLog('/fake/shape-b'), { registry, labels: { shard: 'b' } }), { instanceOf: TypeError, message: /same label names/ });
  t.throws(() => registerLogMetrics(new FakeLog('/fake/shape-c'), { registry, labels: { log: 'c' }, buckets: { batchRecords: [1, 2] } }), { instanceOf: TypeError });
  t.notThrows(() => registerLogMetrics(new FakeLog('/fake/shape-d'), { registry, prefix: 'other_', labels: { shard: 'd' } }));
});

test('a name clash with a metric the caller registered leaves none of ours behind', (t) => {
  const registry = new Registry();
  const theirs = new Gauge({ name: 'seglog_queue_depth', help: 'theirs', registers: [registry] });
  t.throws(() => registerLogMetrics(new FakeLog('/fake/clash'), { registry }), { message: /already been registered/ });
  t.deepEqual(registry.getMetricsAsArray(), [theirs]);
});

test('a snapshot missing a total fails the scrape instead of exporting a wrong count', async (t) => {
  const registry = new Registry();
  const log = new FakeLog('/fake/missing-total');
  log.current = { ...log.current, appends: undefined as unknown as number };
  registerLogMetrics(log, { registry });
  await t.throwsAsync(registry.metrics(), { message: /appends_total/ });
  const error = await registry.metrics().catch((caught: unknown) => caught);
  t.is((error as { code?: string }).code, ErrorCodes.ASSERTION);
});

test('a malformed batch event is warned about once and never throws into the store', async (t) => {
  const registry = new Registry();
  registerLogMetrics(new FakeLog('/fake/malformed'), { registry });
  const warned = once(process, 'warning');
  t.notThrows(() => publishBatch(batchEvent('/fake/malformed', { flushMicros: Number.NaN })));
  const [warning] = (await warned) as [Error];
  t.is(warning.name, 'SeglogMetricsWarning');
  t.regex(warning.message, /\/fake\/malformed/);
});
