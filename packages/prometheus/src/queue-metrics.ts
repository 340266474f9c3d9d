/**
 * One job: registerQueueMetrics, which exports `queue.stats(group)` of every group of a
 * `@seglog/queue` queue as Prometheus gauges and counters, read at scrape time.
 *
 * The queue is taken by shape (`MetricsQueue`), so this package does not depend on the queue's
 * code. Every series carries the registration's constant labels plus `group`. Several queues may
 * share one (registry, prefix) if each has its own constant labels (`{ queue: 'mail' }`), exactly
 * as logs do in register.ts. Values are read at scrape time: each scrape resets and refills the
 * series, so a group or queue that went away leaves no stale series, and counters are the queue's
 * own totals (monotonic since the queue's state began: they live in its snapshots).
 */
import { Counter, Gauge } from 'prom-client';
import { assert } from '@seglog/types';
import type { QueueGroupStats } from '@seglog/types';
import { resolveOptions, sameShape } from './options.js';
import type { AnyRegistry, RegisterOptions, ResolvedOptions } from './options.js';

export type { QueueGroupStats };

/** The shape of a `@seglog/queue` Queue that this file needs. */
export interface MetricsQueue {
  readonly dir: string;
  groupNames(): string[];
  stats(group: string): QueueGroupStats;
}

export interface QueueRegistration {
  /** Stops exporting this queue's series (gone at the next scrape). Idempotent. */
  unregister(): void;
}

interface QueueMetricSpec {
  readonly name: string;
  readonly help: string;
  readonly kind: 'counter' | 'gauge';
  read(stats: QueueGroupStats): number;
}

/** Every queue metric: name (after the prefix), help, and how it is read from one group's stats. */
export const queueMetricSpecs: readonly QueueMetricSpec[] = [
  {
    name: 'queue_backlog_messages',
    kind: 'gauge',
    help: 'Messages of the group waiting for a delivery (delayed and key-blocked ones included).',
    read: (s) => s.backlog,
  },
  {
    name: 'queue_in_flight_messages',
    kind: 'gauge',
    help: 'Messages of the group leased to a consumer and not yet settled.',
    read: (s) => s.inFlight,
  },
  {
    name: 'queue_oldest_unacked_age_seconds',
    kind: 'gauge',
    help: 'Age of the oldest message the group has not settled (0 when none).',
    read: (s) => s.oldestUnackedAgeMs / 1000,
  },
  {
    name: 'queue_dead_letters_messages',
    kind: 'gauge',
    help: "Messages waiting in the group's dead-letter group.",
    read: (s) => s.deadLetters,
  },
  {
    name: 'queue_paused',
    kind: 'gauge',
    help: '1 while the group is paused, else 0.',
    read: (s) => (s.paused ? 1 : 0),
  },
  {
    name: 'queue_redelivered_total',
    kind: 'counter',
    help: 'Deliveries after the first (lapsed leases, naks, crashes), ever.',
    read: (s) => s.redelivered,
  },
  {
    name: 'queue_dead_lettered_total',
    kind: 'counter',
    help: 'Messages the group moved to its dead-letter group, ever.',
    read: (s) => s.deadLettered,
  },
  {
    name: 'queue_acked_total',
    kind: 'counter',
    help: 'Messages the group acked, ever.',
    read: (s) => s.acked,
  },
  {
    name: 'queue_expired_total',
    kind: 'counter',
    help: 'Messages lost before the group settled them because a forced truncation dropped their record, ever.',
    read: (s) => s.expired,
  },
];

interface QueueSource {
  readonly queue: MetricsQueue;
  readonly labels: Readonly<Record<string, string>>;
  /** One stats() call per group per scrape, shared by every metric (dropped after the scrape's run). */
  snapshot: Map<string, QueueGroupStats> | null;
}

interface QueueFamily {
  readonly shape: ResolvedOptions;
  readonly sources: Map<string, QueueSource>;
  readonly metrics: { name: string; metric: Counter<string> | Gauge<string> }[];
}

const families = new WeakMap<AnyRegistry, Map<string, QueueFamily>>();

/**
 * Exports every group's stats of `queue`, read at scrape time. Options as registerLogMetrics
 * (`registry`, `prefix`, `labels`); the label name `group` is the package's own.
 */
export function registerQueueMetrics(queue: MetricsQueue, options?: RegisterOptions): QueueRegistration {
  checkQueue(queue);
  const resolved = resolveOptions(options);
  if (resolved.labelNames.includes('group')) {
    throw new TypeError('the label name "group" is set by registerQueueMetrics itself');
  }
  const family = familyFor(resolved);
  const key = JSON.stringify(resolved.labelNames.map((name) => [name, resolved.labels[name]]));
  if (family.sources.has(key)) {
    const where = `under prefix "${resolved.prefix}"`;
    throw new TypeError(`a queue with labels ${key} is already registered ${where}; give each queue distinct labels`);
  }
  family.sources.set(key, { queue, labels: resolved.labels, snapshot: null });
  let registered = true;
  return {
    unregister(): void {
      if (!registered) return;
      registered = false;
      family.sources.delete(key);
      if (family.sources.size === 0) dropFamily(family);
    },
  };
}

function checkQueue(queue: MetricsQueue): void {
  const shaped = typeof queue === 'object' && queue !== null;
  if (!shaped || typeof queue.stats !== 'function' || typeof queue.groupNames !== 'function') {
    throw new TypeError('registerQueueMetrics needs a queue with stats(group) and groupNames()');
  }
}

function familyFor(options: ResolvedOptions): QueueFamily {
  let byPrefix = families.get(options.registry);
  if (byPrefix === undefined) {
    byPrefix = new Map<string, QueueFamily>();
    families.set(options.registry, byPrefix);
  }
  const existing = byPrefix.get(options.prefix);
  const ours = (entry: QueueFamily['metrics'][number]): boolean => options.registry.getSingleMetric(entry.name) === entry.metric;
  const live = existing?.metrics.every(ours) ?? false;
  if (existing !== undefined && live) {
    if (!sameShape(existing.shape, options)) {
      throw new TypeError(`queues registered under prefix "${options.prefix}" in one registry must use the same label names`);
    }
    return existing;
  }
  const family: QueueFamily = { shape: options, sources: new Map(), metrics: [] };
  try {
    for (const spec of queueMetricSpecs) {
      family.metrics.push({ name: options.prefix + spec.name, metric: build(family, spec) });
    }
  } catch (error) {
    removeMetrics(family);
    throw error;
  }
  byPrefix.set(options.prefix, family);
  return family;
}

function build(family: QueueFamily, spec: QueueMetricSpec): Counter<string> | Gauge<string> {
  const common = {
    name: family.shape.prefix + spec.name,
    help: spec.help,
    labelNames: [...family.shape.labelNames, 'group'],
    registers: [family.shape.registry],
  };
  const fill = (reset: () => void, put: (labels: Record<string, string>, value: number) => void): void => {
    reset();
    for (const source of family.sources.values()) {
      for (const [group, stats] of snapshotOf(source)) {
        put({ ...source.labels, group }, checked(spec.name, spec.read(stats)));
      }
    }
  };
  if (spec.kind === 'counter') {
    return new Counter({
      ...common,
      collect() {
        fill(() => this.reset(), (labels, value) => this.inc(labels, value));
      },
    });
  }
  return new Gauge({
    ...common,
    collect() {
      fill(() => this.reset(), (labels, value) => this.set(labels, value));
    },
  });
}

/**
 * prom-client calls every collect() of a scrape in one synchronous run, so the first one takes
 * the stats and a microtask drops them: all metrics of a scrape describe the same instant.
 */
function snapshotOf(source: QueueSource): Map<string, QueueGroupStats> {
  if (source.snapshot === null) {
    const snapshot = new Map<string, QueueGroupStats>();
    for (const group of source.queue.groupNames()) snapshot.set(group, source.queue.stats(group));
    source.snapshot = snapshot;
    queueMicrotask(() => (source.snapshot = null));
  }
  return source.snapshot;
}

function checked(name: string, value: number): number {
  const valid = typeof value === 'number' && Number.isFinite(value) && value >= 0;
  assert(valid, `${name} must be a finite value >= 0, got ${String(value)}`);
  return value;
}

function dropFamily(family: QueueFamily): void {
  removeMetrics(family);
  const byPrefix = families.get(family.shape.registry);
  if (byPrefix?.get(family.shape.prefix) === family) byPrefix.delete(family.shape.prefix);
}

function removeMetrics(family: QueueFamily): void {
  for (const { name, metric } of family.metrics) {
    if (family.shape.registry.getSingleMetric(name) === metric) family.shape.registry.removeSingleMetric(name);
  }
  family.metrics.length = 0;
}
