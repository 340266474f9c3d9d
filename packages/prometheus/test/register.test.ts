/**
 * registerLogMetrics against stand-in logs: exact values from the snapshot, units, labels,
 * histograms fed from the diagnostics channel, sharing a registry, unregister, and misuse.
 * Every test uses its own registry and dir, because tests in this file share one channel.
 */
import test from 'ava';
import { Counter, Registry } from 'prom-client';
import type { OpenMetricsContentType } from 'prom-client';
import { registerLogMetrics } from '../src/index.js';
import { batchEvent, FakeLog, FakeLogWithOffsets, publishBatch } from './helpers/fake-log.js';
import { familiesOf, parseExposition, samplesOf, valueOf } from './helpers/exposition.js';

async function scrape(registry: Registry) {
  return parseExposition(await registry.metrics());
}

test('counters export the snapshot totals exactly, from one metrics() call per scrape', async (t) => {
  const registry = new Registry();
  const log = new FakeLog('/fake/counters');
  log.current = {
    ...log.current,
    appends: 1000,
    batches: 40,
    writes: 42,
    flushes: 43,
    dirSyncs: 2,
    bytesAppended: 64_000,
    bytesWritten: 163_840,
    paddingBytes: 90_000,
    segmentsCreated: 2,
    segmentsPreallocated: 1,
    backpressureWaits: 7,
    errors: 1,
  };
  registerLogMetrics(log, { registry });

  const samples = await scrape(registry);

  t.is(log.snapshots, 1);
  t.is(valueOf(samples, 'seglog_appends_total'), 1000);
  t.is(valueOf(samples, 'seglog_batches_total'), 40);
  t.is(valueOf(samples, 'seglog_writes_total'), 42);
  t.is(valueOf(samples, 'seglog_flushes_total'), 43);
  t.is(valueOf(samples, 'seglog_dir_syncs_total'), 2);
  t.is(valueOf(samples, 'seglog_appended_bytes_total'), 64_000);
  t.is(valueOf(samples, 'seglog_written_bytes_total'), 163_840);
  t.is(valueOf(samples, 'seglog_padding_bytes_total'), 90_000);
  t.is(valueOf(samples, 'seglog_segments_created_total'), 2);
  t.is(valueOf(samples, 'seglog_segments_preallocated_total'), 1);
  t.is(valueOf(samples, 'seglog_backpressure_waits_total'), 7);
  t.is(valueOf(samples, 'seglog_batch_errors_total'), 1);
});

test('counters follow the totals from scrape to scrape without double counting', async (t) => {
  const registry = new Registry();
  const log = new FakeLog('/fake/follow');
  registerLogMetrics(log, { registry });
  for (const appends of [0, 5, 5, 12]) {
    log.current = { ...log.current, appends, pool: { ...log.current.pool, hits: appends * 2 } };
    const samples = await scrape(registry);
    t.is(valueOf(samples, 'seglog_appends_total'), appends);
    t.is(valueOf(samples, 'seglog_pool_hits_total'), appends * 2);
  }
  t.is(log.snapshots, 4);
});

test('seal reasons are one counter with a reason label', async (t) => {
  const registry = new Registry();
  const log = new FakeLog('/fake/reasons');
  log.current = { ...log.current, sealReasons: { full: 3, window: 5, idle: 11 } };
  registerLogMetrics(log, { registry, labels: { log: 'a' } });
  const samples = await scrape(registry);
  t.is(valueOf(samples, 'seglog_batches_sealed_total', { reason: 'full', log: 'a' }), 3);
  t.is(valueOf(samples, 'seglog_batches_sealed_total', { reason: 'window', log: 'a' }), 5);
  t.is(valueOf(samples, 'seglog_batches_sealed_total', { reason: 'idle', log: 'a' }), 11);
  t.is(samplesOf(samples, 'seglog_batches_sealed_total').length, 3);
});

test('gauges convert microseconds to seconds and report the pool and offsets', async (t) => {
  const registry = new Registry();
  const log = new FakeLogWithOffsets('/fake/gauges');
  log.nextOffset = 120;
  log.durableOffset = 100;
  log.current = {
    ...log.current,
    queueDepth: 20,
    inFlightBytes: 2048,
    commitWindow: { mode: 'adaptive', micros: 250, capMicros: 2000, flushEstimateMicros: 1500, independentArrivalsPerSecond: 3000 },
    pool: { hits: 1, misses: 2, waits: 3, buffersAllocated: 4, buffersFree: 1, bufferBytes: 4096, bytesCap: 65536 },
  };
  registerLogMetrics(log, { registry });
  const samples = await scrape(registry);
  t.is(valueOf(samples, 'seglog_queue_depth'), 20);
  t.is(valueOf(samples, 'seglog_in_flight_bytes'), 2048);
  t.is(valueOf(samples, 'seglog_commit_window_seconds'), 0.00025);
  t.is(valueOf(samples, 'seglog_commit_window_cap_seconds'), 0.002);
  t.is(valueOf(samples, 'seglog_flush_estimate_seconds'), 0.0015);
  t.is(valueOf(samples, 'seglog_independent_arrivals_per_second'), 3000);
  t.is(valueOf(samples, 'seglog_pool_buffers_allocated'), 4);
  t.is(valueOf(samples, 'seglog_pool_buffers_free'), 1);
  t.is(valueOf(samples, 'seglog_pool_bytes_cap'), 65536);
  t.is(valueOf(samples, 'seglog_pool_misses_total'), 2);
  t.is(valueOf(samples, 'seglog_pool_waits_total'), 3);
  t.is(valueOf(samples, 'seglog_next_offset'), 120);
  t.is(valueOf(samples, 'seglog_durable_offset'), 100);
});

test('a log without offsets gets no offset samples, not a made-up 0', async (t) => {
  const registry = new Registry();
  registerLogMetrics(new FakeLog('/fake/no-offsets'), { registry });
  const samples = await scrape(registry);
  t.deepEqual(samplesOf(samples, 'seglog_next_offset'), []);
  t.deepEqual(samplesOf(samples, 'seglog_durable_offset'), []);
  t.is(samplesOf(samples, 'seglog_queue_depth').length, 1);
});

test('histograms observe batch events of their own dir only, in seconds', async (t) => {
  const registry = new Registry();
  const log = new FakeLog('/fake/histograms');
  registerLogMetrics(log, { registry });
  publishBatch(batchEvent('/fake/histograms', { records: 3, framedBytes: 1000, writeMicros: 15, flushMicros: 700 }));
  publishBatch(batchEvent('/fake/histograms', { records: 5, framedBytes: 3000, writeMicros: 25, flushMicros: 300 }));
  publishBatch(batchEvent('/fake/someone-else', { records: 100 }));
  const samples = await scrape(registry);

  t.is(valueOf(samples, 'seglog_batch_records_count'), 2);
  t.is(valueOf(samples, 'seglog_batch_records_sum'), 8);
  t.is(valueOf(samples, 'seglog_batch_records_bucket', { le: '4' }), 1);
  t.is(valueOf(samples, 'seglog_batch_bytes_sum'), 4000);
  t.is(valueOf(samples, 'seglog_flush_duration_seconds_count'), 2);
  t.is(valueOf(samples, 'seglog_flush_duration_seconds_sum'), 0.001);
  t.is(valueOf(samples, 'seglog_flush_duration_seconds_bucket', { le: '0.00032' }), 1);
  t.is(valueOf(samples, 'seglog_flush_duration_seconds_bucket', { le: '+Inf' }), 2);
  t.is(valueOf(samples, 'seglog_write_duration_seconds_sum'), 0.00004);
});

test('custom buckets, prefix and labels are applied to every metric', async (t) => {
  const registry = new Registry();
  registerLogMetrics(new FakeLog('/fake/custom'), {
    registry,
    prefix: 'wal_',
    labels: { log: 'orders', shard: '7' },
    buckets: { latencySeconds: [0.001, 0.01], batchRecords: [1, 10], batchBytes: [4096] },
  });
  publishBatch(batchEvent('/fake/custom', { flushMicros: 5000 }));
  const text = await registry.metrics();
  const samples = parseExposition(text);

  t.true([...familiesOf(text).keys()].every((name) => name.startsWith('wal_')));
  t.true(samples.every((sample) => sample.labels['log'] === 'orders' && sample.labels['shard'] === '7'));
  const bounds = samplesOf(samples, 'wal_flush_duration_seconds_bucket').map((sample) => sample.labels['le']);
  t.deepEqual(bounds, ['0.001', '0.01', '+Inf']);
  t.is(valueOf(samples, 'wal_flush_duration_seconds_bucket', { le: '0.01' }), 1);
});

test('two logs in one registry keep their series apart by label', async (t) => {
  const registry = new Registry();
  const first = new FakeLog('/fake/two-a');
  const other = new FakeLog('/fake/two-b');
  first.current = { ...first.current, appends: 10 };
  other.current = { ...other.current, appends: 3 };
  registerLogMetrics(first, { registry, labels: { log: 'a' } });
  registerLogMetrics(other, { registry, labels: { log: 'b' } });
  publishBatch(batchEvent('/fake/two-a', { records: 10 }));
  publishBatch(batchEvent('/fake/two-b', { records: 1 }));
  publishBatch(batchEvent('/fake/two-b', { records: 2 }));
  const samples = await scrape(registry);

  t.is(valueOf(samples, 'seglog_appends_total', { log: 'a' }), 10);
  t.is(valueOf(samples, 'seglog_appends_total', { log: 'b' }), 3);
  t.is(valueOf(samples, 'seglog_batch_records_count', { log: 'a' }), 1);
  t.is(valueOf(samples, 'seglog_batch_records_count', { log: 'b' }), 2);
  t.is(valueOf(samples, 'seglog_batch_records_sum', { log: 'b' }), 3);
});

test('unregister removes every metric from the registry and is idempotent', async (t) => {
  const registry = new Registry();
  const kept = new Counter({ name: 'app_requests_total', help: 'not ours', registers: [registry] });
  const registration = registerLogMetrics(new FakeLog('/fake/unregister'), { registry });
  t.true(familiesOf(await registry.metrics()).size > 20);
  registration.unregister();
  registration.unregister();
  t.deepEqual([...familiesOf(await registry.metrics()).keys()], ['app_requests_total']);
  t.is(registry.getSingleMetric('app_requests_total'), kept);
});

test('unregistering one of two logs drops its series and stops observing its batches', async (t) => {
  const registry = new Registry();
  const leaving = registerLogMetrics(new FakeLog('/fake/leave-a'), { registry, labels: { log: 'a' } });
  registerLogMetrics(new FakeLog('/fake/leave-b'), { registry, labels: { log: 'b' } });
  publishBatch(batchEvent('/fake/leave-a'));
  publishBatch(batchEvent('/fake/leave-b'));
  leaving.unregister();
  // Still subscribed, this would bring log a's histogram series back.
  publishBatch(batchEvent('/fake/leave-a'));
  const samples = await scrape(registry);
  t.deepEqual(samples.filter((sample) => sample.labels['log'] === 'a'), []);
  t.is(valueOf(samples, 'seglog_batch_records_count', { log: 'b' }), 1);
  t.is(valueOf(samples, 'seglog_appends_total', { log: 'b' }), 0);
});

test('an OpenMetrics registry is cleaned up too, although it renames counters in place', async (t) => {
  const registry = new Registry<OpenMetricsContentType>();
  registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  const registration = registerLogMetrics(new FakeLog('/fake/openmetrics'), { registry });
  t.regex(await registry.metrics(), /^seglog_appends_total 0$/m);
  registration.unregister();
  t.deepEqual(registry.getMetricsAsArray(), []);
});

test('a registry cleared behind our back can be registered with again', async (t) => {
  const registry = new Registry();
  registerLogMetrics(new FakeLog('/fake/cleared-a'), { registry, labels: { log: 'a' } });
  registry.clear();
  const log = new FakeLog('/fake/cleared-b');
  log.current = { ...log.current, appends: 9 };
  registerLogMetrics(log, { registry, labels: { log: 'b' } });
  const samples = await scrape(registry);
  t.is(valueOf(samples, 'seglog_appends_total', { log: 'b' }), 9);
  t.deepEqual(samplesOf(samples, 'seglog_appends_total', { log: 'a' }), []);
});
