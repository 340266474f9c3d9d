/**
 * registerLogMetrics on real logs from @seglog/store: the totals match what was appended, the
 * histograms see every durable batch through the diagnostics channel, two logs stay apart, and
 * unregister stops observing.
 */
import { channel } from 'node:diagnostics_channel';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { Registry } from 'prom-client';
import { openLog } from '@seglog/store';
import type { Log } from '@seglog/store';
import { BATCH_CHANNEL, registerLogMetrics } from '../src/index.js';
import { parseExposition, samplesOf, valueOf } from './helpers/exposition.js';

async function tempLog(t: ExecutionContext): Promise<Log> {
  const dir = await mkdtemp(join(tmpdir(), 'seglog-prometheus-'));
  const log = await openLog({ dir });
  t.teardown(async () => {
    await log.close();
    await rm(dir, { recursive: true, force: true });
  });
  return log;
}

/** `count` concurrent appends of `sizeBytes` each, so the store groups them into batches. */
async function appendConcurrently(log: Log, count: number, sizeBytes = 100): Promise<void> {
  await Promise.all(Array.from({ length: count }, () => log.append(new Uint8Array(sizeBytes))));
}

// Serial, so it runs before any concurrent test of this file has a subscription open.
test.serial('the batch channel has no subscriber left once every log is unregistered', async (t) => {
  const log = await tempLog(t);
  const registration = registerLogMetrics(log, { registry: new Registry() });
  t.true(channel(BATCH_CHANNEL).hasSubscribers);
  registration.unregister();
  t.false(channel(BATCH_CHANNEL).hasSubscribers);
});

test('counters equal what was appended; histograms count every durable batch', async (t) => {
  const registry = new Registry();
  const log = await tempLog(t);
  registerLogMetrics(log, { registry, labels: { log: 'orders' } });
  await appendConcurrently(log, 50, 100);
  await log.append(new Uint8Array(10));

  const samples = parseExposition(await registry.metrics());
  const metrics = log.metrics();
  const labels = { log: 'orders' };

  t.is(valueOf(samples, 'seglog_appends_total', labels), 51);
  t.is(valueOf(samples, 'seglog_appended_bytes_total', labels), 50 * 100 + 10);
  t.is(valueOf(samples, 'seglog_batches_total', labels), metrics.batches);
  t.true(metrics.batches >= 2 && metrics.batches <= 51);
  t.is(valueOf(samples, 'seglog_flushes_total', labels), metrics.flushes);
  t.is(valueOf(samples, 'seglog_written_bytes_total', labels), metrics.bytesWritten);
  t.is(valueOf(samples, 'seglog_batch_errors_total', labels), 0);
  const sealed = samplesOf(samples, 'seglog_batches_sealed_total', labels).reduce((sum, sample) => sum + sample.value, 0);
  t.is(sealed, metrics.batches);

  t.is(valueOf(samples, 'seglog_batch_records_count', labels), metrics.batches);
  t.is(valueOf(samples, 'seglog_batch_records_sum', labels), 51);
  t.is(valueOf(samples, 'seglog_flush_duration_seconds_count', labels), metrics.batches);
  t.is(valueOf(samples, 'seglog_write_duration_seconds_count', labels), metrics.batches);
  t.is(valueOf(samples, 'seglog_batch_bytes_count', labels), metrics.batches);
  t.true(valueOf(samples, 'seglog_flush_duration_seconds_sum', labels) > 0);

  t.is(valueOf(samples, 'seglog_next_offset', labels), 51);
  t.is(valueOf(samples, 'seglog_durable_offset', labels), 51);
  t.is(valueOf(samples, 'seglog_queue_depth', labels), 0);
  t.is(valueOf(samples, 'seglog_in_flight_bytes', labels), 0);
  t.true(samples.every((sample) => sample.labels['log'] === 'orders'));
});

test('two logs with different labels in one registry do not mix', async (t) => {
  const registry = new Registry();
  const [first, other] = await Promise.all([tempLog(t), tempLog(t)]);
  registerLogMetrics(first, { registry, labels: { log: 'a' } });
  registerLogMetrics(other, { registry, labels: { log: 'b' } });
  await Promise.all([appendConcurrently(first, 30), appendConcurrently(other, 7)]);

  const samples = parseExposition(await registry.metrics());
  t.is(valueOf(samples, 'seglog_appends_total', { log: 'a' }), 30);
  t.is(valueOf(samples, 'seglog_appends_total', { log: 'b' }), 7);
  t.is(valueOf(samples, 'seglog_batch_records_sum', { log: 'a' }), 30);
  t.is(valueOf(samples, 'seglog_batch_records_sum', { log: 'b' }), 7);
  t.is(valueOf(samples, 'seglog_batch_records_count', { log: 'a' }), first.metrics().batches);
  t.is(valueOf(samples, 'seglog_batch_records_count', { log: 'b' }), other.metrics().batches);
});

test('after unregister a log is neither scraped nor observed', async (t) => {
  const registry = new Registry();
  const [leaving, staying] = await Promise.all([tempLog(t), tempLog(t)]);
  const registration = registerLogMetrics(leaving, { registry, labels: { log: 'leaving' } });
  registerLogMetrics(staying, { registry, labels: { log: 'staying' } });
  await Promise.all([appendConcurrently(leaving, 5), appendConcurrently(staying, 5)]);

  registration.unregister();
  // Still subscribed, these batches would bring the leaving log's histogram series back.
  await appendConcurrently(leaving, 5);

  const samples = parseExposition(await registry.metrics());
  t.deepEqual(samples.filter((sample) => sample.labels['log'] === 'leaving'), []);
  t.is(valueOf(samples, 'seglog_batch_records_sum', { log: 'staying' }), 5);
  t.is(valueOf(samples, 'seglog_appends_total', { log: 'staying' }), 5);
});

test('unregistering the last log empties the registry', async (t) => {
  const registry = new Registry();
  const log = await tempLog(t);
  const registration = registerLogMetrics(log, { registry });
  await appendConcurrently(log, 3);
  t.regex(await registry.metrics(), /^seglog_appends_total 3$/m);
  registration.unregister();
  t.is((await registry.metrics()).trim(), '');
});
