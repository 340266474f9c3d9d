/**
 * One job: `main.js jetstream-ship`: @seglog/jetstream's shipping against a real 3-node cluster
 * (lib/jetstream-ship.ts says what each figure is), printed as it goes and as Markdown tables.
 *
 * Ports 14250-14258 (the jetstream range); the suite's cell uses 14260-14268 so the two never
 * collide. On a machine shared with other work the rates are provisional; the CPU per record and
 * the ratios within one run are the figures to compare.
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { positiveInteger } from '../lib/args.js';
import { renderShipFigures, runShipBenchmark, shipUnavailableReason } from '../lib/jetstream-ship.js';
import { withTempDir } from '../lib/tmpdir.js';
import type { Command } from './command.js';

const PORT_BASE = 14250;

export const jetstreamShipCommand: Command = {
  name: 'jetstream-ship',
  summary: 'JetStream shipping: shipper vs bare client (records/s, CPU per record) and append -> stream-ack lag at steady rates (3 nodes, R3)',
  usage: `usage: main.js jetstream-ship [--records 50000] [--rounds 2] [--sizes 128,1024] [--rates 1000,10000] [--seconds 10]
  --records N    records per 128 B throughput run (1 KiB runs: N/2)
  --rounds R     throughput rounds; the order of shipper, client+headers and client rotates each round
  --sizes LIST   payload sizes of the throughput runs, bytes
  --rates LIST   steady append rates of the lag runs, records/s (128 B payloads)
  --seconds S    length of each steady-rate run`,
  async run(argv) {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        records: { type: 'string' },
        rounds: { type: 'string' },
        sizes: { type: 'string' },
        rates: { type: 'string' },
        seconds: { type: 'string' },
      },
    });
    const unavailable = shipUnavailableReason();
    if (unavailable !== null) throw new Error(`jetstream-ship cannot run: ${unavailable}`);
    const settings = {
      records: positiveInteger(values.records, '--records', 50_000),
      rounds: positiveInteger(values.rounds, '--rounds', 2),
      payloadSizes: (values.sizes ?? '128,1024').split(',').map((text) => positiveInteger(text, '--sizes')),
      rates: (values.rates ?? '1000,10000').split(',').map((text) => positiveInteger(text, '--rates')),
      seconds: positiveInteger(values.seconds, '--seconds', 10),
      portBase: PORT_BASE,
    };
    console.log(`nats-server 2.9.10 x3 on loopback, file storage, R3; load average ${loadavg().map((v) => v.toFixed(1)).join(' ')}`);
    const figures = await withTempDir((root) =>
      runShipBenchmark(root, settings, (line) => console.log(line), () => loadavg()),
    );
    console.log(`\nload average at the end ${figures.loadAverage.map((v) => v.toFixed(1)).join(' ')}\n`);
    for (const line of renderShipFigures(figures)) console.log(line);
  },
};
