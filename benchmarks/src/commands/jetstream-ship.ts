/**
 * One job: measure @seglog/jetstream's shipping against a real 3-node nats-server cluster on
 * loopback (ports 14250-14258, the jetstream benchmark range; file storage, R3):
 *
 * - throughput: a log of `--records` records already durable, shipped from offset 0 by one
 *   shipper; records/s and payload MB/s from `ship()` resolving until the stream acknowledged the
 *   last one, at 128 B and 1 KiB payloads;
 * - end-to-end lag at a steady rate (default 10,000 appends/s, open loop: every millisecond the
 *   appends owed so far): for each record, the time from the `append` call to the stream's
 *   acknowledgement of it (the shipper's onShipped), and from the log's acknowledgement to the
 *   stream's, p50/p99/max; plus the largest `lagRecords` the shipper reported, sampled every 100 ms.
 *
 * - baseline: the same records published by the bare nats client, 2048 in flight, no headers, no
 *   log, into an R3 stream of the same cluster in the same run: the ceiling the shipper is
 *   compared against (the ratio is the figure to read; absolute numbers move with machine load).
 *
 * One process holds the writer, the shipper and the timers, on a machine shared with the three
 * servers: figures are what a co-located shipper gets, and provisional under other load.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ship, type Shipper } from '@seglog/jetstream';
import { openLog, type Log } from '@seglog/store';
import { NatsCluster } from '@seglog/testkit';
import { positiveInteger } from '../lib/args.js';
import { withTempDir } from '../lib/tmpdir.js';
import type { Command } from './command.js';

const PORT_BASE = 14250;
const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))] ?? Number.NaN;
}

function payloadOf(bytes: number): Uint8Array {
  return Uint8Array.from({ length: bytes }, (_, i) => (i * 7) & 0xff);
}

function untilShipped(shipper: Shipper, target: number): Promise<void> {
  if (shipper.shippedOffset >= target) return Promise.resolve();
  return new Promise((resolve) => {
    const off = shipper.onShipped((offset) => {
      if (offset < target) return;
      off();
      resolve();
    });
  });
}

async function fill(log: Log, records: number, payload: Uint8Array): Promise<void> {
  const batch = Array.from({ length: 1000 }, () => payload);
  for (let at = 0; at < records; at += batch.length) {
    await log.appendMany(batch.slice(0, Math.min(batch.length, records - at)));
  }
}

/** Bare client: `records` publishes of `payloadBytes`, at most 2048 in flight, as the shipper keeps. */
async function baseline(cluster: NatsCluster, payloadBytes: number, records: number): Promise<number> {
  const nats = await import('nats');
  const connection = await nats.connect({ servers: cluster.servers });
  try {
    const stream = `BASE${payloadBytes}`;
    const config = { name: stream, subjects: [stream], storage: nats.StorageType.File, num_replicas: 3 };
    await (await connection.jetstreamManager()).streams.add(config);
    const js = connection.jetstream();
    const payload = payloadOf(payloadBytes);
    const inFlight: Promise<unknown>[] = [];
    const started = nowMs();
    for (let i = 0; i < records; i++) {
      inFlight.push(js.publish(stream, payload));
      if (inFlight.length >= 2048) await inFlight.shift();
    }
    await Promise.all(inFlight);
    return records / ((nowMs() - started) / 1000);
  } finally {
    await connection.close();
  }
}

async function throughput(cluster: NatsCluster, root: string, payloadBytes: number, records: number): Promise<string> {
  const dir = join(root, `throughput-${payloadBytes}`);
  const log = await openLog({ dir });
  await fill(log, records, payloadOf(payloadBytes));
  const started = nowMs();
  const shipper = await ship({ dir, log, servers: cluster.servers, stream: `TP${payloadBytes}` });
  await untilShipped(shipper, records);
  const seconds = (nowMs() - started) / 1000;
  const { resyncs, errors } = shipper.metrics();
  await shipper.close();
  await log.close();
  const perSecond = records / seconds;
  const megabytes = (perSecond * payloadBytes) / 1e6;
  const bare = await baseline(cluster, payloadBytes, records);
  const rates = `${Math.round(perSecond).toLocaleString('en-US').padStart(10)} rec/s ${megabytes.toFixed(1).padStart(6)} MB/s`;
  const ratio = `bare client ${Math.round(bare).toLocaleString('en-US').padStart(8)} rec/s (shipper ${(perSecond / bare).toFixed(2)}x)`;
  return `${String(payloadBytes).padStart(6)} B ${String(records).padStart(8)} ${seconds.toFixed(2).padStart(7)} s ${rates}  ${ratio}  resyncs ${resyncs - 1}, errors ${errors}`;
}

async function steadyLag(
  cluster: NatsCluster,
  root: string,
  rate: number,
  seconds: number,
  payloadBytes: number,
): Promise<string[]> {
  const dir = join(root, `lag-${rate}`);
  const log = await openLog({ dir });
  const shipper = await ship({ dir, log, servers: cluster.servers, stream: `LAG${rate}` });
  const total = rate * seconds;
  const issuedAt = new Float64Array(total);
  const durableAt = new Float64Array(total);
  const shippedAt = new Float64Array(total);
  let stamped = 0;
  shipper.onShipped((offset) => {
    const now = nowMs();
    for (; stamped < offset; stamped++) shippedAt[stamped] = now;
  });
  let maxLagRecords = 0;
  const sampler = setInterval(() => (maxLagRecords = Math.max(maxLagRecords, shipper.metrics().lagRecords)), 100);
  const payload = payloadOf(payloadBytes);
  const pending: Promise<void>[] = [];
  const start = nowMs();
  let issued = 0;
  while (issued < total) {
    const owed = Math.min(total, Math.floor(((nowMs() - start) / 1000) * rate) + 1);
    for (; issued < owed; issued++) {
      issuedAt[issued] = nowMs();
      pending.push(log.append(payload).then((offset) => void (durableAt[offset] = nowMs())));
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all(pending);
  const appendSeconds = (nowMs() - start) / 1000;
  await untilShipped(shipper, total);
  clearInterval(sampler);
  const { duplicates, resyncs } = shipper.metrics();
  await shipper.close();
  await log.close();
  const fromAppend = Array.from(shippedAt, (at, i) => at - issuedAt[i]!).sort((a, b) => a - b);
  const fromDurable = Array.from(shippedAt, (at, i) => at - durableAt[i]!).sort((a, b) => a - b);
  const row = (name: string, sorted: number[]): string =>
    `${name.padEnd(34)} ${percentile(sorted, 0.5).toFixed(2).padStart(8)} ${percentile(sorted, 0.99).toFixed(2).padStart(8)} ${sorted[sorted.length - 1]!.toFixed(2).padStart(8)}`;
  return [
    `steady ${rate}/s x ${seconds} s (${payloadBytes} B; achieved ${Math.round(total / appendSeconds)}/s), ms:   p50      p99      max`,
    row('append call -> stream ack', fromAppend),
    row('log durable -> stream ack', fromDurable),
    `largest lagRecords sampled: ${maxLagRecords}; duplicates ${duplicates}; resyncs ${resyncs - 1}`,
  ];
}

export const jetstreamShipCommand: Command = {
  name: 'jetstream-ship',
  summary: 'JetStream shipping: records/s at 128 B and 1 KiB, and append -> stream-ack lag at a steady rate (3-node cluster, R3)',
  usage: 'usage: main.js jetstream-ship [--records 50000] [--rates 1000,10000] [--seconds 10]',
  async run(argv) {
    const { values } = parseArgs({ args: [...argv], options: { records: { type: 'string' }, rates: { type: 'string' }, seconds: { type: 'string' } } });
    const records = positiveInteger(values.records, '--records', 50_000);
    const rates = (values.rates ?? '1000,10000').split(',').map((text) => positiveInteger(text, '--rates'));
    const seconds = positiveInteger(values.seconds, '--seconds', 10);
    await withTempDir(async (root) => {
      const cluster = await NatsCluster.start({ dir: join(root, 'nats'), portBase: PORT_BASE });
      try {
        console.log('nats-server 2.9.10 x3 on loopback, file storage, R3; one shipper (maxInFlight 2048)');
        console.log(' payload  records    time     shipped to the stream (acknowledged)   same run, same cluster');
        for (const bytes of [128, 1024]) {
          console.log(await throughput(cluster, root, bytes, bytes === 128 ? records : Math.ceil(records / 2)));
        }
        for (const rate of rates) {
          for (const line of await steadyLag(cluster, root, rate, seconds, 128)) console.log(line);
        }
      } finally {
        await cluster.stop();
      }
    });
  },
};
