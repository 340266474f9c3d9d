/**
 * One job: registerShipperMetrics: a @seglog/jetstream shipper's lag and progress as Prometheus
 * metrics, read from `shipper.metrics()` at scrape time (one snapshot per shipper per scrape).
 *
 * The shipper is another package of the same layer, so this file does not import it: the snapshot's
 * shape, `ShipperMetrics`, comes from @seglog/types, and a shipper satisfies `ShipperSource`.
 * Every series carries a `stream` label, so several shippers may share one registry; the list of
 * metrics is in docs/jetstream.md ("Metrics") and docs/observability.md.
 */
import { Counter, Gauge, register as globalRegistry } from 'prom-client';
import type { ShipperMetrics } from '@seglog/types';
import type { AnyRegistry } from './options.js';

export interface ShipperSource {
  readonly stream: string;
  metrics(): ShipperMetrics;
}

export interface ShipperRegisterOptions {
  readonly registry?: AnyRegistry;
  /** Prepended to every name. Default `seglog_`. */
  readonly prefix?: string;
}

type Read = (snapshot: ShipperMetrics) => number;

const gauges: readonly [string, string, Read][] = [
  ['jetstream_shipped_offset', 'One past the last log offset the stream has acknowledged.', (s) => s.shippedOffset],
  ['jetstream_end_offset', "The log's durable end as the shipper last saw it.", (s) => s.endOffset],
  ['jetstream_lag_records', 'Durable records not yet acknowledged by the stream.', (s) => s.lagRecords],
  ['jetstream_lag_bytes', 'Payload bytes not yet acknowledged (exact in flight, estimated for records not read yet).', (s) => s.lagBytes],
  ['jetstream_oldest_unshipped_age_seconds', 'Age of the oldest record not yet acknowledged by the stream; 0 when caught up.', (s) => s.oldestUnshippedAgeMs / 1000],
  ['jetstream_in_flight', 'Publishes awaiting their stream acknowledgement.', (s) => s.inFlight],
  ['jetstream_in_flight_bytes', 'Payload bytes of the publishes awaiting acknowledgement.', (s) => s.inFlightBytes],
  ['jetstream_failed', '1 when shipping stopped on an error that retrying cannot fix (divergence, a gap).', (s) => (s.state === 'failed' ? 1 : 0)],
];

const counters: readonly [string, string, Read][] = [
  ['jetstream_shipped_records_total', 'Records acknowledged by the stream since the shipper started.', (s) => s.shippedRecords],
  ['jetstream_shipped_bytes_total', 'Payload bytes acknowledged by the stream since the shipper started.', (s) => s.shippedBytes],
  ['jetstream_duplicates_total', 'Acknowledgements JetStream marked duplicate (a re-sent record it already held).', (s) => s.duplicates],
  ['jetstream_resyncs_total', "Times the shipper asked the stream where to resume (start, and after each failure).", (s) => s.resyncs],
  ['jetstream_errors_total', 'Failures the shipper recovered from by itself (timeouts, elections, lost connections).', (s) => s.errors],
  ['jetstream_skipped_records_total', "Records dropped from the log before they were shipped (onBehind: 'skip').", (s) => s.skippedRecords],
];

interface Family {
  readonly sources: Set<ShipperSource>;
  /** Full names of the metrics registered for this family. */
  readonly names: readonly string[];
}

const families = new WeakMap<AnyRegistry, Map<string, Family>>();

export interface ShipperRegistration {
  /** Removes this shipper's series; the metrics go when the last shipper leaves. Idempotent. */
  unregister(): void;
}

/** Registers a shipper's metrics; several shippers (of different streams) may share a registry. */
export function registerShipperMetrics(
  shipper: ShipperSource,
  options: ShipperRegisterOptions = {},
): ShipperRegistration {
  if (typeof shipper !== 'object' || shipper === null || typeof shipper.metrics !== 'function' || typeof shipper.stream !== 'string') {
    throw new TypeError('registerShipperMetrics needs a shipper with a stream and a metrics() method');
  }
  const registry = options.registry ?? globalRegistry;
  const prefix = options.prefix ?? 'seglog_';
  if (typeof prefix !== 'string' || (prefix !== '' && !/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(prefix))) {
    throw new TypeError(`prefix must be a valid start of a Prometheus metric name, got ${String(prefix)}`);
  }
  const family = familyFor(registry, prefix);
  if ([...family.sources].some((other) => other.stream === shipper.stream)) {
    throw new TypeError(`a shipper of stream ${shipper.stream} is already registered under prefix "${prefix}" in this registry`);
  }
  family.sources.add(shipper);
  let registered = true;
  return {
    unregister(): void {
      if (!registered) return;
      registered = false;
      family.sources.delete(shipper);
      if (family.sources.size > 0) return;
      for (const name of family.names) registry.removeSingleMetric(name);
      families.get(registry)?.delete(prefix);
    },
  };
}

function familyFor(registry: AnyRegistry, prefix: string): Family {
  let byPrefix = families.get(registry);
  if (byPrefix === undefined) {
    byPrefix = new Map();
    families.set(registry, byPrefix);
  }
  const existing = byPrefix.get(prefix);
  if (existing !== undefined) return existing;
  const sources = new Set<ShipperSource>();
  /** One snapshot per shipper per scrape: every series of a scrape comes from the same instant. */
  let snapshots: Map<ShipperSource, ShipperMetrics> | null = null;
  const snapshotsNow = (): Map<ShipperSource, ShipperMetrics> => {
    if (snapshots === null) {
      snapshots = new Map([...sources].map((source) => [source, source.metrics()]));
      queueMicrotask(() => (snapshots = null));
    }
    return snapshots;
  };
  for (const [name, help, read] of gauges) {
    new Gauge({
      name: prefix + name, help, labelNames: ['stream'], registers: [registry],
      collect(this: Gauge) {
        this.reset();
        for (const [source, snapshot] of snapshotsNow()) this.set({ stream: source.stream }, read(snapshot));
      },
    });
  }
  for (const [name, help, read] of counters) {
    new Counter({
      name: prefix + name, help, labelNames: ['stream'], registers: [registry],
      collect(this: Counter) {
        this.reset();
        for (const [source, snapshot] of snapshotsNow()) this.inc({ stream: source.stream }, read(snapshot));
      },
    });
  }
  const names = [...gauges, ...counters].map(([name]) => prefix + name);
  const family = { sources, names };
  byPrefix.set(prefix, family);
  return family;
}
