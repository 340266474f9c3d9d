/**
 * One job: turn quickstart cell results into its Markdown table and its seglog/plain ratios.
 */
import type { CellResult } from '../lib/cell.js';
import { formatCount, formatMicros, renderMarkdownTable, type Column } from './table.js';

const columns: readonly Column[] = [
  { title: 'engine', align: 'left' },
  { title: 'record bytes', align: 'right' },
  { title: 'concurrency', align: 'right' },
  { title: 'durable appends/s', align: 'right' },
  { title: 'p50 µs', align: 'right' },
  { title: 'p99 µs', align: 'right' },
  { title: 'appends per flush', align: 'right' },
  { title: 'seglog/plain', align: 'right' },
];

export interface SpeedRatio {
  readonly recordBytes: number;
  readonly concurrency: number;
  /** seglog durable appends/s divided by plain write+fdatasync appends/s. */
  readonly seglogOverPlain: number;
}

/** One ratio per (record size, concurrency) that has both a seglog and a plain result. */
export function speedRatios(results: readonly CellResult[]): SpeedRatio[] {
  const ratios: SpeedRatio[] = [];
  for (const seglog of results) {
    if (seglog.engine !== 'seglog') continue;
    const plain = findPeer(results, seglog, 'plain-fdatasync');
    if (plain === undefined || plain.appendsPerSecond === 0) continue;
    ratios.push({
      recordBytes: seglog.recordBytes,
      concurrency: seglog.concurrency,
      seglogOverPlain: seglog.appendsPerSecond / plain.appendsPerSecond,
    });
  }
  return ratios;
}

/** The table: one row per cell, the ratio shown on the seglog row of each pair. */
export function renderResultsTable(results: readonly CellResult[]): string {
  const ratios = speedRatios(results);
  const rows = results.map((result) => {
    const ratio = ratios.find((r) => r.recordBytes === result.recordBytes && r.concurrency === result.concurrency);
    const ratioCell = result.engine === 'seglog' && ratio !== undefined ? `${ratio.seglogOverPlain.toFixed(2)}x` : '';
    return [
      result.engine,
      String(result.recordBytes),
      String(result.concurrency),
      formatCount(result.appendsPerSecond),
      formatMicros(result.latencyMicros.p50),
      formatMicros(result.latencyMicros.p99),
      result.appendsPerFlush?.toFixed(1) ?? '-',
      ratioCell,
    ];
  });
  return renderMarkdownTable(columns, rows);
}

function findPeer(results: readonly CellResult[], cell: CellResult, engine: CellResult['engine']): CellResult | undefined {
  return results.find(
    (r) => r.engine === engine && r.recordBytes === cell.recordBytes && r.concurrency === cell.concurrency,
  );
}
