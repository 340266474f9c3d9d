/**
 * One job: run one benchmark cell against seglog with its default options.
 *
 * N appenders each `await log.append(payload)` in a loop against `openLog({ dir })`; group commit
 * is what turns their concurrency into fewer fdatasyncs. The log's own metrics supply the fdatasync
 * count and duration, so the appends-per-fdatasync column is what seglog actually did.
 */
import { openLog } from '@seglog/store';
import type { LogMetrics } from '@seglog/types';
import { driveAppenders, type EngineCounters } from '../lib/drive.js';
import { cellResult, type CellOptions, type CellResult } from '../lib/cell.js';
import type { LatencySummary } from '../lib/latency.js';

export async function runSeglogCell(options: CellOptions): Promise<CellResult> {
  const log = await openLog({ dir: options.dir });
  let drive;
  try {
    drive = await driveAppenders(
      { append: (payload) => log.append(payload), counters: () => countersOf(log.metrics()) },
      options,
    );
  } catch (error) {
    // Close so the directory can be removed, but report the append's error, not close's.
    await log.close().catch(() => undefined);
    throw error;
  }
  // Every appender has drained by now, so this snapshot covers every append the cell made; it is
  // taken before close because a closed log need not answer.
  const metrics = log.metrics();
  await log.close();
  return cellResult('seglog', options, drive, countersOf(metrics), summaryOf(metrics), metrics);
}

function countersOf(metrics: LogMetrics): EngineCounters {
  return { appends: metrics.appends, fdatasyncs: metrics.fdatasyncs };
}

function summaryOf(metrics: LogMetrics): LatencySummary {
  const { count, mean, p50, p99, p999, max } = metrics.fdatasyncMicros;
  return { count, mean, p50, p99, p999, max };
}
