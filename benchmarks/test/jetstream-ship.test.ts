/** JetStream shipping figures as tables (medians over rounds, ratios to the bare client); the suite's switch. */
import test from 'ava';
import { renderShipFigures, type ShipFigures, type VariantRun } from '../src/lib/jetstream-ship.js';
import { renderJetstreamCell } from '../src/suite/jetstream-cell.js';
import { parseSuiteOptions } from '../src/suite/options.js';

function run(variant: VariantRun['variant'], round: number, recordsPerSecond: number, clientCpuMicros: number): VariantRun {
  const records = 1000;
  const seconds = records / recordsPerSecond;
  const serverCpuMicros = 2 * clientCpuMicros;
  const shape = { variant, round, payloadBytes: 128, records, seconds };
  return { ...shape, recordsPerSecond, clientCpuMicros, serverCpuMicros, resyncs: 0, errors: 0 };
}

const latency = { p50: 12.5, p99: 40, max: 55 };
const figures: ShipFigures = {
  settings: { records: 1000, rounds: 3, payloadSizes: [128], rates: [10_000], seconds: 1, portBase: 14460 },
  loadAverage: [1, 2, 3],
  throughput: [
    run('shipper', 0, 900, 60), run('client+headers', 0, 950, 50), run('client', 0, 2000, 30),
    run('shipper', 1, 1000, 70), run('client+headers', 1, 1000, 52), run('client', 1, 2000, 31),
    run('shipper', 2, 5000, 80), run('client+headers', 2, 990, 54), run('client', 2, 2000, 32),
  ],
  lag: [{
    rate: 10_000, seconds: 1, payloadBytes: 128, achievedPerSecond: 9000, appendToAck: latency, durableToAck: latency,
    maxLagRecords: 300, duplicates: 0, resyncs: 0, processCpuMicros: 70, serverCpuMicros: 60,
    clusterCeilingPerSecond: 5000, aboveCapacity: true,
  }],
};

test('throughput rows are medians over the rounds, each against the bare client of the same size', (t) => {
  const lines = renderShipFigures(figures);
  t.true(lines.includes('| 128 B | shipper | 1,000 | 0.50x | 70.0 | 140.0 | 3 |'), lines.join('\n'));
  t.true(lines.includes('| 128 B | client | 2,000 | 1.00x | 31.0 | 62.0 | 3 |'), lines.join('\n'));
  const lag = lines.find((line) => line.startsWith('| 10,000/s'));
  t.truthy(lag);
  t.regex(lag!, /12\.5 \/ 40\.0 \/ 55\.0/);
  t.regex(lag!, /above this run's cluster ceiling \(5,000\/s\)/);
});

test('the suite cell reports why it did not run, and --no-jetstream turns it off', (t) => {
  t.deepEqual(renderJetstreamCell('skipped: /usr/sbin/nats-server not found'), ['Not measured: skipped: /usr/sbin/nats-server not found.']);
  t.is(parseSuiteOptions(['--no-jetstream']).jetstream, null);
  t.like(parseSuiteOptions(['--quick']).jetstream, { rounds: 1, rates: [10_000] });
  t.like(parseSuiteOptions([]).jetstream, { rounds: 2, payloadSizes: [128, 1024] });
});
