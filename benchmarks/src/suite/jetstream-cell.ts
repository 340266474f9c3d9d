/**
 * One job: the suite's JetStream shipping cell (issue 16): lib/jetstream-ship.ts with a shape that
 * fits the suite's time (the 128 B and 1 KiB throughput rounds, shipper against the bare client,
 * and the steady 10,000 appends/s lag run), on ports 14460-14468 of the suite's range. Skipped,
 * with the reason in the report, when nats-server is not installed; a failure is reported, not
 * fatal.
 */
import { loadavg } from 'node:os';
import { renderShipFigures, runShipBenchmark, shipUnavailableReason, type ShipFigures, type ShipSettings } from '../lib/jetstream-ship.js';
import { withTempDir } from '../lib/tmpdir.js';
import type { Progress } from './progress.js';

const PORT_BASE = 14460;

export function jetstreamCellSettings(quick: boolean): ShipSettings {
  if (quick) return { records: 5000, rounds: 1, payloadSizes: [128], rates: [10_000], seconds: 2, portBase: PORT_BASE };
  return { records: 20_000, rounds: 2, payloadSizes: [128, 1024], rates: [10_000], seconds: 5, portBase: PORT_BASE };
}

/** Seconds the cell takes on a quiet machine, for the progress estimate (cluster start included). */
export function jetstreamCellCostSeconds(settings: ShipSettings): number {
  return 20 + settings.rounds * settings.payloadSizes.length * 3 * 5 + settings.rates.length * (settings.seconds + 5);
}

/** The figures, or why there are none. */
export async function runJetstreamCell(settings: ShipSettings, progress: Progress): Promise<ShipFigures | string> {
  const unavailable = shipUnavailableReason();
  if (unavailable !== null) return `skipped: ${unavailable}`;
  progress.start('jetstream shipping: 3 nats-server nodes, shipper vs bare client, steady-rate lag', jetstreamCellCostSeconds(settings));
  try {
    const figures = await withTempDir((root) => runShipBenchmark(root, settings, () => undefined, () => loadavg()));
    const lag = figures.lag[0];
    progress.done(lag === undefined ? 'done' : `steady ${lag.rate}/s: p50 ${lag.appendToAck.p50.toFixed(1)} ms, p99 ${lag.appendToAck.p99.toFixed(1)} ms`);
    return figures;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    progress.done(`FAILED: ${message}`);
    return `failed: ${message}`;
  }
}

/** The report's section body. */
export function renderJetstreamCell(result: ShipFigures | string): string[] {
  if (typeof result === 'string') return [`Not measured: ${result}.`];
  return [
    '`main.js jetstream-ship` in the suite (lib/jetstream-ship.ts, docs/benchmarks.md "JetStream shipping"): three nats-server nodes on loopback (file storage, R3) on the same machine as the benchmark, so every figure includes their CPU; rates are provisional under load, CPU per record and ratios within the run are the figures to compare.',
    `Load average at the end of the cell: ${result.loadAverage.map((value) => value.toFixed(1)).join(' ')}.`,
    '',
    ...renderShipFigures(result),
  ];
}
