/** registerShipperMetrics: a shipper's lag and progress, one labelled series per stream. */
import test from 'ava';
import { Registry } from 'prom-client';
import { registerShipperMetrics, type ShipperMetrics } from '../src/index.js';
import { parseExposition, samplesOf, valueOf } from './helpers/exposition.js';

const snapshot: ShipperMetrics = {
  state: 'shipping', stream: 'A', subject: 'seglog.A', shippedOffset: 900, endOffset: 1000, lagRecords: 100, lagBytes: 12_800, oldestUnshippedAgeMs: 250,
  inFlight: 64, inFlightBytes: 8192, shippedRecords: 900, shippedBytes: 115_200,
  duplicates: 3, resyncs: 2, errors: 1, skippedRecords: 0, heldOffset: 900, lastError: null,
};

function shipperOf(stream: string, current: ShipperMetrics) {
  return { stream, snapshots: 0, metrics() { this.snapshots += 1; return current; } };
}

test('exports lag, offsets and totals per stream from one snapshot per scrape', async (t) => {
  const registry = new Registry();
  const a = shipperOf('A', snapshot);
  const b = shipperOf('B', { ...snapshot, state: 'failed', lagRecords: 7, shippedRecords: 5 });
  registerShipperMetrics(a, { registry });
  const registration = registerShipperMetrics(b, { registry });
  const samples = parseExposition(await registry.metrics());
  t.is(a.snapshots, 1);
  t.is(valueOf(samples, 'seglog_jetstream_lag_records', { stream: 'A' }), 100);
  t.is(valueOf(samples, 'seglog_jetstream_lag_records', { stream: 'B' }), 7);
  t.is(valueOf(samples, 'seglog_jetstream_lag_bytes', { stream: 'A' }), 12_800);
  t.is(valueOf(samples, 'seglog_jetstream_oldest_unshipped_age_seconds', { stream: 'A' }), 0.25);
  t.is(valueOf(samples, 'seglog_jetstream_shipped_offset', { stream: 'A' }), 900);
  t.is(valueOf(samples, 'seglog_jetstream_shipped_records_total', { stream: 'B' }), 5);
  t.is(valueOf(samples, 'seglog_jetstream_duplicates_total', { stream: 'A' }), 3);
  t.is(valueOf(samples, 'seglog_jetstream_failed', { stream: 'A' }), 0);
  t.is(valueOf(samples, 'seglog_jetstream_failed', { stream: 'B' }), 1);

  registration.unregister();
  const after = parseExposition(await registry.metrics());
  t.is(samplesOf(after, 'seglog_jetstream_lag_records', { stream: 'B' }).length, 0);
  t.is(valueOf(after, 'seglog_jetstream_lag_records', { stream: 'A' }), 100);
});

test('misuse is a TypeError', (t) => {
  const registry = new Registry();
  t.throws(() => registerShipperMetrics({} as never, { registry }), { instanceOf: TypeError });
  t.throws(() => registerShipperMetrics(shipperOf('A', snapshot), { registry, prefix: '9bad' }), { instanceOf: TypeError });
  registerShipperMetrics(shipperOf('A', snapshot), { registry });
  t.throws(() => registerShipperMetrics(shipperOf('A', snapshot), { registry }), { instanceOf: TypeError, message: /already registered/ });
});
