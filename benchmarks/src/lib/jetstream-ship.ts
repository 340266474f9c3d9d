/**
 * One job: measure @seglog/jetstream's shipping against a real 3-node nats-server cluster on
 * loopback (file storage, R3), with the costs split so a slow figure can be blamed on the right
 * party. Used by `main.js jetstream-ship` and by the suite's jetstream cell.
 *
 * Throughput, per payload size, in rounds whose order rotates (so drifting machine load does not
 * favour one variant), each variant into its own fresh stream of the same cluster:
 * - `shipper`: a log of `records` durable records shipped from offset 0 by one shipper
 *   (`maxInFlight` 2048), from `ship()` until the stream acknowledged the last one;
 * - `client+headers`: the bare nats client publishing the same payloads with the same headers the
 *   shipper sends (message id, log id, offset, append time, expected last sequence), 2048 in
 *   flight in synchronous bursts of 256, `noAsyncTraces` like the shipper's connection, no log:
 *   what JetStream costs for these messages, without the shipper;
 * - `client`: the same, with no headers: the cluster's ceiling for plain publishes.
 * For each: records/s, and CPU per record of this process (user + system, `process.cpuUsage`) and
 * of the three servers together (utime + stime from /proc). CPU per record is what load on a shared
 * machine distorts least; the rate ratio is the figure to read across variants.
 *
 * Steady lag: appends open-loop at `rate`/s (every millisecond, the appends owed so far), one
 * shipper following; per record the time from the `append` call, and from the log's
 * acknowledgement, to the stream's acknowledgement (the shipper's onShipped): p50/p99/max. When
 * the rate is above the fastest throughput run at 128 B in the same run, the cluster cannot keep up
 * and the figures measure a backlog draining; the result says so (`aboveCapacity`).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { connect, headers, StorageType, type NatsConnection } from 'nats';
import {
  HEADER_APPEND_TIME,
  HEADER_EXPECTED_SEQ,
  HEADER_EXPECTED_SUBJECT_SEQ,
  HEADER_LOG_ID,
  HEADER_MSG_ID,
  HEADER_OFFSET,
  messageIdOf,
  ship,
  type Shipper,
} from '@seglog/jetstream';
import { openLog, type Log } from '@seglog/store';
import { NatsCluster } from '@seglog/testkit';
import { processCpuMicros } from './window-probe.js';

export const NATS_SERVER_BINARY = '/usr/sbin/nats-server';
/** 2048 publishes in flight: the shipper's default `maxInFlight`, kept by the bare client too. */
const IN_FLIGHT = 2048;
/**
 * The bare client publishes in synchronous bursts of this many, so the nats client writes each
 * burst to the socket at once (it flushes in a microtask): the best a plain client does, and the
 * ceiling the shipper is held to. One publish per await would cost a socket write per message.
 */
const CLIENT_BURST = 256;

export const shipVariants = ['shipper', 'client+headers', 'client'] as const;
export type ShipVariant = (typeof shipVariants)[number];

export interface ShipSettings {
  /** Records of the 128 B throughput runs; the 1 KiB runs ship half as many. */
  readonly records: number;
  readonly rounds: number;
  readonly payloadSizes: readonly number[];
  /** Steady append rates of the lag runs (records/s), each for `seconds`. */
  readonly rates: readonly number[];
  readonly seconds: number;
  /** First of the 9 ports the cluster uses (client, route, monitor x 3). */
  readonly portBase: number;
}

export interface VariantRun {
  readonly variant: ShipVariant;
  readonly round: number;
  readonly payloadBytes: number;
  readonly records: number;
  readonly seconds: number;
  readonly recordsPerSecond: number;
  /** CPU of this process per record, µs. */
  readonly clientCpuMicros: number;
  /** CPU of the three servers together per record, µs. */
  readonly serverCpuMicros: number;
  readonly resyncs: number;
  readonly errors: number;
}

export interface LatencySummary {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

export interface LagRun {
  readonly rate: number;
  readonly seconds: number;
  readonly payloadBytes: number;
  readonly achievedPerSecond: number;
  /** ms from the append call to the stream's acknowledgement. */
  readonly appendToAck: LatencySummary;
  /** ms from the log's acknowledgement (durable) to the stream's. */
  readonly durableToAck: LatencySummary;
  readonly maxLagRecords: number;
  readonly duplicates: number;
  readonly resyncs: number;
  /** CPU per record of this process (writer and shipper together) and of the servers, µs. */
  readonly processCpuMicros: number;
  readonly serverCpuMicros: number;
  /** The fastest throughput-run rate of this run at the same payload size, or null if not measured. */
  readonly clusterCeilingPerSecond: number | null;
  /** The rate was above that ceiling: the figures measure a backlog, not the shipper's latency. */
  readonly aboveCapacity: boolean;
}

export interface ShipFigures {
  readonly settings: ShipSettings;
  readonly loadAverage: readonly number[];
  readonly throughput: readonly VariantRun[];
  readonly lag: readonly LagRun[];
}

/** Why the cell cannot run here, or null. */
export function shipUnavailableReason(): string | null {
  return existsSync(NATS_SERVER_BINARY) ? null : `${NATS_SERVER_BINARY} not found (apt-get install -y nats-server)`;
}

const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;

function payloadOf(bytes: number): Uint8Array {
  return Uint8Array.from({ length: bytes }, (_, i) => (i * 7) & 0xff);
}

function percentiles(values: Float64Array): LatencySummary {
  const sorted = Float64Array.from(values).sort();
  const last = sorted.length - 1;
  const at = (p: number): number => sorted[Math.min(last, Math.floor(last * p))] ?? Number.NaN;
  return { p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] ?? Number.NaN };
}

/** CPU of this process and of the cluster's servers, from `start()` to `stop()`, µs. */
class CpuMeter {
  readonly #pids: number[];
  #client = process.cpuUsage();
  #servers = 0;

  constructor(cluster: NatsCluster) {
    this.#pids = cluster.nodes.map((node) => node.pid).filter((pid): pid is number => pid !== null);
    this.start();
  }

  start(): void {
    this.#client = process.cpuUsage();
    this.#servers = this.#serverMicros();
  }

  stop(): { clientMicros: number; serverMicros: number } {
    const client = process.cpuUsage(this.#client);
    return { clientMicros: client.user + client.system, serverMicros: this.#serverMicros() - this.#servers };
  }

  #serverMicros(): number {
    return this.#pids.reduce((sum, pid) => sum + processCpuMicros(pid), 0);
  }
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

interface Timed {
  readonly seconds: number;
  readonly clientMicros: number;
  readonly serverMicros: number;
  readonly resyncs: number;
  readonly errors: number;
}

/** What every run of one benchmark shares: the cluster, a client connection, the temp root. */
interface Bench {
  readonly cluster: NatsCluster;
  readonly connection: NatsConnection;
  readonly root: string;
}

/** One throughput run: its own stream, `records` records of `payloadBytes`. */
interface RunShape {
  readonly stream: string;
  readonly payloadBytes: number;
  readonly records: number;
}

async function runShipper({ cluster, connection, root }: Bench, shape: RunShape): Promise<Timed> {
  const { stream: name, payloadBytes, records } = shape;
  const dir = join(root, name);
  const log = await openLog({ dir });
  await fill(log, records, payloadOf(payloadBytes));
  // The stream exists before the clock starts, as for the bare client: creating an R3 stream
  // (an election) is not shipping. The shipper checks and uses it as its own (subject seglog.<name>).
  const config = { name, subjects: [`seglog.${name}`], storage: StorageType.File, num_replicas: 3 };
  await (await connection.jetstreamManager()).streams.add(config);
  const meter = new CpuMeter(cluster);
  const started = nowMs();
  const shipper = await ship({ dir, log, servers: cluster.servers, stream: name });
  await untilShipped(shipper, records);
  const seconds = (nowMs() - started) / 1000;
  const cpu = meter.stop();
  const { resyncs, errors } = shipper.metrics();
  await shipper.close();
  await log.close();
  return { seconds, ...cpu, resyncs: resyncs - 1, errors };
}

/** The bare client: `records` publishes, `IN_FLIGHT` at most, with the shipper's headers or none. */
async function runClient({ cluster, connection }: Bench, shape: RunShape, withHeaders: boolean): Promise<Timed> {
  const { stream, payloadBytes, records } = shape;
  const subject = `bench.${stream}`;
  const config = { name: stream, subjects: [subject], storage: StorageType.File, num_replicas: 3 };
  await (await connection.jetstreamManager()).streams.add(config);
  const js = connection.jetstream();
  const payload = payloadOf(payloadBytes);
  const logIdHex = 'b'.repeat(32);
  const inFlight: Promise<unknown>[] = [];
  const meter = new CpuMeter(cluster);
  const started = nowMs();
  for (let i = 0; i < records; i++) {
    if (i % CLIENT_BURST === 0) {
      // Room for a whole burst first: the awaits happen between bursts, never inside one.
      while (inFlight.length > IN_FLIGHT - CLIENT_BURST) await inFlight.shift();
    }
    let options = {};
    if (withHeaders) {
      // What publish-window.ts sends for record i of a log whose stream was empty.
      const h = headers();
      h.set(HEADER_MSG_ID, messageIdOf(logIdHex, i));
      h.set(HEADER_LOG_ID, logIdHex);
      h.set(HEADER_OFFSET, String(i));
      h.set(HEADER_APPEND_TIME, String(Date.now()));
      if (i > 0) h.set(HEADER_EXPECTED_SEQ, String(i));
      else h.set(HEADER_EXPECTED_SUBJECT_SEQ, '0');
      options = { headers: h };
    }
    inFlight.push(js.publish(subject, payload, options));
  }
  await Promise.all(inFlight);
  const seconds = (nowMs() - started) / 1000;
  return { seconds, ...meter.stop(), resyncs: 0, errors: 0 };
}

async function dropStream(connection: NatsConnection, stream: string): Promise<void> {
  await (await connection.jetstreamManager()).streams.delete(stream).catch(() => undefined);
}

async function throughputRound(bench: Bench, round: number, shape: Omit<RunShape, 'stream'>): Promise<VariantRun[]> {
  const { payloadBytes, records } = shape;
  const runs: VariantRun[] = [];
  const order = shipVariants.map((_, i) => shipVariants[(i + round) % shipVariants.length]!);
  for (const variant of order) {
    const stream = `TP${payloadBytes}R${round}${variant === 'shipper' ? 'S' : variant === 'client' ? 'C' : 'H'}`;
    const shape = { stream, payloadBytes, records };
    const withHeaders = variant === 'client+headers';
    const timed = variant === 'shipper'
      ? await runShipper(bench, shape)
      : await runClient(bench, shape, withHeaders);
    await dropStream(bench.connection, stream);
    runs.push({
      variant,
      round,
      payloadBytes,
      records,
      seconds: timed.seconds,
      recordsPerSecond: records / timed.seconds,
      clientCpuMicros: timed.clientMicros / records,
      serverCpuMicros: timed.serverMicros / records,
      resyncs: timed.resyncs,
      errors: timed.errors,
    });
  }
  return runs;
}

interface SteadyShape {
  readonly rate: number;
  readonly seconds: number;
  readonly payloadBytes: number;
  /** The fastest throughput rate of this run at `payloadBytes`, or null. */
  readonly ceiling: number | null;
}

async function steadyLag({ cluster, root }: Bench, shape: SteadyShape): Promise<LagRun> {
  const { rate, seconds, payloadBytes, ceiling } = shape;
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
  const meter = new CpuMeter(cluster);
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
  const cpu = meter.stop();
  clearInterval(sampler);
  const { duplicates, resyncs } = shipper.metrics();
  await shipper.close();
  await log.close();
  return {
    rate,
    seconds,
    payloadBytes,
    achievedPerSecond: total / appendSeconds,
    appendToAck: percentiles(shippedAt.map((at, i) => at - issuedAt[i]!)),
    durableToAck: percentiles(shippedAt.map((at, i) => at - durableAt[i]!)),
    maxLagRecords,
    duplicates,
    resyncs: resyncs - 1,
    processCpuMicros: cpu.clientMicros / total,
    serverCpuMicros: cpu.serverMicros / total,
    clusterCeilingPerSecond: ceiling,
    aboveCapacity: ceiling !== null && rate > ceiling,
  };
}

/** Starts a cluster under `root`, runs the throughput rounds and the lag runs, stops the cluster. */
export async function runShipBenchmark(
  root: string,
  settings: ShipSettings,
  onStep: (text: string) => void = () => undefined,
  loadAverage: () => readonly number[] = () => [],
): Promise<ShipFigures> {
  const cluster = await NatsCluster.start({ dir: join(root, 'nats'), portBase: settings.portBase });
  const connection = await connect({ servers: cluster.servers, noAsyncTraces: true });
  const bench = { cluster, connection, root };
  try {
    const throughput: VariantRun[] = [];
    for (let round = 0; round < settings.rounds; round++) {
      for (const bytes of settings.payloadSizes) {
        const records = bytes <= 128 ? settings.records : Math.ceil(settings.records / 2);
        const runs = await throughputRound(bench, round, { payloadBytes: bytes, records });
        throughput.push(...runs);
        for (const run of runs) onStep(describeVariantRun(run));
      }
    }
    const lag: LagRun[] = [];
    const lagBytes = 128;
    // The fastest rate this cluster took at the lag runs' payload size in this run, by any variant.
    const rates = throughput.filter((run) => run.payloadBytes === lagBytes).map((run) => run.recordsPerSecond);
    const ceiling = rates.length === 0 ? null : Math.max(...rates);
    for (const rate of settings.rates) {
      const run = await steadyLag(bench, { rate, seconds: settings.seconds, payloadBytes: lagBytes, ceiling });
      lag.push(run);
      onStep(`steady ${rate}/s: append -> stream ack p50 ${run.appendToAck.p50.toFixed(1)} ms, p99 ${run.appendToAck.p99.toFixed(1)} ms${run.aboveCapacity ? ' (above the cluster ceiling of this run)' : ''}`);
    }
    return { settings, loadAverage: loadAverage(), throughput, lag };
  } finally {
    await connection.close().catch(() => undefined);
    await cluster.stop();
  }
}

function describeVariantRun(run: VariantRun): string {
  const rate = Math.round(run.recordsPerSecond).toLocaleString('en-US');
  return `${run.payloadBytes} B round ${run.round + 1} ${run.variant}: ${rate} rec/s, client ${run.clientCpuMicros.toFixed(1)} µs/rec, servers ${run.serverCpuMicros.toFixed(1)} µs/rec`;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const fmt = (value: number, digits = 0): string => value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** Markdown tables: medians over the rounds per (size, variant), then the lag runs. */
export function renderShipFigures(figures: ShipFigures): string[] {
  const lines = [
    '| payload | variant | records/s (median) | ÷ client | client CPU µs/record | servers CPU µs/record | rounds |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const bytes of figures.settings.payloadSizes) {
    const sized = figures.throughput.filter((run) => run.payloadBytes === bytes);
    const of = (variant: ShipVariant): VariantRun[] => sized.filter((run) => run.variant === variant);
    const ceiling = median(of('client').map((run) => run.recordsPerSecond));
    for (const variant of shipVariants) {
      const runs = of(variant);
      if (runs.length === 0) continue;
      const rate = median(runs.map((run) => run.recordsPerSecond));
      const cells = [
        `${bytes} B`,
        variant,
        fmt(rate),
        `${(rate / ceiling).toFixed(2)}x`,
        fmt(median(runs.map((run) => run.clientCpuMicros)), 1),
        fmt(median(runs.map((run) => run.serverCpuMicros)), 1),
        String(runs.length),
      ];
      lines.push(`| ${cells.join(' | ')} |`);
    }
  }
  if (figures.lag.length > 0) {
    lines.push('', '| steady rate (achieved) | append -> stream ack p50 / p99 / max ms | durable -> stream ack p50 / p99 ms | largest lag | process / servers CPU µs/record | note |', '| --- | --- | --- | --- | --- | --- |');
    for (const run of figures.lag) {
      const note = run.aboveCapacity ? `above this run's cluster ceiling (${fmt(run.clusterCeilingPerSecond ?? 0)}/s): a backlog draining` : '';
      const cells = [
        `${fmt(run.rate)}/s (${fmt(run.achievedPerSecond)}/s)`,
        `${fmt(run.appendToAck.p50, 1)} / ${fmt(run.appendToAck.p99, 1)} / ${fmt(run.appendToAck.max, 1)}`,
        `${fmt(run.durableToAck.p50, 1)} / ${fmt(run.durableToAck.p99, 1)}`,
        `${fmt(run.maxLagRecords)} records`,
        `${fmt(run.processCpuMicros, 1)} / ${fmt(run.serverCpuMicros, 1)}`,
        note,
      ];
      lines.push(`| ${cells.join(' | ')} |`);
    }
  }
  return lines;
}
