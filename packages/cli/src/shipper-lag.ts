/**
 * One job: the shipper rows of `seglog stat`: for each JetStream shipper's retention hold in the
 * directory, the records and bytes behind it and the age of the oldest unshipped record
 * (@seglog/jetstream's `holdLag`, from the directory alone). Nothing when no shipper holds the log.
 *
 * @seglog/jetstream (and the nats client with it) is loaded only when a shipper hold exists, so a
 * plain `stat` pays nothing for it.
 */
import { listRetentionHolds } from '@seglog/store';
import type { HoldLag } from '@seglog/jetstream';
import { isoOrDash } from './append-times.js';

/** The same prefix as @seglog/jetstream's SHIPPER_HOLD_PREFIX, checked before loading that package. */
const SHIPPER_HOLD_PREFIX = 'jetstream.';

export type ShipperLagReport =
  | { readonly lags: HoldLag[]; readonly error: null }
  | { readonly lags: null; readonly error: string };

export async function shipperLagOf(dir: string): Promise<ShipperLagReport> {
  try {
    const holds = await listRetentionHolds({ dir });
    if (!holds.some((hold) => hold.name.startsWith(SHIPPER_HOLD_PREFIX))) return { lags: [], error: null };
    const { holdLag } = await import('@seglog/jetstream');
    return { lags: await holdLag({ dir }), error: null };
  } catch (error) {
    // stat reports damaged logs too: the shipper rows say why they are missing instead of failing it.
    return { lags: null, error: error instanceof Error ? error.message : String(error) };
  }
}

/** One line per shipper for the text output; [] when there is none. */
export function shipperLagLines(report: ShipperLagReport): string[] {
  if (report.lags === null) return [`shipper lag    unknown: ${report.error}`];
  return report.lags.map((lag) => `shipper        ${lag.stream}: ${lagText(lag)}`);
}

function lagText(lag: HoldLag): string {
  const bytes = lag.lagBytesExact ? `${lag.lagBytes} bytes` : `about ${lag.lagBytes} bytes`;
  const parts = [`${lag.lagRecords} records (${bytes}) behind its hold at ${lag.heldOffset}, written ${isoOrDash(lag.heldAtMs)}`];
  if (lag.lagRecords > 0) {
    const age = lag.oldestUnshippedAgeMs === null ? 'append time unknown (format v1)' : `appended ${(lag.oldestUnshippedAgeMs / 1000).toFixed(1)} s ago`;
    parts.push(`oldest unshipped ${age}`);
  }
  if (lag.droppedRecords > 0) parts.push(`${lag.droppedRecords} records dropped before they were shipped`);
  return parts.join('; ');
}
