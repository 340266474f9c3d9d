/**
 * One job: seglog as an engine of the suite: with its defaults, or with any set of `openLog`
 * options (the comparisons of preallocate, options-ab, append-cpu and window-shapes).
 *
 * In the suite it is `openLog({ dir })` and nothing else: the defaults are what a user gets.
 * Durable by construction: an append's promise resolves only after the durable write that covers
 * its batch: a writev on a descriptor opened with O_DSYNC (default `syncMethod: 'open_datasync'`),
 * or a writev + fdatasync (docs/architecture.md). The log's own metrics supply the flush count and
 * duration, so the appends-per-flush column is what seglog actually did, not an estimate.
 */
import { openLog } from '@seglog/store';
import type { LogOptions } from '@seglog/types';
import type { EngineDefinition, EngineHandle } from '../lib/cell.js';
import type { LatencySummary } from '../lib/latency.js';
import { flushCount, flushLatency } from '../lib/store-names.js';

export type SeglogOptions = Omit<LogOptions, 'dir'>;

export const seglogEngine: EngineDefinition = seglogEngineWith({}, 'seglog (defaults)');

/** seglog opened with `options`; `label` names the variant in tables. */
export function seglogEngineWith(options: SeglogOptions, label: string): EngineDefinition {
  return {
    info: {
      name: 'seglog',
      label,
      durable: true,
      durability: 'append resolves after the O_DSYNC write (or write + fdatasync) covering its batch (always on)',
    },
    unavailableReason: () => Promise.resolve(null),
    open: (dir) => openSeglog({ ...options, dir }),
  };
}

async function openSeglog(options: LogOptions): Promise<EngineHandle> {
  const log = await openLog(options);
  return {
    serverPids: [],
    append: (payload) => log.append(payload),
    appendMany: (payloads) => log.appendMany(payloads),
    counters: () => {
      const metrics = log.metrics();
      const flushes = flushCount(metrics);
      // The store counts a write and a flush for every batch, also under open_datasync where the
      // two are one O_DSYNC call, so this is an upper bound there; strace (main.js strace) is exact.
      return { appends: metrics.appends, flushes, syscalls: metrics.writes + flushes + metrics.dirSyncs };
    },
    gauges: () => ({ commitWindowMicros: log.metrics().commitWindowMicros }),
    flushMicros: () => summaryOf(flushLatency(log.metrics())),
    detail: () => log.metrics(),
    close: () => log.close(),
  };
}

function summaryOf(summary: LatencySummary): LatencySummary {
  const { count, mean, p50, p99, p999, max } = summary;
  return { count, mean, p50, p99, p999, max };
}
