/**
 * One job: one measurement of one peer, end to end: `producers` loops each enqueue a 128-byte
 * message and wait until it is durable, then the next (closed loop); a consumer with
 * `concurrency` handlers acks each one, durably. After `warmupSeconds`, a window of `seconds`
 * counts the acks that completed in it (messages/s) and the end-to-end latency of every message
 * sent in it: from the enqueue call to its ack being durable. Then the producers stop and the
 * consumer drains what is left; the run fails if any message is still unacked after the drain.
 *
 * The harness's own cost per message is kept small so the figure is the system's, the same for
 * every peer: a sequence number per message (no string built or hashed here), its send time and
 * exactly-once state in one typed-array slot (ack-ledger.ts), latencies into a preallocated
 * Float64Array, and two clock reads per message (`performance.now()`: one when the enqueue is
 * called, one when the ack is durable).
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { SeglogError } from '@seglog/types';
import { AckLedger } from './ack-ledger.js';
import { DenseColumn } from './dense-column.js';
import type { QueuePeer } from './queue-peer.js';

export interface E2eShape {
  readonly producers: number;
  readonly concurrency: number;
  readonly warmupSeconds: number;
  readonly seconds: number;
}

export interface E2eResult {
  readonly messagesPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly measuredMessages: number;
  /** CPU of this (client) process per acked message, µs: servers' CPU not included. */
  readonly clientCpuMicrosPerMessage: number;
  /** CPU of the system's server process per acked message, µs, where the peer reports it (else null). */
  readonly serverCpuMicrosPerMessage: number | null;
  /** Acks that settled nothing, duplicate + unknown: must be 0. */
  readonly unexpectedAcks: number;
  /** Second (or later) acks of one message. */
  readonly duplicateAcks: number;
  /** Acks of a message never sent, or of a malformed one (its bytes came back changed). */
  readonly unknownAcks: number;
  /** Messages enqueued in the whole run (warm-up and drain included), each acked exactly once. */
  readonly sentMessages: number;
}

export interface E2eOptions {
  /** How long the drain after the window may take before the run fails (ms). */
  readonly drainTimeoutMs?: number;
}

const drainTimeoutMs = 120_000;
const drainPollMs = 5;

export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * p) - 1)]!;
}

function positive(shape: Record<string, unknown>, name: keyof E2eShape, integer: boolean): number {
  const value = shape[name];
  const ok = typeof value === 'number' && Number.isFinite(value) && value > 0 && (!integer || Number.isSafeInteger(value));
  if (!ok) throw SeglogError.invalidOption(name, `must be a positive ${integer ? 'integer' : 'number'}, got ${String(value)}`);
  return value;
}

/** The shape of a run from parsed JSON, or a coded error naming the bad field. */
export function checkE2eShape(value: unknown): E2eShape {
  if (typeof value !== 'object' || value === null) throw SeglogError.invalidOption('shape', `must be an object, got ${String(value)}`);
  const shape = value as Record<string, unknown>;
  return {
    producers: positive(shape, 'producers', true),
    concurrency: positive(shape, 'concurrency', true),
    warmupSeconds: positive(shape, 'warmupSeconds', false),
    seconds: positive(shape, 'seconds', false),
  };
}

export async function measureE2e(peer: QueuePeer, shape: E2eShape, options: E2eOptions = {}): Promise<E2eResult> {
  let windowStart = Number.POSITIVE_INFINITY;
  let windowEnd = Number.POSITIVE_INFINITY;
  let ackedInWindow = 0;
  const ledger = new AckLedger();
  const latencies = new DenseColumn(Number.NaN);
  let measured = 0;
  await peer.consume(shape.concurrency, (seq) => {
    const now = performance.now();
    const sentMs = ledger.ack(seq);
    if (sentMs < 0) return;
    if (now >= windowStart && now < windowEnd) ackedInWindow++;
    if (sentMs >= windowStart && sentMs < windowEnd) latencies.set(measured++, now - sentMs);
  });
  let stop = false;
  const produce = async (): Promise<void> => {
    while (!stop) await peer.enqueue(ledger.send(performance.now()));
  };
  const loops = Array.from({ length: shape.producers }, () => produce());
  await sleep(shape.warmupSeconds * 1000);
  windowStart = performance.now();
  const cpuStart = process.cpuUsage();
  const serverCpuStart = peer.serverCpuMicros?.();
  const ackedAtStart = ledger.acked;
  await sleep(shape.seconds * 1000);
  windowEnd = performance.now();
  const cpu = process.cpuUsage(cpuStart);
  const serverCpuEnd = peer.serverCpuMicros?.();
  const ackedInCpuWindow = ledger.acked - ackedAtStart;
  const serverCpuMicros =
    serverCpuStart === undefined || serverCpuEnd === undefined ? null : (await serverCpuEnd) - (await serverCpuStart);
  stop = true;
  await Promise.all(loops);
  await drain(ledger, options.drainTimeoutMs ?? drainTimeoutMs);
  const sorted = latencies.toArray(measured).sort();
  return {
    messagesPerSecond: ackedInWindow / ((windowEnd - windowStart) / 1000),
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    maxMs: sorted.length === 0 ? Number.NaN : sorted[sorted.length - 1]!,
    measuredMessages: measured,
    clientCpuMicrosPerMessage: (cpu.user + cpu.system) / Math.max(1, ackedInCpuWindow),
    serverCpuMicrosPerMessage: serverCpuMicros === null ? null : serverCpuMicros / Math.max(1, ackedInCpuWindow),
    unexpectedAcks: ledger.unexpectedAcks,
    duplicateAcks: ledger.duplicateAcks,
    unknownAcks: ledger.unknownAcks,
    sentMessages: ledger.sent,
  };
}

/** Waits until every sent message is acked; fails naming how many are not after `timeoutMs`. */
async function drain(ledger: AckLedger, timeoutMs: number): Promise<void> {
  const drainBy = performance.now() + timeoutMs;
  while (ledger.outstanding > 0 && performance.now() < drainBy) await sleep(drainPollMs);
  if (ledger.outstanding === 0) return;
  throw new Error(
    `${ledger.outstanding} of ${ledger.sent} messages were not acked within ${timeoutMs} ms of the window's end ` +
      `(unexpected acks: ${ledger.duplicateAcks} duplicate, ${ledger.unknownAcks} unknown)`,
  );
}
