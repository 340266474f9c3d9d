/**
 * One job: seglog with its default options, as an engine of the suite.
 *
 * `openLog({ dir })` and nothing else: the defaults are what a user gets. Durable by construction:
 * an append's promise resolves only after the durable write that covers its batch: a writev on a
 * descriptor opened with O_DSYNC (default `syncMethod: 'open_datasync'`), or a writev + fdatasync
 * (docs/architecture.md).
 * The log's own metrics supply the fdatasync count and duration, so the appends-per-fdatasync
 * column is what seglog actually did, not an estimate.
 */
import { openLog } from '@seglog/store';
import type { LogMetrics } from '@seglog/types';
import type { EngineDefinition, EngineHandle } from '../lib/cell.js';
import type { LatencySummary } from '../lib/latency.js';

export const seglogEngine: EngineDefinition = {
  info: {
    name: 'seglog',
    label: 'seglog (defaults)',
    durable: true,
    durability: 'append resolves after the O_DSYNC write (or write + fdatasync) covering its batch (always on)',
  },
  unavailableReason: () => Promise.resolve(null),
  async open(dir: string): Promise<EngineHandle> {
    const log = await openLog({ dir });
    return {
      serverPids: [],
      append: (payload) => log.append(payload),
      appendMany: (payloads) => log.appendMany(payloads),
      counters: () => {
        const metrics = log.metrics();
        return { appends: metrics.appends, fdatasyncs: metrics.flushes };
      },
      fdatasyncMicros: () => summaryOf(log.metrics()),
      detail: () => log.metrics(),
      close: () => log.close(),
    };
  },
};

function summaryOf(metrics: LogMetrics): LatencySummary {
  const { count, mean, p50, p99, p999, max } = metrics.flushMicros;
  return { count, mean, p50, p99, p999, max };
}
